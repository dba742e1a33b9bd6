import { Logger } from '@nestjs/common';
import type { DomainEvent } from '@vgpu-twin/contracts';
import { createScenarioRun, type SimCluster, type TimelineAction } from '@vgpu-twin/simulation';
import type { SimulatorConfig } from './config';
import { loadScenarioAtStart, type LoadedScenario } from './scenario-file';

const logger = new Logger('Simulator');

export interface SimulatorOptions {
  /** The scenario, already loaded; default SIM_SCENARIO (or the built-in demo), read now. */
  readonly scenario?: LoadedScenario;
  /** Wall clock, for the default SIM_START. */
  readonly now?: () => number;
  /** Where the start line and the timeline's actions go; default the Nest logger (info). */
  readonly log?: (line: string) => void;
}

/**
 * Feeds ingest over HTTP like a fleet of host agents would: a scenario's inventory once, then per
 * tick the timeline's inventory changes and one telemetry batch, all from libs/simulation's engine
 * (ground truth: libs/scheduler's discrete-event simulation). Time is an input: event time starts
 * at SIM_START and advances SIM_STEP_MS a tick; SIM_TICK_MS of wall clock pass between ticks.
 */
export class Simulator {
  readonly loaded: LoadedScenario;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private finish: () => void = () => undefined;
  /** Resolves when SIM_DURATION_S of event time has been sent, or when stopped. */
  readonly finished: Promise<void>;
  sent = 0;
  failures = 0;
  /** Why the run stopped early (ingest refused a batch), if it did. */
  error: Error | null = null;

  constructor(
    private readonly config: SimulatorConfig,
    options: SimulatorOptions = {},
  ) {
    this.loaded = options.scenario ?? loadScenarioAtStart(config.SIM_SCENARIO, config.SIM_ALIBABA_NODES);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((line) => logger.log(line));
    this.finished = new Promise((resolve) => (this.finish = resolve));
  }

  /** The cluster at the start of the scenario. */
  get cluster(): SimCluster {
    return this.loaded.cluster;
  }

  async start(): Promise<void> {
    const { scenario, source, cluster } = this.loaded;
    const startMs = this.config.SIM_START ? Date.parse(this.config.SIM_START) : this.now();
    const run = createScenarioRun(scenario, {
      startMs,
      stepMs: this.config.SIM_STEP_MS,
      ...(this.config.SIM_SEED !== undefined ? { seed: this.config.SIM_SEED } : {}),
      ...(this.loaded.alibabaNodes ? { alibabaNodes: this.loaded.alibabaNodes } : {}),
    });
    await this.postWithRetry('/v1/inventory', run.inventory());
    const vms = cluster.gpus.reduce((n, g) => n + g.vms.length, 0);
    const last = Math.max(0, ...scenario.timeline.map((a) => a.atS));
    const duration = this.config.SIM_DURATION_S;
    this.log(
      `simulator: scenario '${scenario.name}' (${source}): ${cluster.gpus.length} GPUs, ${vms} VMs, ` +
        `${scenario.timeline.length} timeline actions${scenario.timeline.length > 0 ? ` (last at +${last} s)` : ''}; ` +
        `${this.config.SIM_STEP_MS} ms of event time every ${this.config.SIM_TICK_MS} ms` +
        (duration > 0 ? `, for ${duration} s` : ', until stopped'),
    );
    for (const note of cluster.notes) this.log(`simulator: ${note}`);
    const step = () => {
      if (this.stopped) return;
      if (duration > 0 && (run.ticks * this.config.SIM_STEP_MS) / 1000 >= duration) {
        this.finish();
        return;
      }
      const t = run.tick();
      for (const a of t.applied) this.log(`simulator: +${t.elapsedS} s ${describe(a)}`);
      this.inFlight = (async () => {
        if (t.inventory.length > 0) await this.postWithRetry('/v1/inventory', t.inventory);
        await this.postWithRetry('/v1/telemetry', t.telemetry);
      })().then(
        () => {
          if (!this.stopped) this.timer = setTimeout(step, this.config.SIM_TICK_MS);
        },
        (e: unknown) => {
          this.error = e instanceof Error ? e : new Error(String(e));
          this.log(`simulator stopped: ${this.error.message}`);
          this.stopped = true;
          this.finish();
        },
      );
    };
    step();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
    this.finish();
  }

  /** Ingest may still be starting or the log briefly down: retry with backoff; events carry ids, so a retry is idempotent downstream. */
  private async postWithRetry(path: string, events: readonly DomainEvent[]): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.SIM_API_KEY) headers['authorization'] = `Bearer ${this.config.SIM_API_KEY}`;
    for (let attempt = 0; !this.stopped || attempt === 0; attempt++) {
      try {
        const res = await fetch(new URL(path, this.config.SIM_INGEST_URL), {
          method: 'POST',
          headers,
          body: JSON.stringify(events),
        });
        if (res.ok) {
          this.sent += events.length;
          return;
        }
        const text = await res.text();
        if (res.status < 500 && res.status !== 429)
          throw new Error(`ingest refused the batch (${res.status}): ${text}`);
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('ingest refused')) throw e;
      }
      this.failures++;
      if (this.stopped) return;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
    }
  }
}

/** One line per timeline action, for the log: what happens, and the scenario's note on why. */
export function describe(a: TimelineAction): string {
  const what = ((): string => {
    switch (a.action) {
      case 'phase':
        return `${a.vm} now runs ${a.workload}`;
      case 'place':
        return `${a.vm} (${a.profile}, ${a.workload}) placed on ${a.gpu}`;
      case 'framebuffer':
        return `${a.vm}'s framebuffer use heads for ${a.toMib} MiB over ${a.overS} s`;
      case 'migrate':
        return `${a.vm} migrates to ${a.to}`;
      case 'remove':
        return `${a.vm} removed`;
      case 'policy':
        return `${a.gpu} switches to ${a.policy}${a.timeSliceMs !== undefined ? `, ${a.timeSliceMs} ms slices` : ''}`;
      default: {
        const _exhaustive: never = a;
        return _exhaustive;
      }
    }
  })();
  return a.note ? `${what}: ${a.note}` : what;
}
