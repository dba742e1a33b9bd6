import { randomUUID } from 'node:crypto';
import {
  CompressionTypes,
  Kafka,
  logLevel,
  type Admin,
  type Consumer as KafkaConsumer,
  type EachBatchPayload,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import { partitionFor } from './partitioner';
import {
  LogUnavailableError,
  UnknownStreamError,
  type AppendRecord,
  type Appended,
  type ConsumeOptions,
  type Consumer,
  type EventLog,
  type LogRecord,
  type PartitionOffset,
  type PartitionRange,
  type RangeReader,
  type StreamSpec,
} from './port';

export interface KafkaLogOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Replication factor of the topics this log creates; -1 takes the broker's default. */
  readonly replicationFactor?: number;
  readonly compression?: 'none' | 'gzip';
  /** An append that has not been acknowledged by then fails (→ 503), instead of hanging the caller. */
  readonly appendTimeoutMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly logLevel?: 'nothing' | 'error' | 'warn' | 'info';
}

const levels = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
} as const;

/**
 * The event log on Apache Kafka (kafkajs). One topic per stream. Appends use an idempotent
 * producer with acks=all, so a retried send is written once; the partition is chosen with the same
 * murmur2 function as Kafka's default partitioner (and the embedded log). Consumers use `eachBatch`
 * and commit a batch's offsets only after the handler's promise resolves.
 */
/** Characters of keys and values per produce request: half the broker's 1 MiB batch limit, room for multi-byte UTF-8. */
const SEND_BYTES = 512 * 1024;

/** A range reader keeps fetching a partition until this much is queued (see `openReader`). */
const READER_QUEUE_BYTES = 8 * 1024 * 1024;

export class KafkaEventLog implements EventLog {
  private readonly kafka: Kafka;
  private readonly partitions = new Map<string, number>();
  private readonly consumers = new Set<KafkaStreamConsumer>();
  private admin: Promise<Admin> | null = null;
  /**
   * One idempotent producer per stream: each sends one request at a time (maxInFlightRequests 1,
   * which keeps a partition's order across retries), so with one for all, an alert waited behind
   * whatever telemetry batch was in flight.
   */
  private readonly producers = new Map<string, Promise<Producer>>();
  private closed = false;

  constructor(private readonly options: KafkaLogOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: levels[options.logLevel ?? 'nothing'],
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    });
  }

  /** @internal */
  get client(): Kafka {
    return this.kafka;
  }

  private getAdmin(): Promise<Admin> {
    this.assertOpen();
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((e: unknown) => {
      this.admin = null;
      throw unavailable(e);
    });
    return this.admin;
  }

  private getProducer(stream: string): Promise<Producer> {
    this.assertOpen();
    const existing = this.producers.get(stream);
    if (existing) return existing;
    const created = (async () => {
      // idempotent: the broker drops a retried batch it already has, so retries cannot duplicate.
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      return producer;
    })().catch((e: unknown) => {
      if (this.producers.get(stream) === created) this.producers.delete(stream);
      throw unavailable(e);
    });
    this.producers.set(stream, created);
    return created;
  }

  async ensureStreams(specs: readonly StreamSpec[]): Promise<void> {
    const admin = await this.getAdmin();
    const existing = new Set(await retrying(() => admin.listTopics()));
    const missing = specs.filter((s) => !existing.has(s.name));
    for (const s of specs) {
      if (!Number.isInteger(s.partitions) || s.partitions < 1) {
        throw new RangeError(
          `stream '${s.name}': partitions must be a positive integer, got ${s.partitions}`,
        );
      }
    }
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: this.options.replicationFactor ?? -1,
          configEntries:
            s.retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(s.retentionMs) }],
        })),
      });
    }
  }

  private async partitionCount(stream: string): Promise<number> {
    const cached = this.partitions.get(stream);
    if (cached !== undefined) return cached;
    const admin = await this.getAdmin();
    if (!(await admin.listTopics()).includes(stream)) throw new UnknownStreamError(stream);
    const { topics } = await admin.fetchTopicMetadata({ topics: [stream] });
    const n = topics[0]?.partitions.length ?? 0;
    if (n === 0) throw new UnknownStreamError(stream);
    this.partitions.set(stream, n);
    return n;
  }

  async append(stream: string, records: readonly AppendRecord[]): Promise<readonly Appended[]> {
    if (records.length === 0) return [];
    const timeoutMs = this.options.appendTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const attempt = this.appendOnce(stream, records);
    attempt.catch(() => undefined);
    try {
      return await Promise.race([
        attempt,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new LogUnavailableError(`Kafka did not acknowledge the write within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (e) {
      // Keep the idempotent producer across ordinary failures (a broker restart): a client's retry then
      // reuses its producer id and the broker drops a batch it already has. Start afresh only when the
      // producer's state is unknown (we stopped waiting for a send) or the broker rejected it.
      if (
        e instanceof LogUnavailableError ||
        /PRODUCER_FENCED|PRODUCER_EPOCH|OUT_OF_ORDER_SEQUENCE|UNKNOWN_PRODUCER/i.test(String(e))
      ) {
        this.resetProducer(stream);
      }
      throw unavailable(e);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The broker takes at most `message.max.bytes` (1 MiB by default) per partition's batch: a large
   * request goes as several sends of at most SEND_BYTES each, one after another (order kept).
   */
  private async appendOnce(stream: string, records: readonly AppendRecord[]): Promise<readonly Appended[]> {
    const out: Appended[] = [];
    let from = 0;
    while (from < records.length) {
      let bytes = 0;
      let to = from;
      while (to < records.length && (to === from || bytes + records[to]!.value.length <= SEND_BYTES)) {
        bytes += records[to]!.value.length + records[to]!.key.length;
        to++;
      }
      out.push(
        ...(await this.sendOnce(
          stream,
          from === 0 && to === records.length ? records : records.slice(from, to),
        )),
      );
      from = to;
    }
    return out;
  }

  private async sendOnce(stream: string, records: readonly AppendRecord[]): Promise<readonly Appended[]> {
    const n = await this.partitionCount(stream);
    const producer = await this.getProducer(stream);
    const partitionOf = records.map((r) => partitionFor(r.key, n));
    const metadata = await producer.send({
      topic: stream,
      acks: -1,
      compression: this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: records.map((r, i) => ({
        key: r.key,
        value: r.value,
        timestamp: String(r.timestamp),
        partition: partitionOf[i]!,
      })),
    });
    const next = new Map(metadata.map((m) => [m.partition, Number(m.baseOffset)]));
    return partitionOf.map((partition) => {
      const offset = next.get(partition)!;
      next.set(partition, offset + 1);
      return { partition, offset };
    });
  }

  private resetProducer(stream: string): void {
    const old = this.producers.get(stream);
    this.producers.delete(stream);
    void old?.then((p) => p.disconnect()).catch(() => undefined);
  }

  async read(
    stream: string,
    partition: number,
    offset: number,
    limit: number,
  ): Promise<readonly LogRecord[]> {
    const end = (await this.endOffsets(stream)).find((e) => e.partition === partition)?.offset ?? 0;
    const until = Math.min(end, offset + limit);
    if (offset >= until) return [];
    // One range through the range reader (a throwaway consumer group: kafkajs has no manual assignment).
    const reader = await this.openReader(stream, [{ partition, from: offset, to: until }], until - offset);
    const out: LogRecord[] = [];
    try {
      for (let batch = await reader.next(partition); batch.length > 0; batch = await reader.next(partition))
        out.push(...batch);
    } finally {
      await reader.close();
    }
    return out;
  }

  /**
   * One throwaway consumer reads every range; each partition's records queue up until `next`
   * takes them, and a partition whose queue holds `chunk` records or more — and at least
   * READER_QUEUE_BYTES — is paused until it is drained, so memory stays bounded while the reader
   * merges partitions at its own pace. (Pausing at `chunk` small records alone paused a partition
   * after nearly every fetch, and the reader waited on the fetch loop rather than working.)
   */
  async openReader(stream: string, ranges: readonly PartitionRange[], chunk = 10_000): Promise<RangeReader> {
    const live = ranges.filter((r) => r.from < r.to);
    const queues = new Map(
      live.map((r) => [r.partition, { range: r, records: [] as LogRecord[], bytes: 0, done: false }]),
    );
    const waiting = new Map<number, () => void>();
    let failure: Error | null = null;
    const wake = (partition: number) => {
      waiting.get(partition)?.();
      waiting.delete(partition);
    };
    if (live.length === 0) return { next: async () => [], close: async () => undefined };
    const groupId = `${this.options.clientId}-reader-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    const paused = new Set<number>();
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: stream, fromBeginning: true });
    } catch (e) {
      await consumer.disconnect().catch(() => undefined);
      throw unavailable(e);
    }
    let sought = false;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (sought) return;
      sought = true;
      for (const r of live) consumer.seek({ topic: stream, partition: r.partition, offset: String(r.from) });
      // partitions with nothing to read are not fetched at all
      const idle = (payload.memberAssignment[stream] ?? []).filter((p) => !queues.has(p));
      if (idle.length > 0) consumer.pause([{ topic: stream, partitions: idle }]);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      failure = unavailable(e.payload.error);
      for (const p of queues.keys()) wake(p);
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const q = queues.get(batch.partition);
        if (!q || q.done) return;
        for (const m of batch.messages) {
          const o = Number(m.offset);
          if (o < q.range.from) continue;
          if (o < q.range.to) {
            const record = toRecord(stream, batch.partition, m);
            q.records.push(record);
            q.bytes += record.value.length;
          }
          if (o >= q.range.to - 1) {
            q.done = true;
            break;
          }
        }
        if (q.done || (q.records.length >= chunk && q.bytes >= READER_QUEUE_BYTES)) {
          paused.add(batch.partition);
          consumer.pause([{ topic: stream, partitions: [batch.partition] }]);
        }
        wake(batch.partition);
      },
    });
    return {
      next: async (partition) => {
        const q = queues.get(partition);
        if (!q) return [];
        while (q.records.length === 0 && !q.done) {
          if (failure) throw failure;
          await new Promise<void>((resolve) => waiting.set(partition, resolve));
        }
        if (failure) throw failure;
        const out = q.records.splice(0, q.records.length);
        q.bytes = 0;
        if (!q.done && paused.delete(partition))
          consumer.resume([{ topic: stream, partitions: [partition] }]);
        return out;
      },
      close: async () => {
        await consumer.disconnect().catch(() => undefined);
        await (await this.getAdmin()).deleteGroups([groupId]).catch(() => undefined);
      },
    };
  }

  async endOffsets(stream: string): Promise<readonly PartitionOffset[]> {
    await this.partitionCount(stream);
    const admin = await this.getAdmin();
    const offsets = await retrying(() => admin.fetchTopicOffsets(stream));
    return offsets
      .map((o) => ({ partition: o.partition, offset: Number(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async offsetsForTimestamp(stream: string, timestamp: number): Promise<readonly PartitionOffset[]> {
    const ends = new Map((await this.endOffsets(stream)).map((e) => [e.partition, e.offset]));
    const admin = await this.getAdmin();
    const found = await retrying(() => admin.fetchTopicOffsetsByTimestamp(stream, timestamp));
    // Kafka answers -1 where no record is that recent: the position is then the end of the partition.
    return found
      .map((f) => ({
        partition: f.partition,
        offset: Number(f.offset) < 0 ? (ends.get(f.partition) ?? 0) : Number(f.offset),
      }))
      .sort((a, b) => a.partition - b.partition);
  }

  async committedOffsets(group: string, stream: string): Promise<readonly PartitionOffset[]> {
    const admin = await this.getAdmin();
    const result = await retrying(() => admin.fetchOffsets({ groupId: group, topics: [stream] }));
    return (result[0]?.partitions ?? [])
      .filter((p) => Number(p.offset) >= 0)
      .map((p) => ({ partition: p.partition, offset: Number(p.offset) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    for (const s of options.streams) await this.partitionCount(s);
    const committed = new Map<string, number>();
    for (const s of options.streams) {
      for (const c of await this.committedOffsets(options.group, s))
        committed.set(`${s}/${c.partition}`, c.offset);
    }
    const consumer = new KafkaStreamConsumer(
      this.kafka.consumer({
        groupId: options.group,
        sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
        heartbeatInterval: 1000,
        maxWaitTimeInMs: 100,
        allowAutoTopicCreation: false,
      }),
      options,
      committed,
      () => this.consumers.delete(consumer),
    );
    this.consumers.add(consumer);
    await consumer.start();
    return consumer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.stop()));
    const admin = this.admin;
    await Promise.all([
      ...[...this.producers.values()].map((p) => p.then((x) => x.disconnect()).catch(() => undefined)),
      admin?.then((a) => a.disconnect()).catch(() => undefined),
    ]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the Kafka event log is closed');
  }
}

class KafkaStreamConsumer implements Consumer {
  private stopped = false;
  private inFlight: Promise<void> | null = null;
  private assigning: Promise<void> = Promise.resolve();
  private readonly seen = new Set<string>();

  constructor(
    private readonly consumer: KafkaConsumer,
    private readonly options: ConsumeOptions,
    private readonly committed: Map<string, number>,
    private readonly onStop: () => void,
  ) {}

  async start(): Promise<void> {
    const { streams, startFrom = 'committed-or-beginning' } = this.options;
    try {
      await this.consumer.connect();
      for (const topic of streams)
        await this.consumer.subscribe({ topic, fromBeginning: startFrom !== 'committed-or-end' });
    } catch (e) {
      throw unavailable(e);
    }
    // consume() resolves once this member has its partitions, so nothing appended afterwards is missed.
    const joined = new Promise<void>((resolve) => {
      const remove = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
    const onAssignment = this.options.onAssignment;
    if (onAssignment) {
      this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
        const assigned = Object.entries(payload.memberAssignment).flatMap(([stream, partitions]) =>
          partitions.map((partition) => ({ stream, partition })),
        );
        // eachBatch waits for this, so the handler never sees a partition before it is announced.
        this.assigning = Promise.resolve(onAssignment(assigned)).catch((e: unknown) =>
          this.options.onError?.(e, []),
        );
      });
    }
    const startAt = this.options.startAt;
    if (startFrom === 'beginning' || (startAt && startAt.size > 0)) {
      // The first time this member is given a partition: a snapshot's offset if there is one,
      // else 0 for rebuilding consumers; later rebalances keep Kafka's committed position.
      this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
        for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
          for (const partition of partitions) {
            const key = `${topic}/${partition}`;
            if (this.seen.has(key)) continue;
            this.seen.add(key);
            const at = startAt?.get(key) ?? (startFrom === 'beginning' ? 0 : undefined);
            if (at !== undefined) this.consumer.seek({ topic, partition, offset: String(at) });
          }
        }
      });
    }
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        await this.assigning;
        const work = this.handleBatch(payload);
        this.inFlight = work;
        try {
          await work;
        } finally {
          this.inFlight = null;
        }
      },
    });
    const joinTimeoutMs = 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      joined,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new LogUnavailableError(`Kafka: no partitions assigned within ${joinTimeoutMs} ms`)),
          joinTimeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** One fetched batch: handled in chunks of maxBatchSize, each committed once its effects are durable. */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const records = batch.messages.map((m) => toRecord(batch.topic, batch.partition, m));
    const size = this.options.maxBatchSize ?? records.length;
    for (let from = 0; from < records.length; from += size) {
      const chunk = records.slice(from, from + size);
      if (!(await this.handleWithRetry(chunk, payload))) return;
      const last = chunk[chunk.length - 1]!;
      payload.resolveOffset(String(last.offset));
      const key = `${batch.topic}/${batch.partition}`;
      const next = last.offset + 1;
      // Commits never move backwards: a rebuilding member re-reads records committed long ago.
      if (next > (this.committed.get(key) ?? -1)) {
        await this.consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: String(next) },
        ]);
        this.committed.set(key, next);
      }
      await payload.heartbeat();
    }
  }

  /** Runs the handler until it succeeds; false when the consumer stopped or lost the partition first. */
  private async handleWithRetry(records: readonly LogRecord[], payload: EachBatchPayload): Promise<boolean> {
    for (;;) {
      if (this.stopped || !payload.isRunning() || payload.isStale()) return false;
      try {
        await this.options.handler(records);
        return true;
      } catch (error) {
        this.options.onError?.(error, records);
        await new Promise((r) => setTimeout(r, this.options.retryDelayMs ?? 1000));
        await payload.heartbeat();
      }
    }
  }

  /** Lets the batch in flight finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.inFlight?.catch(() => undefined);
    await this.consumer.disconnect().catch(() => undefined);
    this.onStop();
  }
}

function toRecord(stream: string, partition: number, m: KafkaMessage): LogRecord {
  return {
    stream,
    partition,
    offset: Number(m.offset),
    key: m.key?.toString('utf8') ?? '',
    value: m.value?.toString('utf8') ?? '',
    timestamp: Number(m.timestamp),
  };
}

/**
 * Retries what Kafka calls retriable (a coordinator still loading on a fresh broker, a leader
 * election) for up to ~15 s; anything else, or a persistent failure, is the log being unavailable.
 */
async function retrying<T>(call: () => Promise<T>, deadlineMs = 15_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const retriable = (e as { retriable?: boolean }).retriable === true;
      if (!retriable || Date.now() > deadline) throw unavailable(e);
      await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt)));
    }
  }
}

function unavailable(e: unknown): Error {
  if (e instanceof LogUnavailableError || e instanceof UnknownStreamError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new LogUnavailableError(`Kafka: ${message}`);
}
