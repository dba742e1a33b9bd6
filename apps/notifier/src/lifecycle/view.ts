import { Logger } from '@nestjs/common';
import { evolve, initialBook, RecentIds, type BookConfig, type BookState } from '@vgpu-twin/alerting';
import {
  isAlertChange,
  Streams,
  type AlertView,
  type IncidentView,
  type LifecycleEvent,
  type SilenceView,
} from '@vgpu-twin/contracts';
import { consumeRebuilding, type Consumer, type EventLog, type LogRecord } from '@vgpu-twin/event-log';
import type { AlertHistoryStore } from '@vgpu-twin/persistence';
import { decodeRecords } from '@vgpu-twin/service-kit';

const logger = new Logger('AlertView');

/** Where a pushed event sits in its stream: clients send the last one back to resume. */
export interface Position {
  readonly stream: string;
  readonly offset: number;
}

export interface LifecyclePush {
  readonly rooms: readonly string[];
  readonly event: LifecycleEvent;
  readonly position: Position;
}

/** The rooms a lifecycle event belongs to (cluster, host, GPU, VM); none for notification bookkeeping. */
export function lifecycleRooms(event: LifecycleEvent, clusters: () => Iterable<string>): string[] {
  if (isAlertChange(event)) return alertRooms(event.data.alert);
  switch (event.type) {
    case 'incident.opened':
    case 'incident.updated':
    case 'incident.resolved': {
      const i = event.data.incident;
      return [`cluster:${i.clusterId}`, `host:${i.hostId}`, `gpu:${i.gpuId}`];
    }
    case 'silence.created':
    case 'silence.activated':
    case 'silence.expired':
      return silenceClusters(event.data.silence, clusters).map((c) => `cluster:${c}`);
    case 'notification.queued':
    case 'notification.delivered':
    case 'notification.dead_lettered':
      return [];
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export function alertRooms(a: AlertView): string[] {
  return [`cluster:${a.labels.cluster}`, `host:${a.labels.host}`, `gpu:${a.labels.gpu}`, `vm:${a.labels.vm}`];
}

/** The clusters a silence can touch: its `cluster=` matcher's, or every cluster. */
export function silenceClusters(s: SilenceView, clusters: () => Iterable<string>): string[] {
  const eq = s.matchers.filter((m) => m.name === 'cluster' && m.op === '=').map((m) => m.value);
  return eq.length > 0 ? eq : [...clusters()];
}

export interface ViewOptions {
  readonly group: string;
  readonly config: BookConfig;
  readonly store: AlertHistoryStore;
  readonly clusters: () => Iterable<string>;
  readonly catchUpTimeoutMs?: number;
}

/**
 * Each instance's view of the lifecycle: the whole lifecycle stream folded into a book (what is
 * open now: the socket.io snapshot, ack and silence checks, receivers' status), projected into the
 * alert history store (paging through history), and pushed live to socket.io rooms with positions.
 */
export class LifecycleView {
  readonly book: BookState;
  private consumer: Consumer | null = null;
  private storePosition = -1;
  private applied = -1;
  private readonly listeners = new Set<(push: LifecyclePush) => void>();
  /** Event ids already applied: delivery is at least once. */
  private readonly seen = new RecentIds(100_000);
  private readonly waiters: {
    match: (e: LifecycleEvent) => boolean;
    resolve: (e: LifecycleEvent) => void;
  }[] = [];

  constructor(
    private readonly log: EventLog,
    private readonly options: ViewOptions,
  ) {
    this.book = initialBook(options.config);
  }

  /** The offset of the last lifecycle event folded, -1 before any. */
  get position(): number {
    return this.applied;
  }

  onPush(listener: (push: LifecyclePush) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    this.storePosition = await this.options.store.position();
    this.consumer = await consumeRebuilding(this.log, {
      group: this.options.group,
      streams: [Streams.lifecycle],
      handler: (batch, replaying) => this.apply(batch, replaying),
      onError: (e) =>
        logger.error(`lifecycle batch failed, will retry: ${e instanceof Error ? e.message : String(e)}`),
      catchUpTimeoutMs: this.options.catchUpTimeoutMs ?? 60_000,
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = null;
  }

  /** Resolves with the first lifecycle event (from now on) that matches, or null after `timeoutMs`. */
  waitFor(match: (e: LifecycleEvent) => boolean, timeoutMs: number): Promise<LifecycleEvent | null> {
    return new Promise((resolve) => {
      const waiter = { match, resolve: (e: LifecycleEvent | null) => resolve(e) };
      this.waiters.push(waiter);
      setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      }, timeoutMs).unref();
    });
  }

  openAlerts(): AlertView[] {
    return [...this.book.alerts.values()];
  }
  openIncidents(): IncidentView[] {
    return [...this.book.incidents.values()];
  }
  liveSilences(): SilenceView[] {
    return [...this.book.silences.values()];
  }

  private async apply(batch: readonly LogRecord[], replaying: boolean): Promise<void> {
    const { events, bad } = decodeRecords(batch);
    if (bad.length > 0)
      logger.warn(`skipped ${bad.length} undecodable lifecycle records, e.g. ${bad[0]!.reason}`);
    const fresh: { record: LogRecord; event: LifecycleEvent }[] = [];
    for (const { record, event } of events) {
      if (!this.seen.add(event.id)) continue;
      fresh.push({ record, event: event as LifecycleEvent });
    }
    const toStore = fresh.filter((f) => f.record.offset > this.storePosition);
    if (toStore.length > 0) {
      await this.options.store.apply(toStore.map((f) => ({ position: f.record.offset, event: f.event })));
      this.storePosition = toStore[toStore.length - 1]!.record.offset;
    }
    for (const { record, event } of fresh) {
      evolve(this.book, event);
      this.applied = record.offset;
      if (!replaying) {
        const push: LifecyclePush = {
          rooms: lifecycleRooms(event, this.options.clusters),
          event,
          position: { stream: Streams.lifecycle, offset: record.offset },
        };
        for (const l of this.listeners) l(push);
      }
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i]!;
        if (w.match(event)) {
          this.waiters.splice(i, 1);
          w.resolve(event);
        }
      }
    }
    if (batch.length > 0) this.applied = Math.max(this.applied, batch[batch.length - 1]!.offset);
  }
}
