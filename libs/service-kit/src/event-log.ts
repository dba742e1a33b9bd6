import { Streams, parseEvent, type DomainEvent, type StreamName } from '@vgpu-twin/contracts';
import {
  EmbeddedEventLog,
  KafkaEventLog,
  prefixed,
  type EventLog,
  type AppendRecord,
  type LogRecord,
  type StreamSpec,
} from '@vgpu-twin/event-log';
import { join } from 'node:path';
import type { LogConfig } from './config';

/** Inventory is small and read whole by every twin, so one partition keeps it totally ordered. */
export function streamSpecs(
  config: Pick<LogConfig, 'KAFKA_TELEMETRY_PARTITIONS'> & Partial<Pick<LogConfig, 'KAFKA_RETENTION_MS'>>,
): StreamSpec[] {
  const n = config.KAFKA_TELEMETRY_PARTITIONS;
  const retentionMs = config.KAFKA_RETENTION_MS ?? -1;
  return [
    { name: Streams.inventory, partitions: 1, retentionMs },
    { name: Streams.telemetry, partitions: n, retentionMs },
    { name: Streams.twin, partitions: n, retentionMs },
    { name: Streams.alerts, partitions: 1, retentionMs },
    { name: Streams.lifecycle, partitions: 1, retentionMs },
    { name: Streams.notifications, partitions: n, retentionMs },
    { name: Streams.deadLetter, partitions: 1, retentionMs },
  ];
}

export function embeddedLogFile(config: Pick<LogConfig, 'VGPU_TWIN_DATA_DIR'>): string {
  return join(config.VGPU_TWIN_DATA_DIR, 'log.sqlite');
}

/** Opens the configured log and makes sure our streams exist. */
export async function openEventLog(config: LogConfig): Promise<EventLog> {
  let log: EventLog;
  switch (config.EVENT_LOG) {
    case 'embedded':
      log = new EmbeddedEventLog({ file: embeddedLogFile(config) });
      break;
    case 'kafka':
      log = new KafkaEventLog({
        brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()),
        clientId: config.KAFKA_CLIENT_ID,
        replicationFactor: config.KAFKA_REPLICATION_FACTOR,
        compression: config.KAFKA_COMPRESSION,
        appendTimeoutMs: config.KAFKA_APPEND_TIMEOUT_MS,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      });
      break;
    default: {
      const _exhaustive: never = config.EVENT_LOG;
      return _exhaustive;
    }
  }
  const namespaced = prefixed(log, config.VGPU_TWIN_STREAM_PREFIX);
  await namespaced.ensureStreams(streamSpecs(config));
  return namespaced;
}

export interface Decoded {
  readonly record: LogRecord;
  readonly event: DomainEvent;
}
export interface Undecodable {
  readonly record: LogRecord;
  readonly reason: string;
}

/**
 * Parses each record into contract events; what cannot be parsed is returned with the reason. A
 * record is one event (a JSON object) or a packed record: a JSON array of events of one key, in
 * order (see `packRecords`). Each event of a packed record is decoded alone, with the record.
 */
export function decodeRecords(records: readonly LogRecord[]): { events: Decoded[]; bad: Undecodable[] } {
  const events: Decoded[] = [];
  const bad: Undecodable[] = [];
  const stream = (r: LogRecord) => r.stream as StreamName;
  for (const record of records) {
    let raw: unknown;
    try {
      raw = JSON.parse(record.value);
    } catch (e) {
      bad.push({ record, reason: `not JSON: ${(e as Error).message}` });
      continue;
    }
    if (Array.isArray(raw)) {
      raw.forEach((item, i) => {
        const r = parseEvent(item, stream(record));
        if (r.ok) events.push({ record, event: r.event });
        else bad.push({ record, reason: `[${i}] ${issuesOf(r.issues)}` });
      });
      continue;
    }
    const r = parseEvent(raw, stream(record));
    if (r.ok) events.push({ record, event: r.event });
    else bad.push({ record, reason: issuesOf(r.issues) });
  }
  return { events, bad };
}

function issuesOf(issues: readonly { path: string; message: string }[]): string {
  return issues.map((i) => `${i.path || '(event)'}: ${i.message}`).join('; ');
}

/**
 * Packs events into fewer, larger records: consecutive events of one key (a GPU's samples) go
 * into one record whose value is the JSON array of them, at most `maxEvents` each, in order, so a
 * key's order is kept; its timestamp is the latest event time in it. Kafka's cost is per record
 * (about 20 µs of kafkajs CPU each), so a batch of samples for one GPU costs what one sample
 * did. Consumers read both forms (`decodeRecords`); any Kafka client sees plain JSON.
 */
export function packRecords(
  events: readonly DomainEvent[],
  keyOf: (e: DomainEvent) => string,
  maxEvents: number,
): AppendRecord[] {
  if (maxEvents <= 1)
    return events.map((e) => ({ key: keyOf(e), value: JSON.stringify(e), timestamp: Date.parse(e.ts) }));
  const byKey = new Map<string, DomainEvent[][]>();
  const order: DomainEvent[][] = [];
  for (const e of events) {
    const key = keyOf(e);
    const packs = byKey.get(key) ?? [];
    let last = packs[packs.length - 1];
    if (!last || last.length >= maxEvents) {
      last = [];
      packs.push(last);
      order.push(last);
      byKey.set(key, packs);
    }
    last.push(e);
  }
  return order.map((pack) => {
    const key = keyOf(pack[0]!);
    let timestamp = 0;
    for (const e of pack) timestamp = Math.max(timestamp, Date.parse(e.ts));
    return { key, value: pack.length === 1 ? JSON.stringify(pack[0]) : JSON.stringify(pack), timestamp };
  });
}

/** Parks undecodable records on the dead-letter stream, with where they came from and why. */
export async function deadLetter(
  log: EventLog,
  consumer: string,
  bad: readonly Undecodable[],
): Promise<void> {
  if (bad.length === 0) return;
  await log.append(
    Streams.deadLetter,
    bad.map(({ record, reason }) => ({
      key: `${record.stream}/${record.partition}`,
      timestamp: record.timestamp,
      value: JSON.stringify({
        consumer,
        reason,
        stream: record.stream,
        partition: record.partition,
        offset: record.offset,
        key: record.key,
        value: record.value,
      }),
    })),
  );
}

/** Appends events to the streams their types belong to, each keyed by its entity. */
export async function appendEvents(
  log: EventLog,
  byStream: ReadonlyMap<string, readonly DomainEvent[]>,
  keyOf: (e: DomainEvent) => string,
  packMax = 1,
): Promise<void> {
  await Promise.all(
    [...byStream].map(([stream, events]) =>
      events.length === 0 ? Promise.resolve() : log.append(stream, packRecords(events, keyOf, packMax)),
    ),
  );
}
