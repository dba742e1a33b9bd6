import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DiskBuffer, type BufferLimits, type Capture } from './disk-buffer';

const run = promisify(execFile);

/**
 * The `--query-gpu` fields the agent asks for: what a GPU sample and discovery read. No
 * `timestamp`: nvidia-smi prints it in the host's local time, and the capture's `at` is the time.
 */
export const AGENT_QUERY_GPU_FIELDS = [
  'index',
  'uuid',
  'pci.bus_id',
  'name',
  'utilization.gpu',
  'utilization.memory',
  'memory.used',
  'memory.free',
  'memory.total',
  'clocks.sm',
  'power.draw',
  'temperature.gpu',
] as const;

export interface AgentOptions {
  readonly ingest: string;
  readonly apiKey?: string;
  readonly nvidiaSmi: string;
  readonly intervalMs: number;
  /** Progress-metric endpoints of the host's workloads (Prometheus text). */
  readonly metrics: readonly string[];
  readonly host: string;
  readonly cluster?: string;
  readonly bufferDir: string;
  readonly limits: BufferLimits;
  readonly log: (line: string) => void;
  readonly now?: () => number;
}

export interface AgentStats {
  ticks: number;
  captured: number;
  delivered: number;
  dropped: number;
  buffered: number;
  lastError: string | null;
}

/**
 * The host agent: every interval it captures `nvidia-smi --query-gpu` CSV (first, so ingest knows
 * the GPUs' UUIDs when it reads the vGPUs), `nvidia-smi vgpu -q` and each progress endpoint into
 * an on-disk buffer, then drains the buffer to ingest's `/v1/import` oldest first. While ingest is
 * unreachable the captures wait on disk (bounded: past the bound the oldest are dropped, counted in
 * a log line and reported to ingest, which shows them at `/v1/sources`), and they go out in order
 * when it returns. Each capture keeps its own time (`?at=`), so a late one is still placed right
 * and a capture sent twice is applied once.
 */
export class HostAgent {
  private readonly buffer: DiskBuffer;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private unreachable = false;
  readonly stats: AgentStats = {
    ticks: 0,
    captured: 0,
    delivered: 0,
    dropped: 0,
    buffered: 0,
    lastError: null,
  };
  private readonly now: () => number;

  constructor(private readonly options: AgentOptions) {
    this.buffer = new DiskBuffer(options.bufferDir, options.limits);
    this.now = options.now ?? Date.now;
    this.stats.buffered = this.buffer.length;
    this.stats.dropped = this.buffer.dropped;
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        if (!this.stopped) this.timer = setTimeout(loop, this.options.intervalMs);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }

  /** One round: capture, then drain what ingest will take. */
  async tick(): Promise<void> {
    this.stats.ticks++;
    const at = this.now();
    for (const c of await this.capture(at)) this.keep(c);
    await this.drain();
  }

  private async capture(atMs: number): Promise<Omit<Capture, 'seq'>[]> {
    const out: Omit<Capture, 'seq'>[] = [];
    const smi = this.options.nvidiaSmi;
    const tries: [string, string[], string][] = [
      [smi, [`--query-gpu=${AGENT_QUERY_GPU_FIELDS.join(',')}`, '--format=csv'], 'nvidia-smi-csv'],
      [smi, ['vgpu', '-q'], 'nvidia-smi-vgpu'],
    ];
    for (const [file, args, format] of tries) {
      try {
        const { stdout } = await run(file, args, {
          timeout: Math.max(1000, this.options.intervalMs * 5),
          maxBuffer: 64 << 20,
        });
        out.push({ atMs, format, text: stdout });
      } catch (e) {
        this.fail(`${file} ${args.join(' ')}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    for (const url of this.options.metrics) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(500, this.options.intervalMs)) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        out.push({ atMs, format: 'prometheus', text: await res.text() });
      } catch (e) {
        this.fail(`progress metrics ${url}: ${(e as Error).message}`);
      }
    }
    return out;
  }

  private keep(c: Omit<Capture, 'seq'>): void {
    if (c.text.trim() === '') return;
    const dropped = this.buffer.push(c);
    this.stats.captured++;
    if (dropped > 0) {
      this.options.log(
        `agent: buffer full (${this.options.limits.maxCaptures} captures / ${this.options.limits.maxBytes} bytes): ` +
          `dropped the ${dropped} oldest capture(s); ${this.buffer.dropped} dropped in all`,
      );
    }
    this.stats.dropped = this.buffer.dropped;
    this.stats.buffered = this.buffer.length;
  }

  /** Posts buffered captures oldest first; stops at the first one ingest could not take. */
  private async drain(): Promise<void> {
    for (let c = this.buffer.peek(); c !== null; c = this.buffer.peek()) {
      const outcome = await this.post(c);
      if (outcome === 'retry') break;
      this.buffer.shift();
      if (outcome === 'delivered') this.stats.delivered++;
      this.stats.buffered = this.buffer.length;
    }
    this.stats.buffered = this.buffer.length;
  }

  private async post(c: Capture): Promise<'delivered' | 'refused' | 'retry'> {
    const q = new URLSearchParams({
      format: c.format,
      host: this.options.host,
      at: new Date(c.atMs).toISOString(),
    });
    if (this.options.cluster) q.set('cluster', this.options.cluster);
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      'x-vgpu-agent-buffer': `${this.buffer.dropped}/${this.buffer.length}`,
    };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let res: Response;
    try {
      res = await fetch(`${this.options.ingest.replace(/\/$/, '')}/v1/import?${q.toString()}`, {
        method: 'POST',
        headers,
        body: c.text,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      if (!this.unreachable)
        this.options.log(`agent: ingest unreachable (${cause}); buffering captures on disk`);
      this.unreachable = true;
      this.stats.lastError = `ingest unreachable: ${cause}`;
      return 'retry';
    }
    if (this.unreachable) {
      this.options.log(`agent: ingest is back; sending ${this.buffer.length} buffered capture(s) in order`);
      this.unreachable = false;
    }
    await res.text();
    if (res.ok) return 'delivered';
    // 400: the capture had problems, and its valid readings were kept: it is delivered
    if (res.status === 400) return 'delivered';
    if (res.status === 401 || res.status === 403 || res.status === 413 || res.status === 422) {
      this.fail(`ingest refused a ${c.format} capture: HTTP ${res.status}`);
      return res.status === 413 ? 'refused' : 'retry';
    }
    this.stats.lastError = `ingest answered HTTP ${res.status}`;
    return 'retry';
  }

  private fail(message: string): void {
    if (this.stats.lastError !== message) this.options.log(`agent: ${message}`);
    this.stats.lastError = message;
  }
}
