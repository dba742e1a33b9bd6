import { Streams } from '@vgpu-twin/contracts';
import { consumeRebuilding, type Consumer, type EventLog, type LogRecord } from '@vgpu-twin/event-log';
import { decodeRecords } from '@vgpu-twin/service-kit';
import type { DashboardReadModel, Routed } from './read-model';

export interface Publisher {
  publish(routed: Routed): void;
}

/**
 * Consumes inventory, twin output and alerts into the dashboard's read model and pushes live
 * events to socket.io rooms. On start it rebuilds the read model from the log without re-pushing
 * what was already delivered.
 */
export class NotifierProcessor {
  private consumer: Consumer | null = null;
  private publisher: Publisher | null = null;

  constructor(
    private readonly log: EventLog,
    readonly model: DashboardReadModel,
    private readonly group: string,
  ) {}

  attach(publisher: Publisher): void {
    this.publisher = publisher;
  }

  async start(): Promise<void> {
    this.consumer = await consumeRebuilding(this.log, {
      group: this.group,
      streams: [Streams.inventory, Streams.alerts, Streams.twin],
      handler: (batch, replaying) => Promise.resolve(this.handle(batch, replaying)),
      onError: (e) =>
        console.error('notifier: batch failed, will retry:', e instanceof Error ? e.message : e),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = null;
  }

  private handle(batch: readonly LogRecord[], replaying: boolean): void {
    // Undecodable records are the producer's to dead-letter (ingest validates, the twin writes contracts).
    const { events, bad } = decodeRecords(batch);
    if (bad.length > 0)
      console.error(`notifier: skipped ${bad.length} undecodable records, e.g. ${bad[0]!.reason}`);
    for (const { event } of events) {
      const routed = this.model.apply(event);
      if (routed && !replaying) this.publisher?.publish(routed);
    }
  }
}
