import { Streams, partitionKey, ValidationError, type StreamName } from '@vgpu-twin/contracts';
import { LogUnavailableError, type EventLog } from '@vgpu-twin/event-log';
import { appendEvents, type Metrics } from '@vgpu-twin/service-kit';
import { randomUUID } from 'node:crypto';
import { parseBatch, recordsOfJsonBody, recordsOfNdjson, type RejectedRecord } from './batch';
import { authorize, OPEN_SCOPE, type ClusterScope } from './auth/scope';
import type { InventoryView } from './sources/inventory-view';
import { emptyIndex } from '@vgpu-twin/telemetry-formats';

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
    private readonly view: InventoryView | null = null,
    /** Telemetry events per log record (packRecords); inventory is never packed. */
    private readonly packMax = 1,
  ) {}

  async ingest(
    kind: IngestKind,
    body: unknown,
    contentType: string | undefined,
    source: string,
    scope: ClusterScope = OPEN_SCOPE,
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
    const parsed = parseBatch(records, stream, { source, newId: randomUUID }, unreadable);
    const rejected: RejectedRecord[] = [...parsed.rejected];
    let valid = parsed.valid;
    if (!scope.all) {
      // a cluster's key writes only that cluster's hosts and GPUs; the batch's other records stay
      await this.view?.catchUp();
      const { allowed, forbidden } = authorize(valid, scope, this.view?.index ?? emptyIndex());
      for (const f of forbidden) {
        const index = parsed.validAt[f.at]!;
        rejected.push({
          index,
          id: valid[f.at]!.id,
          issues: [{ path: '', message: f.reason }],
          forbidden: true,
        });
      }
      rejected.sort((a, b) => a.index - b.index);
      valid = allowed;
    }
    this.metrics?.ingestBatchRecords.observe(records.length);
    if (valid.length > 0) {
      const timer = this.metrics?.ingestAppendSeconds.startTimer();
      try {
        await appendEvents(this.log, new Map([[stream, valid]]), partitionKey, packFor(stream, this.packMax));
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

/** Only telemetry is packed: inventory is small, and consumers read it event by event. */
export function packFor(stream: string, packMax: number): number {
  return stream === Streams.telemetry ? packMax : 1;
}
