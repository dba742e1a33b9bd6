import type { EventLog, LogRecord } from '../port';
import { consumeRebuilding } from '../rebuild';

export interface EventLogHarness {
  readonly log: EventLog;
  /** Opens a second, independent client on the same log (another process would). */
  reopen(): Promise<EventLog>;
  close(): Promise<void>;
}

/** Waits until `predicate` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let counter = 0;
const unique = (base: string) => `${base}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
const rec = (key: string, i: number, timestamp = 1_700_000_000_000 + i * 1000) => ({
  key,
  value: JSON.stringify({ key, i }),
  timestamp,
});

/**
 * The behaviour every event-log implementation must have. Written once, run against the embedded
 * SQLite log and against a real Kafka broker.
 */
export function eventLogContract(name: string, makeHarness: () => Promise<EventLogHarness>): void {
  describe(`event log contract: ${name}`, () => {
    let h: EventLogHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    it('appends and reads back in order, with offsets per partition', async () => {
      const stream = unique('order');
      await h.log.ensureStreams([{ name: stream, partitions: 1 }]);
      const appended = await h.log.append(stream, [rec('a', 0), rec('b', 1), rec('c', 2)]);
      expect(appended.map((a) => a.offset)).toEqual([0, 1, 2]); // first three offsets of an empty partition
      const more = await h.log.append(stream, [rec('d', 3)]);
      expect(more[0]?.offset).toBe(3);
      const read = await h.log.read(stream, 0, 0, 10);
      expect(read.map((r) => JSON.parse(r.value).i)).toEqual([0, 1, 2, 3]);
      expect(read[1]).toMatchObject({
        stream,
        partition: 0,
        offset: 1,
        key: 'b',
        timestamp: 1_700_000_001_000,
      });
      expect((await h.log.read(stream, 0, 2, 1)).map((r) => r.offset)).toEqual([2]);
    });

    it('appends one request larger than a broker takes in one batch (1 MiB), all of it, in order', async () => {
      const stream = unique('large');
      await h.log.ensureStreams([{ name: stream, partitions: 1 }]);
      // 3,000 records of ~600 B on one partition: ~1.8 MB, past Kafka's default message.max.bytes
      const pad = 'x'.repeat(580);
      const records = Array.from({ length: 3000 }, (_, i) => ({
        key: 'inventory',
        value: JSON.stringify({ i, pad }),
        timestamp: 1_700_000_000_000 + i,
      }));
      const appended = await h.log.append(stream, records);
      expect(appended.map((a) => a.offset)).toEqual(records.map((_, i) => i));
      const read: number[] = [];
      for (let from = 0; from < 3000;) {
        const got = await h.log.read(stream, 0, from, 1000);
        read.push(...got.map((r) => (JSON.parse(r.value) as { i: number }).i));
        from += got.length;
        if (got.length === 0) break;
      }
      expect(read).toEqual(records.map((_, i) => i));
    });

    it('reads ranges of several partitions, each at its own pace, in bounded chunks', async () => {
      const stream = unique('ranges');
      await h.log.ensureStreams([{ name: stream, partitions: 4 }]);
      const records = Array.from({ length: 90 }, (_, i) => rec(`k${i % 40}`, i));
      await h.log.append(stream, records);
      const ends = await h.log.endOffsets(stream);
      // partition 1 from offset 2, partition 3 nothing (a snapshot covers it), the others whole;
      // partition 2 pulled only after the others are done
      const fromOf = (p: number, end: number) => (p === 1 ? 2 : p === 3 ? end : 0);
      expect(ends.every((e) => e.offset > 2)).toBe(true); // forty keys over four partitions: 29/36/19/6 records (murmur2)
      const ranges = ends.map((e) => ({
        partition: e.partition,
        from: fromOf(e.partition, e.offset),
        to: e.offset,
      }));
      const reader = await h.log.openReader(stream, ranges, 7);
      const got = new Map<number, number[]>();
      try {
        for (const partition of [0, 1, 0, 1, 0, 1]) {
          const batch = await reader.next(partition);
          got.set(partition, [...(got.get(partition) ?? []), ...batch.map((r) => r.offset)]);
        }
        for (const partition of [0, 1, 2, 3]) {
          for (
            let batch = await reader.next(partition);
            batch.length > 0;
            batch = await reader.next(partition)
          )
            got.set(partition, [...(got.get(partition) ?? []), ...batch.map((r) => r.offset)]);
        }
      } finally {
        await reader.close();
      }
      for (const e of ends) {
        const from = fromOf(e.partition, e.offset);
        expect(got.get(e.partition) ?? []).toEqual(
          Array.from({ length: e.offset - from }, (_, i) => from + i),
        );
      }
    });

    it('keeps a key on one partition and in order, and spreads keys over partitions', async () => {
      const stream = unique('keyed');
      await h.log.ensureStreams([{ name: stream, partitions: 4 }]);
      const records = Array.from({ length: 40 }, (_, i) => rec(`gpu-${i % 8}`, i));
      const appended = await h.log.append(stream, records);
      const partitionOf = new Map<string, number>();
      appended.forEach((a, i) => {
        const key = records[i]!.key;
        expect(partitionOf.get(key) ?? a.partition).toBe(a.partition);
        partitionOf.set(key, a.partition);
      });
      expect(new Set(partitionOf.values()).size).toBeGreaterThan(1);
      const ends = await h.log.endOffsets(stream);
      expect(ends).toHaveLength(4);
      expect(ends.reduce((s, e) => s + e.offset, 0)).toBe(40); // every record counted once
      for (const { partition, offset } of ends) {
        const rs = await h.log.read(stream, partition, 0, 100);
        expect(rs).toHaveLength(offset);
        const byKey = new Map<string, number[]>();
        for (const r of rs) byKey.set(r.key, [...(byKey.get(r.key) ?? []), JSON.parse(r.value).i]);
        for (const seq of byKey.values()) expect(seq).toEqual([...seq].sort((x, y) => x - y));
      }
    });

    it('is idempotent on ensureStreams and rejects appends to unknown streams', async () => {
      const stream = unique('ensure');
      await h.log.ensureStreams([{ name: stream, partitions: 2 }]);
      await h.log.ensureStreams([{ name: stream, partitions: 2 }]);
      expect(await h.log.endOffsets(stream)).toEqual([
        { partition: 0, offset: 0 },
        { partition: 1, offset: 0 },
      ]);
      await expect(h.log.append(unique('missing'), [rec('a', 0)])).rejects.toThrow(
        /does not exist|unknown|not.*exist/i,
      );
    });

    it('finds offsets by timestamp', async () => {
      const stream = unique('time');
      await h.log.ensureStreams([{ name: stream, partitions: 1 }]);
      await h.log.append(
        stream,
        [0, 1, 2, 3, 4].map((i) => rec('k', i)),
      );
      // rec() stamps record i at 1_700_000_000_000 + i s, so 2.5 s in → the first record at or after is #3
      expect(await h.log.offsetsForTimestamp(stream, 1_700_000_002_500)).toEqual([
        { partition: 0, offset: 3 },
      ]);
      expect(await h.log.offsetsForTimestamp(stream, 0)).toEqual([{ partition: 0, offset: 0 }]);
      expect(await h.log.offsetsForTimestamp(stream, 1_800_000_000_000)).toEqual([
        { partition: 0, offset: 5 },
      ]);
    });

    it('delivers every record to a consumer group and resumes from the committed offset', async () => {
      const stream = unique('group');
      const group = unique('g');
      await h.log.ensureStreams([{ name: stream, partitions: 2 }]);
      await h.log.append(
        stream,
        Array.from({ length: 10 }, (_, i) => rec(`k${i}`, i)),
      );
      const seen: LogRecord[] = [];
      const c1 = await h.log.consume({
        group,
        streams: [stream],
        handler: async (b) => void seen.push(...b),
      });
      await eventually(() => seen.length === 10, '10 records');
      await c1.stop();
      const committed = await h.log.committedOffsets(group, stream);
      expect(committed.reduce((s, c) => s + c.offset, 0)).toBe(10);

      await h.log.append(
        stream,
        Array.from({ length: 5 }, (_, i) => rec(`k${i}`, 10 + i)),
      );
      const other = await h.reopen();
      const resumed: LogRecord[] = [];
      const c2 = await other.consume({
        group,
        streams: [stream],
        handler: async (b) => void resumed.push(...b),
      });
      await eventually(() => resumed.length >= 5, '5 new records');
      await c2.stop();
      // only the five appended after the commit: nothing repeated, nothing lost
      expect(resumed.map((r) => JSON.parse(r.value).i).sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14]);
      if (other !== h.log) await other.close();
    });

    it('starts at the end for committed-or-end and at 0 for beginning', async () => {
      const stream = unique('start');
      await h.log.ensureStreams([{ name: stream, partitions: 1 }]);
      await h.log.append(stream, [rec('k', 0), rec('k', 1)]);
      const tail: LogRecord[] = [];
      const all: LogRecord[] = [];
      const c1 = await h.log.consume({
        group: unique('g'),
        streams: [stream],
        startFrom: 'committed-or-end',
        handler: async (b) => void tail.push(...b),
      });
      const c2 = await h.log.consume({
        group: unique('g'),
        streams: [stream],
        startFrom: 'beginning',
        handler: async (b) => void all.push(...b),
      });
      await eventually(() => all.length === 2, 'the two old records');
      await new Promise((r) => setTimeout(r, 300)); // give the tail consumer a chance to (wrongly) see them
      await h.log.append(stream, [rec('k', 2)]);
      await eventually(() => tail.length === 1 && all.length === 3, 'the new record on both');
      await Promise.all([c1.stop(), c2.stop()]);
      expect(JSON.parse(tail[0]!.value).i).toBe(2);
    });

    it('starts at explicit offsets (a snapshot’s) where given, and by startFrom elsewhere', async () => {
      const stream = unique('startat');
      await h.log.ensureStreams([{ name: stream, partitions: 1 }]);
      await h.log.append(
        stream,
        [0, 1, 2, 3, 4].map((i) => rec('k', i)),
      );
      const seen: number[] = [];
      const c = await h.log.consume({
        group: unique('g'),
        streams: [stream],
        startFrom: 'beginning',
        startAt: new Map([[`${stream}/0`, 3]]),
        handler: async (b) => void seen.push(...b.map((r) => r.offset)),
      });
      await eventually(() => seen.length >= 2, 'offsets 3 and 4');
      await new Promise((r) => setTimeout(r, 200));
      await c.stop();
      expect(seen).toEqual([3, 4]); // 0–2 are covered by the snapshot
    });

    it('retries a batch whose handler failed and does not commit it', async () => {
      const stream = unique('retry');
      const group = unique('g');
      await h.log.ensureStreams([{ name: stream, partitions: 1 }]);
      await h.log.append(stream, [rec('k', 0), rec('k', 1)]);
      let failures = 0;
      const delivered: number[] = [];
      const errors: unknown[] = [];
      const c = await h.log.consume({
        group,
        streams: [stream],
        retryDelayMs: 50,
        onError: (e) => errors.push(e),
        handler: async (batch) => {
          if (failures++ < 2) throw new Error('effect not durable yet');
          delivered.push(...batch.map((r) => JSON.parse(r.value).i));
        },
      });
      await eventually(() => delivered.length >= 2, 'the batch after two failures');
      await c.stop();
      expect(errors).toHaveLength(2); // the two injected failures, reported
      expect(delivered.slice(0, 2)).toEqual([0, 1]);
      expect(await h.log.committedOffsets(group, stream)).toEqual([{ partition: 0, offset: 2 }]);
    });

    it('never moves a committed offset backwards, and tells a rebuilding consumer what was already done', async () => {
      const stream = unique('rebuild');
      const group = unique('g');
      await h.log.ensureStreams([{ name: stream, partitions: 1 }]);
      await h.log.append(
        stream,
        Array.from({ length: 6 }, (_, i) => rec('k', i)),
      );
      const first: number[] = [];
      const c1 = await h.log.consume({
        group,
        streams: [stream],
        maxBatchSize: 4,
        handler: async (b) => void first.push(...b.map((r) => r.offset)),
      });
      await eventually(() => first.length === 6, 'six records');
      await c1.stop();
      await h.log.append(stream, [rec('k', 6), rec('k', 7)]);

      const seen: { offset: number; replaying: boolean }[] = [];
      const c2 = await consumeRebuilding(h.log, {
        group,
        streams: [stream],
        maxBatchSize: 3, // batches straddle the committed offset 6
        handler: async (b, replaying) => void seen.push(...b.map((r) => ({ offset: r.offset, replaying }))),
      });
      await eventually(() => seen.length === 8, 'all eight records');
      await c2.stop();
      expect(seen.filter((s) => s.replaying).map((s) => s.offset)).toEqual([0, 1, 2, 3, 4, 5]); // committed before
      expect(seen.filter((s) => !s.replaying).map((s) => s.offset)).toEqual([6, 7]); // new since
      expect(await h.log.committedOffsets(group, stream)).toEqual([{ partition: 0, offset: 8 }]);
    });
  });
}

/** Every record of a stream, partition by partition (for assertions over a whole stream). */
export async function readAll(log: EventLog, stream: string): Promise<LogRecord[]> {
  const ends = await log.endOffsets(stream);
  return (
    await Promise.all(ends.filter((e) => e.offset > 0).map((e) => log.read(stream, e.partition, 0, e.offset)))
  ).flat();
}
