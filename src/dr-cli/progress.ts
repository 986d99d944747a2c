import type { Output } from './deps';
import { formatDuration } from './format';

/**
 * A progress display for anything that waits: one line rewritten in place (`\r`) on a terminal; on a pipe or in
 * CI, plain lines, printed when the state changes and otherwise at most once a minute.
 */
export class Progress {
  private readonly start: number;
  private lastState: string | undefined;
  private lastPrinted = 0;
  private lineOpen = false;

  constructor(
    private readonly out: Output,
    private readonly now: () => number,
    private readonly label: string,
    private readonly timeoutMs?: number,
    private readonly heartbeatMs = 60_000,
  ) {
    this.start = now();
  }

  elapsed(): number {
    return this.now() - this.start;
  }

  /** Shows `state` with the elapsed time (and the timeout, when there is one). */
  update(state: string): void {
    const clock = formatDuration(this.elapsed()) + (this.timeoutMs ? ` of ${formatDuration(this.timeoutMs)}` : '');
    const text = `${this.label}: ${state} [${clock}]`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${text}`);
      this.lineOpen = true;
      return;
    }
    const t = this.now();
    if (state !== this.lastState || t - this.lastPrinted >= this.heartbeatMs) {
      this.out.write(`${text}\n`);
      this.lastState = state;
      this.lastPrinted = t;
    }
  }

  /** Ends the display with a final line. */
  done(text: string): void {
    if (this.out.isTTY && this.lineOpen) this.out.write('\r\x1b[2K');
    this.lineOpen = false;
    this.out.write(`${this.label}: ${text}\n`);
  }
}
