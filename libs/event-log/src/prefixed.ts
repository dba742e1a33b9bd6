import type { AppendRecord, ConsumeOptions, Consumer, EventLog, LogRecord, StreamSpec } from './port';

/**
 * Namespaces every stream and consumer group of a log with a prefix, so several twins (or test
 * runs) can share one Kafka cluster or one SQLite file without seeing each other's events.
 */
export function prefixed(log: EventLog, prefix: string): EventLog {
  if (prefix === '') return log;
  const s = (stream: string) => `${prefix}${stream}`;
  const unprefix = (r: LogRecord): LogRecord => ({ ...r, stream: r.stream.slice(prefix.length) });
  return {
    ensureStreams: (specs: readonly StreamSpec[]) =>
      log.ensureStreams(specs.map((x) => ({ ...x, name: s(x.name) }))),
    append: (stream: string, records: readonly AppendRecord[]) => log.append(s(stream), records),
    read: async (stream, partition, offset, limit) =>
      (await log.read(s(stream), partition, offset, limit)).map(unprefix),
    openReader: async (stream, ranges, chunk) => {
      const reader = await log.openReader(s(stream), ranges, chunk);
      return { next: async (p) => (await reader.next(p)).map(unprefix), close: () => reader.close() };
    },
    endOffsets: (stream) => log.endOffsets(s(stream)),
    offsetsForTimestamp: (stream, timestamp) => log.offsetsForTimestamp(s(stream), timestamp),
    committedOffsets: (group, stream) => log.committedOffsets(s(group), s(stream)),
    consume: (options: ConsumeOptions): Promise<Consumer> =>
      log.consume({
        ...options,
        group: s(options.group),
        streams: options.streams.map(s),
        ...(options.startAt ? { startAt: new Map([...options.startAt].map(([k, v]) => [s(k), v])) } : {}),
        handler: (batch) => options.handler(batch.map(unprefix)),
        ...(options.onError
          ? { onError: (e: unknown, batch: readonly LogRecord[]) => options.onError!(e, batch.map(unprefix)) }
          : {}),
        ...(options.onAssignment
          ? {
              onAssignment: (assigned) =>
                options.onAssignment!(assigned.map((a) => ({ ...a, stream: a.stream.slice(prefix.length) }))),
            }
          : {}),
      }),
    close: () => log.close(),
  };
}
