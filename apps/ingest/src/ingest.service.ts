import { Streams, partitionKey, ValidationError, type StreamName } from '@vgpu-twin/contracts';
import { LogUnavailableError, type EventLog } from '@vgpu-twin/event-log';
import { appendEvents, type Metrics } from '@vgpu-twin/service-kit';
import { randomUUID } from 'node:crypto';
import { parseBatch, recordsOfJsonBody, recordsOfNdjson, type RejectedRecord } from './batch';

export type IngestKind = 'inventory' | 'telemetry';
export interface IngestResult {
  readonly accepted: number;
  readonly rejected: readonly RejectedRecord[];
}

const streamOfKind: Record<IngestKind, StreamName> = {
  inventory: Streams.inventory,
  telemetry: Streams.telemetry,
};

/** Validates a batch, appends its valid records, and answers only once the log has them. */
export class IngestService {
  constructor(
    private readonly log: EventLog,
    private readonly maxBatch: number,
    private readonly metrics: Metrics | null = null,
  ) {}

  async ingest(
    kind: IngestKind,
    body: unknown,
    contentType: string | undefined,
    source: string,
  ): Promise<IngestResult> {
    const stream = streamOfKind[kind];
    let records: unknown[];
    let unreadable = new Map<number, string>();
    if (typeof body === 'string' || (contentType ?? '').includes('ndjson')) {
      ({ records, unreadable } = recordsOfNdjson(typeof body === 'string' ? body : ''));
    } else {
      records = recordsOfJsonBody(body);
    }
    if (records.length === 0) throw new ValidationError('the batch is empty: send at least one event');
    if (records.length > this.maxBatch) {
      throw new ValidationError(
        `the batch has ${records.length} records; the limit is ${this.maxBatch}: split it`,
      );
    }
    const { valid, rejected } = parseBatch(records, stream, { source, newId: randomUUID }, unreadable);
    this.metrics?.ingestBatchRecords.observe(records.length);
    if (valid.length > 0) {
      const timer = this.metrics?.ingestAppendSeconds.startTimer();
      try {
        await appendEvents(this.log, new Map([[stream, valid]]), partitionKey);
      } catch (e) {
        if (e instanceof LogUnavailableError) throw e;
        throw new LogUnavailableError((e as Error).message);
      } finally {
        timer?.();
      }
    }
    this.metrics?.ingestAccepted.inc({ stream }, valid.length);
    for (const r of rejected)
      this.metrics?.ingestRejected.inc({
        stream,
        reason: unreadable.has(r.index) ? 'unreadable' : 'invalid',
      });
    return { accepted: valid.length, rejected };
  }
}
