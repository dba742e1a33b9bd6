import type { ConsumeOptions, Consumer, EventLog, LogRecord } from './port';

export interface RebuildingConsumeOptions {
  readonly group: string;
  readonly streams: readonly string[];
  readonly maxBatchSize?: number;
  /**
   * `replaying` is true for records the group had already committed before this start: the
   * handler rebuilds its state from them without repeating their effects.
   */
  readonly handler: (batch: readonly LogRecord[], replaying: boolean) => Promise<void>;
  readonly onError?: (error: unknown) => void;
  /** Resolve only once the streams have been read up to their end offsets as of the call. */
  readonly catchUpTimeoutMs?: number;
  /** Start offsets from a snapshot, keyed `stream/partition`: records before them are not read. */
  readonly startAt?: ReadonlyMap<string, number>;
  /** This member's partitions, on start and after each rebalance (see `ConsumeOptions`). */
  readonly onAssignment?: ConsumeOptions['onAssignment'];
}

/**
 * Consumes from the beginning so in-memory state can be rebuilt, and tells the handler which
 * records were already processed (below the committed offsets) so their effects are not emitted twice.
 * A later issue replaces the full rebuild with snapshots + offsets.
 */
export async function consumeRebuilding(log: EventLog, options: RebuildingConsumeOptions): Promise<Consumer> {
  const key = (stream: string, partition: number) => `${stream}/${partition}`;
  const committed = new Map<string, number>();
  const ends = new Map<string, number>();
  const read = new Map<string, number>();
  const held = new Set<string>();
  if (options.catchUpTimeoutMs !== undefined) {
    for (const stream of options.streams)
      for (const e of await log.endOffsets(stream))
        if (e.offset > 0) ends.set(key(stream, e.partition), e.offset);
  }
  for (const [k, offset] of options.startAt ?? []) read.set(k, offset); // already covered by the snapshot
  const consumer = await log.consume({
    group: options.group,
    streams: options.streams,
    startFrom: 'beginning',
    ...(options.startAt ? { startAt: options.startAt } : {}),
    ...(options.maxBatchSize !== undefined ? { maxBatchSize: options.maxBatchSize } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    onAssignment: async (assigned) => {
      // Records below a partition's committed offset were processed before — by this member before
      // a restart, or by another member until a rebalance gave it the partition: they rebuild
      // state and repeat no effects. Read when the partition arrives (before any of its records).
      const fresh = assigned.filter((a) => !held.has(key(a.stream, a.partition)));
      for (const stream of new Set(fresh.map((a) => a.stream))) {
        for (const c of await log.committedOffsets(options.group, stream))
          if (fresh.some((a) => a.stream === stream && a.partition === c.partition))
            committed.set(key(stream, c.partition), c.offset);
      }
      held.clear();
      for (const a of assigned) held.add(key(a.stream, a.partition));
      await options.onAssignment?.(assigned);
    },
    handler: async (batch) => {
      const first = batch[0]!;
      const boundary = committed.get(key(first.stream, first.partition)) ?? 0;
      const old = batch.filter((r) => r.offset < boundary);
      const fresh = old.length === batch.length ? [] : batch.slice(old.length);
      if (old.length > 0) await options.handler(old, true);
      if (fresh.length > 0) await options.handler(fresh, false);
      read.set(key(first.stream, first.partition), batch[batch.length - 1]!.offset + 1);
    },
  });
  if (options.catchUpTimeoutMs !== undefined) {
    const deadline = Date.now() + options.catchUpTimeoutMs;
    while (![...ends].every(([k, end]) => (read.get(k) ?? 0) >= end)) {
      if (Date.now() > deadline) {
        await consumer.stop();
        throw new Error(
          `consumer group '${options.group}' did not catch up with ${options.streams.join(', ')} within ${options.catchUpTimeoutMs} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return consumer;
}
