import { Logger } from '@nestjs/common';
import {
  decide,
  evolve,
  initialBook,
  tick,
  type BookConfig,
  type BookInput,
  type BookState,
  type Decision,
} from '@vgpu-twin/alerting';
import { Streams, partitionKey, type DomainEvent, type LifecycleEvent } from '@vgpu-twin/contracts';
import type { Consumer, EventLog, LogRecord } from '@vgpu-twin/event-log';
import { appendEvents, decodeRecords, deadLetter } from '@vgpu-twin/service-kit';

const logger = new Logger('AlertLifecycle');

export interface DeciderOptions {
  /** Shared by every notifier instance: the alerts stream has one partition, so one decides at a time. */
  readonly group: string;
  readonly config: BookConfig;
  readonly tickMs: number;
  readonly workloadOf: (vmId: string) => string | undefined;
  /** The clock: decisions are stamped with it (tests pass their own). */
  readonly now?: () => number;
}

/**
 * The one writer of the lifecycle stream's decisions. It reads the alerts stream (the twin's
 * alerts and operators' commands, one partition: one order) in a consumer group shared by every
 * notifier instance, so exactly one instance decides at a time and another takes over on a
 * rebalance. Taking the partition, it rebuilds its book from the lifecycle stream (what was
 * decided before, by whichever instance) and goes on from the group's committed offset; an input
 * re-read after a crash decides nothing new (the book knows it). Every `tickMs` it lets time
 * decide: silences' ends, flapping, notifications due.
 */
export class LifecycleDecider {
  private consumer: Consumer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private book: BookState | null = null;
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly log: EventLog,
    private readonly options: DeciderOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Whether this instance decides now (holds the alerts partition). */
  get active(): boolean {
    return this.book !== null;
  }

  async start(): Promise<void> {
    this.consumer = await this.log.consume({
      group: this.options.group,
      streams: [Streams.alerts],
      startFrom: 'committed-or-beginning',
      onAssignment: (assigned) =>
        this.serial(async () => {
          const holds = assigned.some((a) => a.stream === Streams.alerts);
          this.book = holds ? await this.rebuild() : null;
          logger.log(
            holds
              ? 'deciding the alert lifecycle (this instance holds the alerts stream)'
              : 'standing by: another instance decides',
          );
        }),
      handler: (batch) => this.serial(() => this.apply(batch)),
      onError: (e) =>
        logger.error(
          `alert lifecycle batch failed, will retry: ${e instanceof Error ? e.message : String(e)}`,
        ),
    });
    this.timer = setInterval(() => {
      void this.serial(() => this.onTick()).catch((e: unknown) =>
        logger.error(`alert lifecycle tick failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    }, this.options.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.consumer?.stop();
    this.consumer = null;
    await this.queue.catch(() => undefined);
    this.book = null;
  }

  /** Runs one step after the previous: inputs, ticks and rebuilds never interleave. */
  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async rebuild(): Promise<BookState> {
    const book = initialBook(this.options.config);
    let folded = 0;
    for (const { partition, offset: end } of await this.log.endOffsets(Streams.lifecycle)) {
      for (let from = 0; from < end;) {
        const records = await this.log.read(Streams.lifecycle, partition, from, Math.min(5000, end - from));
        if (records.length === 0) break;
        for (const { event } of decodeRecords(records).events) {
          evolve(book, event as LifecycleEvent);
          folded++;
        }
        from = records[records.length - 1]!.offset + 1;
      }
    }
    if (folded > 0)
      logger.log(
        `rebuilt the alert lifecycle from ${folded} events: ${book.alerts.size} open alerts, ${book.silences.size} silences`,
      );
    return book;
  }

  private async apply(batch: readonly LogRecord[]): Promise<void> {
    const book = this.book;
    if (!book) throw new Error('records of a partition this instance does not hold');
    const { events, bad } = decodeRecords(batch);
    await deadLetter(this.log, 'notifier:decider', bad);
    const decisions: Decision[] = [];
    for (const { event } of events) {
      if (!isInput(event)) continue;
      decisions.push(decide(book, event, { now: this.now(), workloadOf: this.options.workloadOf }));
    }
    await this.write(decisions);
  }

  private async onTick(): Promise<void> {
    if (!this.book) return;
    await this.write([tick(this.book, this.now())]);
  }

  /**
   * The lifecycle events, then the notifications they queue. Both resolve before the input's
   * offset is committed; a crash in between repeats the write with the same ids (readers drop
   * duplicates by id).
   */
  private async write(decisions: readonly Decision[]): Promise<void> {
    const lifecycle = decisions.flatMap((d) => d.lifecycle);
    const notifications = decisions.flatMap((d) => d.notifications);
    if (lifecycle.length > 0)
      await appendEvents(this.log, new Map([[Streams.lifecycle, lifecycle]]), partitionKey);
    if (notifications.length > 0)
      await appendEvents(this.log, new Map([[Streams.notifications, notifications]]), partitionKey);
  }
}

const INPUTS: ReadonlySet<DomainEvent['type']> = new Set<BookInput['type']>([
  'alert.raised',
  'alert.resolved',
  'placement.suggested',
  'operator.acknowledged',
  'operator.silence_created',
  'operator.silence_expired',
]);

function isInput(e: DomainEvent): e is BookInput {
  return INPUTS.has(e.type);
}
