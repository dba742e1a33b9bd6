import type { TelemetrySources } from './telemetry-sources';

export interface ScrapeTargetStatus {
  url: string;
  scrapes: number;
  lastScrapeAt: string | null;
  lastSuccessAt: string | null;
  /** The last scrape's error, null after a good one. */
  lastError: string | null;
  /** Readings the last good scrape gave. */
  readings: number;
  /** Problems the last good scrape's text had (lines that were skipped), and the first of them. */
  problems: number;
  firstProblem: string | null;
  /** Failures in a row: each doubles the wait before the next try, up to `maxBackoffMs`. */
  consecutiveFailures: number;
  nextScrapeAt: string | null;
}

export interface ScraperOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly maxBackoffMs: number;
  readonly cluster: string;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

/**
 * Scrapes dcgm-exporter (or any Prometheus endpoint) targets every interval, each on its own
 * timer with a timeout, backing off exponentially while a target fails so a dead exporter costs
 * one request per backoff instead of one per interval.
 */
export class Scraper {
  private readonly targets: {
    status: ScrapeTargetStatus;
    timer: NodeJS.Timeout | null;
    inFlight: Promise<void> | null;
  }[];
  private stopped = false;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;

  constructor(
    urls: readonly string[],
    private readonly sources: TelemetrySources,
    private readonly options: ScraperOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? fetch;
    this.targets = urls.map((url) => ({
      status: {
        url,
        scrapes: 0,
        lastScrapeAt: null,
        lastSuccessAt: null,
        lastError: null,
        readings: 0,
        problems: 0,
        firstProblem: null,
        consecutiveFailures: 0,
        nextScrapeAt: null,
      },
      timer: null,
      inFlight: null,
    }));
  }

  start(): void {
    for (const t of this.targets) this.schedule(t, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.targets) if (t.timer) clearTimeout(t.timer);
    for (const t of this.targets) if (t.inFlight) await t.inFlight;
  }

  status(): ScrapeTargetStatus[] {
    return this.targets.map((t) => ({ ...t.status }));
  }

  private schedule(t: (typeof this.targets)[number], delayMs: number): void {
    if (this.stopped) return;
    t.status.nextScrapeAt = new Date(this.now() + delayMs).toISOString();
    t.timer = setTimeout(() => {
      t.inFlight = this.scrapeTarget(t).finally(() => {
        t.inFlight = null;
        const backoff = Math.min(
          this.options.maxBackoffMs,
          this.options.intervalMs * 2 ** Math.min(t.status.consecutiveFailures, 16),
        );
        this.schedule(t, t.status.consecutiveFailures === 0 ? this.options.intervalMs : backoff);
      });
    }, delayMs);
    t.timer.unref();
  }

  private async scrapeTarget(t: (typeof this.targets)[number]): Promise<void> {
    const s = t.status;
    const at = this.now();
    s.scrapes++;
    s.lastScrapeAt = new Date(at).toISOString();
    try {
      const res = await this.fetch(s.url, {
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: { accept: 'text/plain;version=0.0.4' },
      });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      const text = await res.text();
      const result = await this.sources.capture(text, {
        format: 'prometheus',
        host: new URL(s.url).hostname,
        cluster: this.options.cluster,
        atMs: at,
        source: `scrape:${s.url}`,
      });
      s.readings = result.readings;
      s.lastSuccessAt = s.lastScrapeAt;
      s.consecutiveFailures = 0;
      s.lastError = null;
      s.problems = result.problems.length;
      s.firstProblem = result.problems[0]
        ? `line ${result.problems[0].line}: ${result.problems[0].message}`
        : null;
    } catch (e) {
      s.consecutiveFailures++;
      const err = e as Error;
      s.lastError =
        err.name === 'TimeoutError' ? `timed out after ${this.options.timeoutMs} ms` : err.message;
    }
  }
}
