/** Small text helpers: durations, tables, timestamps. */

/** `75_000` → `1m 15s`; `3_600_000` → `1h 0m`; `850` → `0.9s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const neg = ms < 0 ? '-' : '';
  ms = Math.abs(ms);
  if (ms < 10_000) return `${neg}${(Math.round(ms / 100) / 10).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${neg}${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${neg}${m}m ${s % 60}s`;
  return `${neg}${Math.floor(m / 60)}h ${m % 60}m`;
}

/**
 * Parses a duration flag: `90s`, `15m`, `1h`, `500ms`; a plain number is seconds. Returns milliseconds, or
 * undefined when the text is not a positive duration.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] as number;
  const ms = n * factor;
  return ms > 0 ? ms : undefined;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** Left-aligned columns separated by two spaces; the first row is a header underlined with dashes. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(rows[0]), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n') + '\n';
}
