import { buildCluster, inventoryEvents, mulberry32, telemetryAt, type SimCluster } from './scenario';
import type { SimulatorConfig } from './config';

/**
 * Feeds ingest over HTTP like a fleet of host agents would: the inventory once, then one telemetry
 * batch per tick. Time is an input: event time starts at SIM_START and advances SIM_STEP_MS a tick.
 */
export class Simulator {
  readonly cluster: SimCluster;
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;
  private startMs = 0;
  private stopped = false;
  private inFlight: Promise<void> = Promise.resolve();
  sent = 0;
  failures = 0;

  constructor(
    private readonly config: SimulatorConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.cluster = buildCluster({
      seed: config.SIM_SEED,
      hosts: config.SIM_HOSTS,
      gpusPerHost: config.SIM_GPUS_PER_HOST,
    });
  }

  async start(): Promise<void> {
    this.startMs = this.config.SIM_START ? Date.parse(this.config.SIM_START) : this.now();
    const rng = mulberry32(this.config.SIM_SEED ^ 0x5eed);
    await this.postWithRetry(
      '/v1/inventory',
      inventoryEvents(this.cluster, new Date(this.startMs).toISOString()),
    );
    const { incident } = this.cluster;
    console.log(
      `simulator: ${this.cluster.gpus.length} GPUs, ${this.cluster.gpus.reduce((s, g) => s + g.vms.length, 0)} VMs; ` +
        `incident at +${this.config.SIM_INCIDENT_AT_S}s: ${incident.aggressor} turns GPU-heavy next to ${incident.victim} on ${incident.gpuId}`,
    );
    const step = () => {
      if (this.stopped) return;
      const elapsedS = (this.tick * this.config.SIM_STEP_MS) / 1000;
      if (this.config.SIM_DURATION_S > 0 && elapsedS >= this.config.SIM_DURATION_S) return;
      const ts = new Date(this.startMs + this.tick * this.config.SIM_STEP_MS).toISOString();
      const batch = telemetryAt(this.cluster, this.tick, elapsedS, ts, rng, {
        startS: this.config.SIM_INCIDENT_AT_S,
        endS: this.config.SIM_INCIDENT_END_S,
      });
      this.tick++;
      this.inFlight = this.postWithRetry('/v1/telemetry', batch).then(() => {
        this.timer = setTimeout(step, this.config.SIM_TICK_MS);
      });
    };
    step();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }

  /** Ingest may still be starting or the log briefly down: retry with backoff; events carry ids, so a retry is idempotent downstream. */
  private async postWithRetry(path: string, events: readonly unknown[]): Promise<void> {
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
