/**
 * A replay read worker (a worker thread): reads its share of the log's partitions, decodes and
 * validates each record, and posts the events to the merge as columns (columns.ts), at most
 * `inFlight` messages ahead of the merge per partition.
 */
import { decodeRecords, openEventLog, type LogConfig } from '@vgpu-twin/service-kit';
import type { RangeReader } from '@vgpu-twin/event-log';
import { parentPort, workerData } from 'node:worker_threads';
import { ColumnsBuilder, transferablesOf, type EventColumns } from './columns';
import type { MergeRange } from './merge';

export interface ReadJob {
  readonly log: LogConfig;
  /** `cursor` names the partition in messages both ways. */
  readonly ranges: (MergeRange & { readonly cursor: number })[];
  readonly readChunk: number;
  readonly eventsPerMessage: number;
  readonly inFlight: number;
}

export type WorkerMessage =
  | {
      readonly type: 'chunk';
      readonly cursor: number;
      readonly columns: EventColumns;
      readonly records: number;
      readonly bad: number;
    }
  | { readonly type: 'end'; readonly cursor: number }
  | { readonly type: 'error'; readonly message: string };

/** The merge posts `{cursor}` when it is done with one of that partition's messages. */
interface Credit {
  readonly cursor: number;
}

if (parentPort) void run(parentPort, workerData as ReadJob);

async function run(port: NonNullable<typeof parentPort>, job: ReadJob): Promise<void> {
  const credits = new Map(job.ranges.map((r) => [r.cursor, job.inFlight]));
  const waiting = new Map<number, () => void>();
  port.on('message', ({ cursor }: Credit) => {
    credits.set(cursor, (credits.get(cursor) ?? 0) + 1);
    waiting.get(cursor)?.();
    waiting.delete(cursor);
  });
  const credit = async (cursor: number): Promise<void> => {
    while ((credits.get(cursor) ?? 0) === 0) await new Promise<void>((r) => waiting.set(cursor, r));
    credits.set(cursor, credits.get(cursor)! - 1);
  };
  const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

  const pump = async (reader: RangeReader, r: ReadJob['ranges'][number]): Promise<void> => {
    let builder = new ColumnsBuilder();
    let records = 0;
    let bad = 0;
    const flush = async () => {
      await credit(r.cursor);
      const columns = builder.finish();
      post({ type: 'chunk', cursor: r.cursor, columns, records, bad }, transferablesOf(columns));
      builder = new ColumnsBuilder();
      records = 0;
      bad = 0;
    };
    for (
      let batch = await reader.next(r.partition);
      batch.length > 0;
      batch = await reader.next(r.partition)
    ) {
      records += batch.length;
      for (const record of batch) {
        const decoded = decodeRecords([record]);
        bad += decoded.bad.length;
        for (const { event } of decoded.events) builder.add(event, record.offset);
        if (builder.count >= job.eventsPerMessage) await flush();
      }
    }
    if (builder.count > 0 || records > 0 || bad > 0) await flush();
    post({ type: 'end', cursor: r.cursor });
  };

  try {
    const log = await openEventLog(job.log);
    try {
      await Promise.all(
        [...new Set(job.ranges.map((r) => r.stream))].map(async (stream) => {
          const mine = job.ranges.filter((r) => r.stream === stream);
          const reader = await log.openReader(stream, mine, job.readChunk);
          try {
            await Promise.all(mine.map((r) => pump(reader, r)));
          } finally {
            await reader.close();
          }
        }),
      );
    } finally {
      await log.close();
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
}
