import { fixtures, partitionKey, Streams, type DomainEvent } from '@vgpu-twin/contracts';
import type { LogRecord } from '@vgpu-twin/event-log';
import { decodeRecords, packRecords } from './event-log';

const sample = (gpuId: string, s: number): DomainEvent => ({
  ...fixtures['telemetry.vm_sample'],
  id: `s-${gpuId}-${s}`,
  ts: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(),
  data: { ...fixtures['telemetry.vm_sample'].data, gpuId },
});
const asRecords = (packed: ReturnType<typeof packRecords>): LogRecord[] =>
  packed.map((r, offset) => ({ ...r, stream: Streams.telemetry, partition: 0, offset }));

describe('packed telemetry records', () => {
  it('packs one GPU’s samples into one record, in order, at most maxEvents each, stamped with the latest time', () => {
    // gpu-1 ×5 and gpu-2 ×2, interleaved; maxEvents 3: gpu-1 → [3, 2], gpu-2 → [2]: 3 records
    const events = [1, 2, 3, 4, 5].flatMap((s) =>
      s <= 2 ? [sample('gpu-1', s), sample('gpu-2', s)] : [sample('gpu-1', s)],
    );
    const packed = packRecords(events, partitionKey, 3);
    expect(packed.map((r) => r.key)).toEqual(['gpu-1', 'gpu-2', 'gpu-1']);
    expect(packed.map((r) => (JSON.parse(r.value) as unknown[]).length)).toEqual([3, 2, 2]);
    expect(packed[0]!.timestamp).toBe(Date.UTC(2026, 0, 1, 0, 0, 3)); // the latest of s = 1, 2, 3
    const decoded = decodeRecords(asRecords(packed));
    expect(decoded.bad).toEqual([]);
    // every event back, each GPU's in its order
    const ids = decoded.events.map((d) => d.event.id);
    expect(ids.filter((i) => i.includes('gpu-1'))).toEqual(
      events.filter((e) => e.id.includes('gpu-1')).map((e) => e.id),
    );
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
  });

  it('writes one plain event per record with maxEvents 1, and a lone event as an object', () => {
    const events = [sample('gpu-1', 1), sample('gpu-2', 1)];
    expect(packRecords(events, partitionKey, 1).map((r) => r.value)).toEqual(
      events.map((e) => JSON.stringify(e)),
    );
    expect(JSON.parse(packRecords([events[0]!], partitionKey, 500)[0]!.value)).toEqual(events[0]);
  });

  it('names a bad event of a packed record by its index and keeps the good ones', () => {
    const good = sample('gpu-1', 1);
    const record: LogRecord = {
      key: 'gpu-1',
      value: JSON.stringify([good, { ...good, id: 'bad', data: { ...good.data, gpuUtilPct: 'x' } }]),
      timestamp: 0,
      stream: Streams.telemetry,
      partition: 0,
      offset: 0,
    };
    const { events, bad } = decodeRecords([record]);
    expect(events.map((e) => e.event.id)).toEqual([good.id]);
    expect(bad[0]!.reason).toMatch(/^\[1\] data\.gpuUtilPct/);
  });
});
