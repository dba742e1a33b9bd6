import { Logger, type INestApplication } from '@nestjs/common';
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { bootService, listeningPort, oneLine, type ServiceDefinition } from './boot';
import { serviceLogName, useStandaloneLogging } from './logging';
import type { Metrics } from './metrics';
import { METRICS } from './nest';

/** A running service: one process, or the primary of a pool of worker processes. */
export interface Serving {
  /** The port it listens on (the one picked, when asked for port 0). */
  readonly port: number;
  /** The processes that answer requests: this one, or the pool's workers now. */
  pids(): number[];
  /** Stops gracefully: every process closes its app (the log flushes) and exits. */
  close(): Promise<void>;
}

export interface PoolOptions {
  /** Processes that serve the port; 1: this process alone, as `bootService`. */
  readonly workers: number;
  /** Wait before re-forking a worker that died; it doubles with each death in a row. */
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
  /** Re-forked workers that die before they listen, in a row, before the pool gives up. */
  readonly maxStartFailures?: number;
  /** How long workers get to close on stop before they are killed. */
  readonly stopTimeoutMs?: number;
}

/**
 * Serves a service from `options.workers` processes sharing its port (node:cluster). Call it from
 * the entry point, which cluster.fork runs again in each worker: there it boots the service and
 * resolves null. In the primary it forks and supervises the workers and resolves once all listen.
 * With one worker it is `bootService` in this process, nothing else.
 */
export async function serveService(
  def: ServiceDefinition,
  options: PoolOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Serving | null> {
  if (options.workers <= 1) {
    const app = await bootService(def, env);
    return { port: listeningPort(app), pids: () => [process.pid], close: () => app.close() };
  }
  if (cluster.isPrimary) return new WorkerPool(def.name, options, env).start();
  await bootWorker(def, env);
  return null;
}

/** Wait before re-forking after the n-th death in a row (n ≥ 1): base, 2 × base, 4 × base … up to max. */
export function restartDelayMs(n: number, base = 500, max = 30_000): number {
  return Math.min(max, base * 2 ** Math.max(0, n - 1));
}

/** A death this long after the one before starts the backoff again. */
const DEATHS_IN_A_ROW_MS = 60_000;

type PoolMessage =
  | { type: 'vgpu-twin:pool:listening'; banner: string; port: number }
  | { type: 'vgpu-twin:pool:boot-failed'; message: string }
  | { type: 'vgpu-twin:pool:metrics-req'; id: number }
  | { type: 'vgpu-twin:pool:metrics-res'; id: number; text?: string; error?: string };

/** Ours, not prom-client's (which shares the channel). */
function isPoolMessage(m: unknown): m is PoolMessage {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { type?: unknown }).type === 'string' &&
    (m as { type: string }).type.startsWith('vgpu-twin:pool:')
  );
}

interface Member {
  readonly slot: number;
  listening: boolean;
  /** Why it could not boot, as the worker said. */
  failure: string | null;
  readonly ready: { resolve(): void; reject(e: Error): void };
}

class WorkerPool implements Serving {
  port = 0;
  /** The line a worker printed once it listened (the pool prints it once). */
  private banner = '';
  private readonly members = new Map<Worker, Member>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly log: Logger;
  private readonly aggregator = new AggregatorRegistry();
  private started = false;
  /** A worker that listened and died before the others did: the start fails with it. */
  private diedWhileStarting: Error | null = null;
  private signalled: NodeJS.Signals | null = null;
  private stopping: Promise<void> | null = null;
  private startFailuresInARow = 0;
  private deathsInARow = 0;
  private lastDeathAt = -Infinity;
  private readonly onSignal = (signal: NodeJS.Signals) => void this.stopOnSignal(signal);
  private readonly onMessage = (worker: Worker, m: unknown) => this.message(worker, m);
  private readonly onExit = (worker: Worker, code: number | null, signal: string | null) =>
    this.exited(worker, code, signal);

  constructor(
    private readonly name: string,
    private readonly options: PoolOptions,
    env: NodeJS.ProcessEnv,
  ) {
    useStandaloneLogging(serviceLogName(name), env);
    this.log = new Logger(`${name}Pool`);
  }

  async start(): Promise<this> {
    cluster.on('message', this.onMessage);
    cluster.on('exit', this.onExit);
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
    try {
      // The first worker boots alone: it creates the log's streams and runs the key store's
      // migrations, which two processes must not do at once on a fresh data folder.
      await this.fork(1);
      await Promise.all(Array.from({ length: this.options.workers - 1 }, (_, i) => this.fork(i + 2)));
      if (this.diedWhileStarting) throw this.diedWhileStarting;
    } catch (e) {
      // The same cause would stop every worker (the port, the log, a file): say it once, as one process would.
      await this.close();
      if (this.signalled)
        throw new Error(`${serviceLogName(this.name)}: ${this.signalled} while the workers were starting`);
      throw e;
    }
    this.started = true;
    process.stdout.write(
      `${this.banner}; ${this.options.workers} workers (pids ${this.pids().join(', ')})\n`,
    );
    return this;
  }

  pids(): number[] {
    return [...this.members.keys()].flatMap((w) => (w.process.pid === undefined ? [] : [w.process.pid]));
  }

  async close(): Promise<void> {
    await this.stop();
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
    cluster.off('message', this.onMessage);
    cluster.off('exit', this.onExit);
  }

  /** Resolves once the worker listens; rejects with why it could not. */
  private fork(slot: number): Promise<void> {
    const worker = cluster.fork();
    return new Promise<void>((resolve, reject) => {
      this.members.set(worker, { slot, listening: false, failure: null, ready: { resolve, reject } });
    });
  }

  private message(worker: Worker, m: unknown): void {
    if (!isPoolMessage(m)) return;
    const member = this.members.get(worker);
    switch (m.type) {
      case 'vgpu-twin:pool:listening':
        if (!member) return;
        member.listening = true;
        this.port = m.port;
        this.banner = m.banner;
        this.startFailuresInARow = 0;
        if (this.started) this.log.log(`worker ${member.slot} (pid ${worker.process.pid}) listening again`);
        member.ready.resolve();
        return;
      case 'vgpu-twin:pool:boot-failed':
        if (member) member.failure = m.message;
        return;
      case 'vgpu-twin:pool:metrics-req':
        this.aggregator.clusterMetrics().then(
          (text) => this.reply(worker, { type: 'vgpu-twin:pool:metrics-res', id: m.id, text }),
          (e: unknown) =>
            this.reply(worker, {
              type: 'vgpu-twin:pool:metrics-res',
              id: m.id,
              error: `a worker did not answer the pool's metrics request (${(e as Error).message})`,
            }),
        );
        return;
      case 'vgpu-twin:pool:metrics-res':
        return;
      default: {
        const _exhaustive: never = m;
        return _exhaustive;
      }
    }
  }

  private reply(worker: Worker, m: PoolMessage): void {
    if (worker.isConnected()) worker.send(m);
  }

  private exited(worker: Worker, code: number | null, signal: string | null): void {
    const member = this.members.get(worker);
    if (!member) return;
    this.members.delete(worker);
    const cause = member.failure ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
    if (!member.listening) member.ready.reject(new Error(cause));
    else if (!this.started) this.diedWhileStarting ??= new Error(`a worker died while starting: ${cause}`);
    if (this.stopping || !this.started) return; // stop() waits for it; start() says why
    const pid = worker.process.pid;
    if (!member.listening && ++this.startFailuresInARow >= (this.options.maxStartFailures ?? 5)) {
      this.giveUp(
        `${serviceLogName(this.name)}: ${this.startFailuresInARow} workers in a row failed to start; the last: ${cause}`,
      );
      return;
    }
    const now = Date.now();
    this.deathsInARow = now - this.lastDeathAt < DEATHS_IN_A_ROW_MS ? this.deathsInARow + 1 : 1;
    this.lastDeathAt = now;
    const delay = restartDelayMs(
      this.deathsInARow,
      this.options.restartDelayMs,
      this.options.maxRestartDelayMs,
    );
    this.log.warn(
      `worker ${member.slot} (pid ${pid}) ${member.listening ? 'died' : 'failed to start'}: ${cause}; re-forking in ${delay} ms`,
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // a re-fork that fails comes back here through its exit
      this.fork(member.slot).catch(() => undefined);
    }, delay);
    this.timers.add(timer);
  }

  private giveUp(line: string): void {
    void this.close().finally(() => {
      process.stderr.write(`${oneLine(line)}\n`);
      process.exit(1);
    });
  }

  private stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      const workers = [...this.members.keys()];
      const exits = workers.map((w) => new Promise<void>((r) => w.once('exit', () => r())));
      for (const w of workers) w.process.kill('SIGTERM');
      const kill = setTimeout(() => {
        for (const w of this.members.keys()) w.process.kill('SIGKILL');
      }, this.options.stopTimeoutMs ?? 30_000);
      await Promise.all(exits);
      clearTimeout(kill);
    })();
    return this.stopping;
  }

  /** As Nest's shutdown hooks do for one process: close everything, then die of the same signal. */
  private async stopOnSignal(signal: NodeJS.Signals): Promise<void> {
    if (this.stopping) return;
    this.signalled = signal;
    this.log.log(`${signal}: stopping ${this.members.size} workers`);
    await this.close();
    process.kill(process.pid, signal);
  }
}

/** One worker of a pool: the service as one process would boot it, reporting to the primary. */
async function bootWorker(def: ServiceDefinition, env: NodeJS.ProcessEnv): Promise<void> {
  // Constructing an AggregatorRegistry is what makes prom-client answer the primary's requests
  // for this worker's metrics; until the app sets its registry below, it reports none.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([]);
  let app: INestApplication;
  try {
    app = await bootService(
      {
        ...def,
        shutdownHooks: false,
        configure: (a) => {
          def.configure?.(a);
          joinPoolMetrics(a.get<Metrics>(METRICS));
        },
        announce: (banner, port) => send({ type: 'vgpu-twin:pool:listening', banner, port }),
      },
      env,
    );
  } catch (e) {
    // The primary prints it, once for the pool.
    process.exitCode = 1;
    const message = oneLine(e instanceof Error ? e.message : String(e));
    process.send?.({ type: 'vgpu-twin:pool:boot-failed', message } satisfies PoolMessage, () =>
      process.exit(1),
    );
    return;
  }
  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    app.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`${oneLine(`closing failed: ${(e as Error).message}`)}\n`);
        process.exit(1);
      },
    );
  };
  // The primary's SIGTERM, the terminal's SIGINT to the whole process group, or a primary gone.
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
  process.on('disconnect', close);
}

function send(m: PoolMessage): void {
  process.send?.(m);
}

/** `GET /metrics` in a worker: the primary gathers every worker's registry (prom-client sums counters). */
function joinPoolMetrics(metrics: Metrics): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
  const pending = new Map<number, { resolve(text: string): void; reject(e: Error): void }>();
  let next = 0;
  process.on('message', (m: unknown) => {
    if (!isPoolMessage(m) || m.type !== 'vgpu-twin:pool:metrics-res') return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(m.error));
    else p?.resolve(m.text ?? '');
  });
  metrics.aggregateWith(
    () =>
      new Promise<string>((resolve, reject) => {
        const id = next++;
        // prom-client's own wait for the workers is 5 s
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('the pool primary did not answer within 10 s'));
        }, 10_000);
        pending.set(id, {
          resolve: (t) => (clearTimeout(timer), resolve(t)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        send({ type: 'vgpu-twin:pool:metrics-req', id });
      }),
  );
}
