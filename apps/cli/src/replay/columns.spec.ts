import { fixtures, parseEvent, Streams, type DomainEvent } from '@vgpu-twin/contracts';
import fc from 'fast-check';
import { structuredClone as cloneForTransfer } from './testing-clone';
import { ColumnsBuilder, eventAt, transferablesOf } from './columns';

const id = fc.stringMatching(/^[A-Za-z0-9._:@/-]{1,40}$/);
const ts = fc
  .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) })
  .map((ms) => new Date(ms).toISOString());
const pct = fc.double({ min: 0, max: 100, noNaN: true });
const nonNegative = fc.double({ min: 0, max: 1e9, noNaN: true });
const orNull = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });

/** VM samples of both versions: v2 may report null for any field, v1 only for progressRate. */
const vmSample: fc.Arbitrary<DomainEvent> = fc
  .record({
    id,
    version: fc.constantFrom(1, 2),
    ts,
    source: fc.constantFrom('ingest', 'ingest:host-1', 'sim'),
    vmId: fc.constantFrom('vm-001', 'vm-002', 'vm-003'),
    gpuId: fc.constantFrom('gpu-0', 'gpu-1'),
    numbers: fc.tuple(
      orNull(pct),
      orNull(pct),
      orNull(nonNegative),
      orNull(nonNegative),
      orNull(nonNegative),
      orNull(pct),
      orNull(pct),
    ),
    progressRate: orNull(nonNegative),
  })
  .map(({ id, version, ts, source, vmId, gpuId, numbers, progressRate }) => {
    const n = version === 1 ? numbers.map((x, i) => x ?? i) : numbers;
    return {
      id,
      type: 'telemetry.vm_sample',
      version,
      ts,
      source,
      data: {
        vmId,
        gpuId,
        gpuUtilPct: n[0],
        memUtilPct: n[1],
        fbUsedMib: n[2],
        pcieRxMBps: n[3],
        pcieTxMBps: n[4],
        vcpuUtilPct: n[5],
        vmMemUtilPct: n[6],
        progressRate,
      },
    } as DomainEvent;
  });
/** Anything else travels as JSON: inventory events and device samples. */
const other = fc.constantFrom<DomainEvent>(
  fixtures['telemetry.gpu_sample'],
  fixtures['vm.placed'],
  fixtures['gpu.registered'],
  fixtures['workload.profiled'],
);

describe('replay columns (what a read worker posts to the merge)', () => {
  it('give back every event as decoding gave it, in order, after the transfer', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 4, arbitrary: vmSample }, { weight: 1, arbitrary: other }), {
          maxLength: 60,
        }),
        (events) => {
          const builder = new ColumnsBuilder();
          events.forEach((e, i) => builder.add(e, 1_000 + Math.floor(i / 4)));
          const sent = builder.finish();
          const got = cloneForTransfer(sent, transferablesOf(sent));
          expect(got.count).toBe(events.length);
          events.forEach((e, i) => {
            expect(eventAt(got, i)).toStrictEqual(e);
            expect(got.offsets[i]).toBe(1_000 + Math.floor(i / 4));
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('are valid contract events: what comes out parses as it went in', () => {
    fc.assert(
      fc.property(vmSample, (e) => {
        const builder = new ColumnsBuilder();
        builder.add(e, 0);
        const parsed = parseEvent(eventAt(builder.finish(), 0), Streams.telemetry);
        expect(parsed).toEqual({ ok: true, event: e });
      }),
    );
  });

  it('hand over their buffers rather than copy them', () => {
    const builder = new ColumnsBuilder();
    builder.add(fixtures['telemetry.vm_sample'], 7);
    const sent = builder.finish();
    cloneForTransfer(sent, transferablesOf(sent));
    expect(sent.offsets.length).toBe(0); // detached: moved to the other side
  });
});
