import type { DomainEvent } from '@vgpu-twin/contracts';
import type { EventLog, LogRecord, PartitionRange, RangeReader } from '@vgpu-twin/event-log';
import { decodeRecords, type Decoded, type LogConfig } from '@vgpu-twin/service-kit';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { eventAt, type EventColumns } from './columns';
import type { ReadJob, WorkerMessage } from './read-worker';

/** One partition's slice of a stream, in the order the merge ranks streams (inventory first). */
export interface MergeRange extends PartitionRange {
  readonly stream: string;
  readonly rank: number;
}

/**
 * Records pulled from one partition at a time: bounds memory whatever the window's size. Records,
 * not events: a packed record holds up to INGEST_PACK_MAX_EVENTS (500) events, so chunks are
 * small and each record is decoded only when the merge (or a read worker) reaches it.
 */
export const READ_CHUNK = 200;
/** Events a read worker puts in one message, and how many messages a partition may have in flight. */
const EVENTS_PER_MESSAGE = 4_096;
const MESSAGES_IN_FLIGHT = 4;

/**
 * A partition's events in log order. `event`/`offset` are its head; `advance` moves past it and
 * says whether the next one is already here; otherwise `fill` waits for it (or for the end).
 */
interface Cursor {
  readonly partition: number;
  readonly rank: number;
  event: DomainEvent | undefined;
  offset: number;
  advance(): boolean;
  fill(): Promise<void>;
}

/** Events in hand for a cursor: a decoded record's, or a read worker's columns. */
interface Batch {
  readonly count: number;
  event(i: number): DomainEvent;
  offset(i: number): number;
}

const decodedBatch = (events: readonly Decoded[]): Batch => ({
  count: events.length,
  event: (i) => events[i]!.event,
  offset: (i) => events[i]!.record.offset,
});

const columnsBatch = (c: EventColumns): Batch => ({
  count: c.count,
  event: (i) => eventAt(c, i),
  offset: (i) => c.offsets[i]!,
});

/** A cursor over the batches `next` hands out, in order, until it hands out none. */
function cursorOf(r: MergeRange, next: () => Promise<Batch | undefined>): Cursor {
  let batch: Batch | undefined;
  let at = 0;
  const head = () => {
    c.event = batch!.event(at);
    c.offset = batch!.offset(at);
  };
  const c: Cursor = {
    partition: r.partition,
    rank: r.rank,
    event: undefined,
    offset: 0,
    advance: () => {
      if (batch && ++at < batch.count) {
        head();
        return true;
      }
      c.event = undefined;
      return false;
    },
    fill: async () => {
      if (batch && at < batch.count) return;
      do {
        batch = await next();
        at = 0;
      } while (batch && batch.count === 0);
      if (batch) head();
      else c.event = undefined;
    },
  };
  return c;
}

export interface MergeProgress {
  /** Records read so far, and in all. */
  (read: number, total: number): void;
}

/**
 * Feeds every event of `ranges` into `apply`, merged across partitions by (event time, stream
 * rank, partition, offset) — an order that depends only on the log's contents, so a replay is
 * deterministic whoever decodes. With `workers` > 0, read worker threads read and decode the
 * partitions (round robin) and hand over columns; with 0, this thread does it all. Either way
 * at most a few chunks per partition are in memory. Undecodable records are counted and skipped.
 */
export async function mergeLog(
  log: EventLog,
  logConfig: LogConfig,
  ranges: readonly MergeRange[],
  workers: number,
  apply: (event: DomainEvent) => void,
  progress: MergeProgress,
): Promise<{ bad: number }> {
  const total = ranges.reduce((n, r) => n + r.to - r.from, 0);
  const tally = { read: 0, bad: 0 };
  const source =
    workers > 0
      ? await workerCursors(logConfig, ranges, workers, tally, () => progress(tally.read, total))
      : await inProcessCursors(log, ranges, tally, () => progress(tally.read, total));
  try {
    const { cursors } = source;
    await Promise.all(cursors.map((c) => c.fill()));
    let live = cursors.filter((c) => c.event !== undefined);
    const before = (a: Cursor, b: Cursor): boolean => {
      const x = a.event!.ts;
      const y = b.event!.ts;
      if (x !== y) return x < y;
      if (a.rank !== b.rank) return a.rank < b.rank;
      if (a.partition !== b.partition) return a.partition < b.partition;
      return a.offset < b.offset;
    };
    while (live.length > 0) {
      let next = live[0]!;
      for (let i = 1; i < live.length; i++) if (before(live[i]!, next)) next = live[i]!;
      apply(next.event!);
      if (!next.advance()) {
        await next.fill();
        if (next.event === undefined) live = live.filter((c) => c !== next);
      }
    }
    await source.failed();
  } finally {
    await source.close();
  }
  return { bad: tally.bad };
}

interface CursorSource {
  readonly cursors: Cursor[];
  /** Rejects with a reader's failure, if any happened after the last event was handed over. */
  failed(): Promise<void>;
  close(): Promise<void>;
}

/** This thread reads and decodes, one record at a time as the merge reaches it. */
async function inProcessCursors(
  log: EventLog,
  ranges: readonly MergeRange[],
  tally: { read: number; bad: number },
  onRead: () => void,
): Promise<CursorSource> {
  const readers = new Map<string, RangeReader>();
  for (const stream of new Set(ranges.map((r) => r.stream)))
    readers.set(
      stream,
      await log.openReader(
        stream,
        ranges.filter((r) => r.stream === stream),
        READ_CHUNK,
      ),
    );
  const cursors = ranges.map((r): Cursor => {
    const reader = readers.get(r.stream)!;
    let records: readonly LogRecord[] = [];
    let next = 0;
    // the next record's events, decoding as many records as it takes to find one with any
    return cursorOf(r, async () => {
      for (;;) {
        if (next < records.length) {
          const decoded = decodeRecords([records[next++]!]);
          tally.bad += decoded.bad.length;
          if (decoded.events.length > 0) return decodedBatch(decoded.events);
          continue;
        }
        records = await reader.next(r.partition);
        next = 0;
        tally.read += records.length;
        onRead();
        if (records.length === 0) return undefined;
      }
    });
  });
  return {
    cursors,
    failed: async () => undefined,
    close: async () => void (await Promise.all([...readers.values()].map((r) => r.close()))),
  };
}

/** Read worker threads read and decode; this thread merges what they post and folds it. */
async function workerCursors(
  logConfig: LogConfig,
  ranges: readonly MergeRange[],
  workers: number,
  tally: { read: number; bad: number },
  onRead: () => void,
): Promise<CursorSource> {
  interface Queue {
    readonly chunks: EventColumns[];
    ended: boolean;
    wake: (() => void) | null;
    worker: Worker;
  }
  const pool: Worker[] = [];
  const queues: Queue[] = [];
  let failure: Error | null = null;
  const fail = (e: Error) => {
    failure ??= e;
    for (const q of queues) {
      q.wake?.();
      q.wake = null;
    }
  };
  const n = Math.max(1, Math.min(workers, ranges.length));
  const jobs: ReadJob[] = Array.from({ length: n }, () => ({
    log: logConfig,
    ranges: [],
    readChunk: READ_CHUNK,
    eventsPerMessage: EVENTS_PER_MESSAGE,
    inFlight: MESSAGES_IN_FLIGHT,
  }));
  // the big partitions first, dealt round robin, so each worker gets its share of the telemetry
  ranges.forEach((r, cursor) => jobs[cursor % n]!.ranges.push({ ...r, cursor }));
  for (const job of jobs) {
    const worker = spawnReadWorker(job);
    pool.push(worker);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'error')
        return fail(new Error(`a replay read worker could not read the log: ${m.message}`));
      const q = queues[m.cursor]!;
      if (m.type === 'chunk') {
        tally.read += m.records;
        tally.bad += m.bad;
        if (m.columns.count > 0) q.chunks.push(m.columns);
        else worker.postMessage({ cursor: m.cursor });
        if (m.records > 0) onRead();
      } else q.ended = true;
      q.wake?.();
      q.wake = null;
    });
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`a replay read worker stopped (exit code ${code})`));
    });
  }
  ranges.forEach((_, cursor) =>
    queues.push({ chunks: [], ended: false, wake: null, worker: pool[cursor % n]! }),
  );
  const cursors = ranges.map((r, cursor): Cursor => {
    const q = queues[cursor]!;
    let holding = false;
    return cursorOf(r, async () => {
      // done with the last one: the worker may read one more
      if (holding) q.worker.postMessage({ cursor });
      while (q.chunks.length === 0 && !q.ended && !failure)
        await new Promise<void>((resolve) => (q.wake = resolve));
      if (failure) throw failure;
      const chunk = q.chunks.shift();
      holding = chunk !== undefined;
      return chunk && columnsBatch(chunk);
    });
  });
  return {
    cursors,
    failed: async () => {
      if (failure) throw failure;
    },
    close: async () => void (await Promise.all(pool.map((w) => w.terminate()))),
  };
}

/**
 * Starts a read worker: the compiled `read-worker.js` beside this file, or under ts-node-style
 * runs (jest, `node -r @swc-node/register`) the TypeScript source through @swc-node/register.
 */
function spawnReadWorker(job: ReadJob): Worker {
  const js = join(__dirname, 'read-worker.js');
  if (existsSync(js)) return new Worker(js, { workerData: job });
  const ts = join(__dirname, 'read-worker.ts');
  return new Worker(`require('@swc-node/register'); require(${JSON.stringify(ts)});`, {
    eval: true,
    workerData: job,
    env: {
      ...process.env,
      SWC_NODE_PROJECT: process.env['SWC_NODE_PROJECT'] ?? join(__dirname, '../../../../tsconfig.json'),
    },
  });
}
