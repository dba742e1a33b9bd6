/**
 * The one port every service talks to the log through. Two implementations: the embedded SQLite
 * log (default, one machine) and Kafka (distributed). Both pass the same contract suite
 * (`testing/event-log-contract.ts`).
 *
 * Records carry opaque text values: decoding into contract types happens at each consumer, so an
 * undecodable message can be sent to the dead-letter stream instead of stopping the consumer.
 */
export interface StreamSpec {
  readonly name: string;
  readonly partitions: number;
  /** How long records are kept (Kafka `retention.ms`, counted from each record's timestamp); -1 or undefined keeps them forever. The embedded log keeps everything. */
  readonly retentionMs?: number;
}

export interface AppendRecord {
  readonly key: string;
  readonly value: string;
  /** Event time in ms since the epoch (Kafka's CreateTime). */
  readonly timestamp: number;
}

export interface LogRecord extends AppendRecord {
  readonly stream: string;
  readonly partition: number;
  readonly offset: number;
}

export interface PartitionOffset {
  readonly partition: number;
  /** For end offsets and committed offsets: the next offset to read. */
  readonly offset: number;
}

export interface Appended {
  readonly partition: number;
  readonly offset: number;
}

export type StartFrom = 'committed-or-beginning' | 'committed-or-end' | 'beginning';

export interface ConsumeOptions {
  /** Consumer group: committed offsets are kept per group. */
  readonly group: string;
  /** Streams to read, in priority order: earlier streams are drained first when both have data. */
  readonly streams: readonly string[];
  /** Where to start in a partition. Default `committed-or-beginning`. */
  readonly startFrom?: StartFrom;
  /**
   * Exact start offsets that override `startFrom`, keyed `stream/partition` (a snapshot's
   * offsets: the state already covers everything before them).
   */
  readonly startAt?: ReadonlyMap<string, number>;
  readonly maxBatchSize?: number;
  /**
   * Called with records of one stream partition, in offset order. Offsets are committed only after
   * the returned promise resolves, so effects must be durable by then (at-least-once delivery).
   * Commits never move a group's offset backwards (a consumer re-reading old records to rebuild
   * state must not un-commit them).
   */
  readonly handler: (batch: readonly LogRecord[]) => Promise<void>;
  /** A failed handler is retried after this delay; the error is passed to onError. */
  readonly retryDelayMs?: number;
  readonly onError?: (error: unknown, batch: readonly LogRecord[]) => void;
  /**
   * Told which partitions this member holds, when it first gets them and after every rebalance
   * (Kafka's consumer group; the embedded log's one member holds them all). Records of a
   * partition are handed to `handler` only after the call that assigned it has returned (or
   * settled, when it returns a promise).
   */
  readonly onAssignment?: (assigned: readonly StreamPartition[]) => void | Promise<void>;
}

export interface StreamPartition {
  readonly stream: string;
  readonly partition: number;
}

export interface Consumer {
  /** Stops after the batch in flight; its offsets are committed if it succeeded. */
  stop(): Promise<void>;
}

/** Offsets [from, to) of one partition. */
export interface PartitionRange {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
}

/**
 * Pulls records of several partitions of one stream, each partition at its own pace, so a reader
 * can merge them in bounded memory (a replay of a day of telemetry does not fit in memory at once).
 */
export interface RangeReader {
  /** The next records of `partition` within its range, in offset order; empty once it is done. */
  next(partition: number): Promise<readonly LogRecord[]>;
  close(): Promise<void>;
}

export interface EventLog {
  /** Creates the streams that are missing. Existing streams keep their partition count. */
  ensureStreams(specs: readonly StreamSpec[]): Promise<void>;
  /** Appends in order; resolves only when the log has made the records durable. */
  append(stream: string, records: readonly AppendRecord[]): Promise<readonly Appended[]>;
  /** Reads up to `limit` records of one partition starting at `offset`. */
  read(stream: string, partition: number, offset: number, limit: number): Promise<readonly LogRecord[]>;
  /** Reads the given ranges of a stream's partitions; about `chunk` records per `next` call. */
  openReader(stream: string, ranges: readonly PartitionRange[], chunk?: number): Promise<RangeReader>;
  /** The next offset to be written, per partition. */
  endOffsets(stream: string): Promise<readonly PartitionOffset[]>;
  /** The first offset whose timestamp is ≥ `timestamp`, per partition (end offset when none). */
  offsetsForTimestamp(stream: string, timestamp: number): Promise<readonly PartitionOffset[]>;
  committedOffsets(group: string, stream: string): Promise<readonly PartitionOffset[]>;
  consume(options: ConsumeOptions): Promise<Consumer>;
  close(): Promise<void>;
}

/** The log is down or refused the write: callers answer 503 and the client retries. */
export class LogUnavailableError extends Error {
  override readonly name = 'LogUnavailableError';
}

/** A stream that was never created. */
export class UnknownStreamError extends Error {
  override readonly name = 'UnknownStreamError';
  constructor(readonly stream: string) {
    super(`stream '${stream}' does not exist; create it with ensureStreams first`);
  }
}
