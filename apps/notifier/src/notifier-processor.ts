import { Logger } from '@nestjs/common';
import { Streams } from '@vgpu-twin/contracts';
import { consumeRebuilding, type Consumer, type EventLog, type LogRecord } from '@vgpu-twin/event-log';
import { decodeRecords } from '@vgpu-twin/service-kit';
import type { DashboardReadModel, Routed } from './read-model';

const logger = new Logger('Notifier');

export interface Publisher {
  /** A live event for its rooms, with its place in its stream. */
  publish(routed: Routed, position: { stream: string; offset: number }): void;
  /** Every record applied, pushed or not (a rebuild included): where a stream's pushes have got to. */
  applied?(stream: string, nextOffset: number): void;
}

/**
 * Consumes inventory, twin output and alerts into the dashboard's read model and pushes live
 * events to socket.io rooms. On start it rebuilds the read model from the log without re-pushing
 * what was already delivered.
 */
export class NotifierProcessor {
  private consumers: Consumer[] = [];
  private publisher: Publisher | null = null;

  constructor(
    private readonly log: EventLog,
    readonly model: DashboardReadModel,
    private readonly group: string,
  ) {}

  attach(publisher: Publisher): void {
    this.publisher = publisher;
  }

  /** The inventory first (so twin output always finds its GPU and VM), then twin output and alerts. */
  async start(timeoutMs = 60_000): Promise<void> {
    const onError = (e: unknown) =>
      logger.error(`batch failed, will retry: ${e instanceof Error ? e.message : String(e)}`);
    const handler = (batch: readonly LogRecord[], replaying: boolean) =>
      Promise.resolve(this.handle(batch, replaying));
    // Two groups: Kafka shares a group's partitions among members, whatever each subscribed to.
    const phases: [string, string[]][] = [
      [`${this.group}.inventory`, [Streams.inventory]],
      [this.group, [Streams.alerts, Streams.twin]],
    ];
    for (const [group, streams] of phases) {
      this.consumers.push(
        await consumeRebuilding(this.log, { group, streams, handler, onError, catchUpTimeoutMs: timeoutMs }),
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    this.consumers = [];
  }

  private handle(batch: readonly LogRecord[], replaying: boolean): void {
    // Undecodable records are the producer's to dead-letter (ingest validates, the twin writes contracts).
    const { events, bad } = decodeRecords(batch);
    if (bad.length > 0) logger.warn(`skipped ${bad.length} undecodable records, e.g. ${bad[0]!.reason}`);
    for (const { record, event } of events) {
      const routed = this.model.apply(event);
      if (routed && !replaying)
        this.publisher?.publish(routed, { stream: record.stream, offset: record.offset });
    }
    const last = batch[batch.length - 1];
    if (last) this.publisher?.applied?.(last.stream, last.offset + 1);
  }
}
