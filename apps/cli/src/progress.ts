/**
 * A progress line for long runs: done/total, percent, rate and ETA. Pure: time comes in as
 * `now`, so it is tested with plain numbers.
 */
export function progressLine(
  label: string,
  done: number,
  total: number,
  startedMs: number,
  nowMs: number,
  unit = 'records',
): string {
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 100;
  const seconds = Math.max(0.001, (nowMs - startedMs) / 1000);
  const rate = done / seconds;
  const eta = rate > 0 && total > done ? (total - done) / rate : 0;
  const width = 24;
  const filled = Math.round((pct / 100) * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `${label} ${bar} ${pct.toFixed(0).padStart(3)}% ${count(done)}/${count(total)} ${unit} · ${count(rate)}/s · ${total > done ? `ETA ${duration(eta)}` : `done in ${duration(seconds)}`}`;
}

/** 1234 → 1.2k, 86400000 → 86.4M. */
export function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return `${Math.round(n)}`;
}

/** 151 s → 2m31s. */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Writes progress to a stream: redrawn in place on a terminal (at most every `everyMs`), a line
 * every 5% otherwise (logs and CI).
 */
export class Progress {
  private readonly started: number;
  private lastDraw = 0;
  private lastPct = -5;

  constructor(
    private readonly label: string,
    private readonly write: (line: string, redraw: boolean) => void,
    private readonly tty: boolean,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 200,
  ) {
    this.started = now();
  }

  update(done: number, total: number): void {
    const t = this.now();
    const pct = total > 0 ? (100 * done) / total : 100;
    if (this.tty) {
      if (t - this.lastDraw < this.everyMs && done < total) return;
      this.lastDraw = t;
      this.write(progressLine(this.label, done, total, this.started, t), true);
    } else if (pct >= this.lastPct + 5 || done >= total) {
      if (done >= total && this.lastPct >= 100) return;
      this.lastPct = done >= total ? 100 : Math.floor(pct / 5) * 5;
      this.write(progressLine(this.label, done, total, this.started, t), false);
    }
  }
}
