import { Streams } from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import type { Metrics } from './metrics';

/** One readiness check: null when ready, else why not. */
export type ReadinessCheck = () => Promise<string | null>;

export interface Readiness {
  ready: boolean;
  /** Each check: `ok`, or why not. */
  checks: Record<string, string>;
}

/**
 * `/health/ready`: the log reachable, each service's own dependencies (the twin's snapshot store)
 * reachable, and every consumer group of the process within `maxLag` records of the end of its
 * streams. Each check has `timeoutMs`; one that takes longer fails with that reason.
 */
export class HealthChecks {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(
    log: EventLog,
    metrics: Metrics,
    private readonly options: { maxLag: number; timeoutMs: number },
  ) {
    this.register('log', async () => {
      await log.endOffsets(Streams.inventory);
      return null;
    });
    this.register('consumers', async () => {
      const behind = [...(await metrics.lagByGroup())].filter(([, lag]) => lag > options.maxLag);
      return behind.length === 0
        ? null
        : behind
            .map(([g, lag]) => `${g} is ${lag} records behind (ready within ${options.maxLag})`)
            .join('; ');
    });
  }

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async readiness(): Promise<Readiness> {
    const checks: Record<string, string> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<string>((resolve) => {
          timer = setTimeout(
            () => resolve(`no answer within ${this.options.timeoutMs} ms`),
            this.options.timeoutMs,
          );
        });
        try {
          checks[name] = (await Promise.race([check(), timeout])) ?? 'ok';
        } catch (e) {
          checks[name] = (e as Error).message;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
  }
}
