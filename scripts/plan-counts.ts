/**
 * The table of `npm run plan:offline` (scripts/plan-offline.ts): resources to create per region (provider alias) and
 * type. Pure functions of the synthesized JSON and the plan's counts, tested without terraform.
 */
import type { validateAndPlan } from './terraform-harness';

export type TfJson = Parameters<typeof validateAndPlan>[0] & {
  provider?: Record<string, Array<Record<string, unknown>>>;
  resource?: Record<string, Record<string, { provider?: string }>>;
};

/** A column of the table: one provider configuration (`aws.primary`), or resources without a region. */
export interface RegionColumn {
  /** `aws.primary`, `aws.dr`, `aws` (default provider) or `-` (providers without a region, e.g. random). */
  readonly key: string;
  readonly label: string;
}

export interface RegionCounts {
  readonly columns: RegionColumn[];
  /** type → column key → count of resources the plan creates. */
  readonly rows: Map<string, Map<string, number>>;
  /** Types whose planned count differs from the synthesized count (the split then comes from the JSON only). */
  readonly mismatches: string[];
}

const NO_REGION = '-';

/** `aws.primary` for a resource's `provider` field; `aws` when unset (the default configuration of its provider). */
function providerKey(type: string, provider: string | undefined): string {
  const name = type.split('_')[0];
  if (name !== 'aws') return NO_REGION;
  return provider ?? 'aws';
}

/**
 * Per region and type: the harness reports created resources per type only (from `planned_change`), so each
 * resource is placed in its region through the `provider` field of the synthesized JSON (type + name → provider).
 * Stand-ins (`terraform_data` for `random_*`) are counted under their original type.
 */
export function countsPerRegion(stack: TfJson, plannedCreates: Record<string, number>): RegionCounts {
  const columns: RegionColumn[] = [];
  for (const config of stack.provider?.aws ?? []) {
    const alias = config.alias as string | undefined;
    const key = alias ? `aws.${alias}` : 'aws';
    columns.push({ key, label: `${alias ?? 'default'} (${(config.region as string | undefined) ?? 'region from env'})` });
  }
  const rows = new Map<string, Map<string, number>>();
  const synthesized: Record<string, number> = {};
  let usesNoRegion = false;
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    for (const body of Object.values(byName)) {
      const key = providerKey(type, body.provider);
      if (key === NO_REGION) usesNoRegion = true;
      if (!columns.some((c) => c.key === key) && key !== NO_REGION) columns.push({ key, label: key });
      const row = rows.get(type) ?? new Map<string, number>();
      row.set(key, (row.get(key) ?? 0) + 1);
      rows.set(type, row);
      synthesized[type] = (synthesized[type] ?? 0) + 1;
    }
  }
  if (usesNoRegion) columns.push({ key: NO_REGION, label: 'no region' });

  // What the plan created, per type, with the harness's terraform_data stand-ins handed back to the random_* types
  // they replace (as many as each type has); anything left over stays terraform_data and shows as a mismatch.
  const planned: Record<string, number> = { ...plannedCreates };
  let standIns = (planned.terraform_data ?? 0) - (synthesized.terraform_data ?? 0);
  for (const type of Object.keys(synthesized).filter((t) => t.startsWith('random_'))) {
    planned[type] = Math.min(synthesized[type], Math.max(standIns, 0));
    standIns -= planned[type];
  }
  planned.terraform_data = (synthesized.terraform_data ?? 0) + standIns;
  if (planned.terraform_data === 0) delete planned.terraform_data;
  const types = new Set([...Object.keys(synthesized), ...Object.keys(planned)]);
  const mismatches = [...types].filter((t) => (synthesized[t] ?? 0) !== (planned[t] ?? 0)).sort();
  return { columns, rows, mismatches };
}

/** The table: one row per type, one column per region, totals last. */
export function renderTable(counts: RegionCounts): string {
  const header = ['resource type', ...counts.columns.map((c) => c.label), 'total'];
  const body: string[][] = [];
  const totals = new Map<string, number>();
  for (const type of [...counts.rows.keys()].sort()) {
    const row = counts.rows.get(type)!;
    const cells = counts.columns.map((c) => {
      const n = row.get(c.key) ?? 0;
      totals.set(c.key, (totals.get(c.key) ?? 0) + n);
      return n === 0 ? '·' : String(n);
    });
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    body.push([type, ...cells, String(total)]);
  }
  const grand = [...totals.values()].reduce((a, b) => a + b, 0);
  const footer = ['total', ...counts.columns.map((c) => String(totals.get(c.key) ?? 0)), String(grand)];
  const all = [header, ...body, footer];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line), rule, line(footer)].join('\n');
}
