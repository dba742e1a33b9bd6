import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { partitionFor } from './partitioner';
import {
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

export interface EmbeddedLogOptions {
  /** The SQLite file. Several processes may open the same file. */
  readonly file: string;
  /** How often consumers look for records appended by other processes. */
  readonly pollIntervalMs?: number;
  /** `FULL` fsyncs every append (nothing acknowledged is lost on power failure); `NORMAL` only on checkpoints. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Bytes per SQLite page of a new file (default 16 KiB); a file that exists keeps its own. */
  readonly pageSize?: number;
}

interface RecordRow {
  partition: number;
  offset: number;
  key: string;
  ts: number;
  value: string;
}

/**
 * The embedded log: one SQLite file in WAL mode. Appends take a write lock (BEGIN IMMEDIATE) and
 * number records per partition from the file itself, so processes sharing the file never reuse an
 * offset. In-process consumers wake on append; consumers in other processes poll.
 *
 * Consumer groups keep committed offsets in the file. One member per group is supported: a
 * second member of the same group would read the same partitions (Kafka's rebalancing is what the
 * Kafka adapter is for).
 */
export class EmbeddedEventLog implements EventLog {
  private readonly db: Database.Database;
  private readonly appended = new EventEmitter();
  private readonly pollIntervalMs: number;
  private readonly partitionsCache = new Map<string, number>();
  private readonly consumers = new Set<EmbeddedConsumer>();
  private closed = false;
  private readonly stmts: ReturnType<EmbeddedEventLog['prepare']>;

  constructor(options: EmbeddedLogOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    // A new file only (an existing one keeps its page size). Records are kept in a WITHOUT ROWID
    // table, whose rows spill into an overflow page of their own past ~1/16 of a page: with 4 KiB
    // pages a packed record of one GPU's samples (~1.3 kB) took 4.7 kB on disk, with 16 KiB ~1.4 kB.
    this.db.pragma(`page_size = ${options.pageSize ?? 16_384}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS streams (name TEXT PRIMARY KEY, partitions INTEGER NOT NULL, retention_ms INTEGER);
      CREATE TABLE IF NOT EXISTS records (
        stream TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
        key TEXT NOT NULL, ts INTEGER NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (stream, partition, offset)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS records_by_time ON records (stream, partition, ts);
      CREATE TABLE IF NOT EXISTS group_offsets (
        grp TEXT NOT NULL, stream TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
        PRIMARY KEY (grp, stream, partition)) WITHOUT ROWID;
    `);
    this.stmts = this.prepare();
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.appended.setMaxListeners(0);
  }

  private prepare() {
    const db = this.db;
    return {
      stream: db.prepare<[string], { partitions: number }>('SELECT partitions FROM streams WHERE name = ?'),
      createStream: db.prepare(
        'INSERT OR IGNORE INTO streams (name, partitions, retention_ms) VALUES (?, ?, ?)',
      ),
      maxOffset: db.prepare<[string, number], { m: number | null }>(
        'SELECT MAX(offset) AS m FROM records WHERE stream = ? AND partition = ?',
      ),
      insert: db.prepare(
        'INSERT INTO records (stream, partition, offset, key, ts, value) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      read: db.prepare<[string, number, number, number], RecordRow>(
        'SELECT partition, offset, key, ts, value FROM records WHERE stream = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?',
      ),
      firstAtOrAfter: db.prepare<[string, number, number], { m: number | null }>(
        'SELECT MIN(offset) AS m FROM records WHERE stream = ? AND partition = ? AND ts >= ?',
      ),
      committed: db.prepare<[string, string], PartitionOffset>(
        'SELECT partition, offset FROM group_offsets WHERE grp = ? AND stream = ? ORDER BY partition',
      ),
      commit: db.prepare(
        'INSERT INTO group_offsets (grp, stream, partition, offset) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (grp, stream, partition) DO UPDATE SET offset = MAX(offset, excluded.offset)',
      ),
    };
  }

  async ensureStreams(specs: readonly StreamSpec[]): Promise<void> {
    this.assertOpen();
    this.db.transaction(() => {
      for (const s of specs) {
        if (!Number.isInteger(s.partitions) || s.partitions < 1) {
          throw new RangeError(
            `stream '${s.name}': partitions must be a positive integer, got ${s.partitions}`,
          );
        }
        this.stmts.createStream.run(s.name, s.partitions, s.retentionMs ?? null);
      }
    })();
  }

  private partitions(stream: string): number {
    const cached = this.partitionsCache.get(stream);
    if (cached !== undefined) return cached;
    const row = this.stmts.stream.get(stream);
    if (!row) throw new UnknownStreamError(stream);
    this.partitionsCache.set(stream, row.partitions);
    return row.partitions;
  }

  async append(stream: string, records: readonly AppendRecord[]): Promise<readonly Appended[]> {
    this.assertOpen();
    if (records.length === 0) return [];
    const partitions = this.partitions(stream);
    const { maxOffset, insert } = this.stmts;
    const write = this.db.transaction((): Appended[] => {
      const next = new Map<number, number>();
      return records.map((r) => {
        const partition = partitionFor(r.key, partitions);
        let offset = next.get(partition);
        if (offset === undefined) offset = (maxOffset.get(stream, partition)?.m ?? -1) + 1;
        next.set(partition, offset + 1);
        insert.run(stream, partition, offset, r.key, r.timestamp, r.value);
        return { partition, offset };
      });
    });
    const result = write.immediate();
    this.appended.emit('append', stream);
    return result;
  }

  async read(
    stream: string,
    partition: number,
    offset: number,
    limit: number,
  ): Promise<readonly LogRecord[]> {
    this.assertOpen();
    this.partitions(stream);
    const rows = this.stmts.read.all(stream, partition, offset, limit);
    return rows.map((r) => ({
      stream,
      partition: r.partition,
      offset: r.offset,
      key: r.key,
      timestamp: r.ts,
      value: r.value,
    }));
  }

  async openReader(stream: string, ranges: readonly PartitionRange[], chunk = 10_000): Promise<RangeReader> {
    this.assertOpen();
    this.partitions(stream);
    const at = new Map(ranges.map((r) => [r.partition, r]));
    return {
      next: async (partition) => {
        const r = at.get(partition);
        if (!r || r.from >= r.to) return [];
        const records = await this.read(stream, partition, r.from, Math.min(chunk, r.to - r.from));
        // an offset past the end of the partition ends its range
        at.set(partition, { ...r, from: records.length ? records[records.length - 1]!.offset + 1 : r.to });
        return records;
      },
      close: async () => undefined,
    };
  }

  private endOffsetsSync(stream: string): PartitionOffset[] {
    const n = this.partitions(stream);
    return Array.from({ length: n }, (_, partition) => ({
      partition,
      offset: (this.stmts.maxOffset.get(stream, partition)?.m ?? -1) + 1,
    }));
  }

  async endOffsets(stream: string): Promise<readonly PartitionOffset[]> {
    this.assertOpen();
    return this.endOffsetsSync(stream);
  }

  async offsetsForTimestamp(stream: string, timestamp: number): Promise<readonly PartitionOffset[]> {
    this.assertOpen();
    return this.endOffsetsSync(stream).map(({ partition, offset: end }) => ({
      partition,
      offset: this.stmts.firstAtOrAfter.get(stream, partition, timestamp)?.m ?? end,
    }));
  }

  async committedOffsets(group: string, stream: string): Promise<readonly PartitionOffset[]> {
    this.assertOpen();
    return this.stmts.committed.all(group, stream);
  }

  /** @internal used by consumers */
  /** One transaction for a consumer pass's offsets (one fsync instead of one per partition). */
  commitMany(group: string, offsets: readonly { stream: string; partition: number; offset: number }[]): void {
    if (this.closed) return;
    this.db.transaction(() => {
      for (const o of offsets) this.stmts.commit.run(group, o.stream, o.partition, o.offset);
    })();
  }

  commitSync(group: string, stream: string, partition: number, offset: number): void {
    this.stmts.commit.run(group, stream, partition, offset);
  }

  /** @internal used by consumers */
  positions(
    group: string,
    stream: string,
    startFrom: ConsumeOptions['startFrom'],
    startAt?: ConsumeOptions['startAt'],
  ): Map<number, number> {
    const committed = new Map(this.stmts.committed.all(group, stream).map((c) => [c.partition, c.offset]));
    const ends = this.endOffsetsSync(stream);
    return new Map(
      ends.map(({ partition, offset: end }) => {
        const fallback = startFrom === 'committed-or-end' ? end : 0;
        const start = startFrom === 'beginning' ? 0 : (committed.get(partition) ?? fallback);
        return [partition, startAt?.get(`${stream}/${partition}`) ?? start];
      }),
    );
  }

  /** @internal resolves on the next in-process append or after the poll interval. */
  waitForData(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off('append', done);
        resolve();
      };
      const timer = setTimeout(done, this.pollIntervalMs);
      this.appended.on('append', done);
    });
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    this.assertOpen();
    for (const s of options.streams) this.partitions(s);
    const consumer = new EmbeddedConsumer(this, options);
    this.consumers.add(consumer);
    consumer.start(() => this.consumers.delete(consumer));
    return consumer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.consumers].map((c) => c.stop()));
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the embedded event log is closed');
  }
}

class EmbeddedConsumer implements Consumer {
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: EmbeddedEventLog,
    private readonly options: ConsumeOptions,
  ) {}

  start(onExit: () => void): void {
    this.loop = this.run().finally(onExit);
  }

  private async run(): Promise<void> {
    const { group, streams, handler } = this.options;
    const max = this.options.maxBatchSize ?? 1000;
    const retryDelayMs = this.options.retryDelayMs ?? 1000;
    const positions = new Map(
      streams.map((s) => [s, this.log.positions(group, s, this.options.startFrom, this.options.startAt)]),
    );
    // The one member of its group holds every partition.
    await this.options.onAssignment?.(
      streams.flatMap((stream) =>
        [...positions.get(stream)!.keys()].map((partition) => ({ stream, partition })),
      ),
    );
    // Offsets are committed after their batch was handled, together, at most every
    // COMMIT_EVERY_MS and whenever the consumer has caught up: a commit per batch was an fsync per
    // batch, a third of an all-in-one process's time at 10k samples/s (bench/RESULTS.md). A crash
    // re-delivers at most that much (delivery is at least once; consumers drop duplicates by id).
    const pending = new Map<string, { stream: string; partition: number; offset: number }>();
    let lastCommit = Date.now();
    const commit = () => {
      lastCommit = Date.now();
      if (pending.size === 0) return;
      this.log.commitMany(group, [...pending.values()]);
      pending.clear();
    };
    try {
      while (!this.stopping) {
        let progressed = false;
        for (const stream of streams) {
          const byPartition = positions.get(stream)!;
          for (const [partition, position] of byPartition) {
            if (this.stopping) return;
            const batch = await this.log.read(stream, partition, position, max);
            if (batch.length === 0) continue;
            try {
              await handler(batch);
            } catch (error) {
              this.options.onError?.(error, batch);
              await delay(retryDelayMs);
              progressed = true;
              continue;
            }
            const next = batch[batch.length - 1]!.offset + 1;
            pending.set(`${stream}\u0000${partition}`, { stream, partition, offset: next });
            if (Date.now() - lastCommit >= COMMIT_EVERY_MS) commit();
            byPartition.set(partition, next);
            progressed = true;
          }
          // Drain earlier (higher-priority) streams before moving on: inventory before telemetry.
          if (progressed) break;
        }
        if (!progressed) {
          commit(); // caught up: everything handled is committed before waiting
          await this.log.waitForData();
        }
      }
    } finally {
      commit();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }
}

/** How long handled offsets may wait to be committed together. */
const COMMIT_EVERY_MS = 100;

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
