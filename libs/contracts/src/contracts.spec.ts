import {
  fixtures,
  parseEvent,
  parseEventOrThrow,
  Streams,
  streamOf,
  ValidationError,
  eventCatalog,
} from './index';

describe('contracts', () => {
  it.each(Object.entries(fixtures))('accepts the %s fixture', (_type, event) => {
    const r = parseEvent(event);
    expect(r).toEqual({ ok: true, event });
  });

  it('has a fixture for every registered type, and every type belongs to one stream', () => {
    const types = eventCatalog().map((c) => c.type);
    expect(Object.keys(fixtures).sort()).toEqual([...new Set(types)].sort());
    expect(streamOf('telemetry.vm_sample')).toBe(Streams.telemetry);
    expect(streamOf('vm.placed')).toBe(Streams.inventory);
  });

  it('names an unknown type and lists the known ones', () => {
    const r = parseEvent({ ...fixtures['vm.placed'], type: 'vm.exploded' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues[0]?.path).toBe('type');
      expect(r.issues[0]?.message).toMatch(/unknown event type 'vm.exploded'.*vm.placed/);
    }
  });

  it('rejects a type that belongs to another stream', () => {
    const r = parseEvent(fixtures['vm.placed'], Streams.telemetry);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues[0]?.message).toMatch(/expected one of: telemetry.vm_sample, telemetry.gpu_sample/);
  });

  it('names an unknown version', () => {
    const r = parseEvent({ ...fixtures['vm.placed'], version: 7 });
    expect(r).toEqual({
      ok: false,
      issues: [{ path: 'version', message: "version 7 of 'vm.placed' is unknown; known: 1" }],
    });
  });

  it('names each missing or mistyped field by its path', () => {
    const { gpuId: _drop, ...data } = fixtures['telemetry.vm_sample'].data;
    const r = parseEvent({
      ...fixtures['telemetry.vm_sample'],
      data: { ...data, gpuUtilPct: 'high', memUtilPct: 140 },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const paths = r.issues.map((i) => i.path).sort();
      expect(paths).toEqual(['data.gpuId', 'data.gpuUtilPct', 'data.memUtilPct']);
      expect(r.issues.find((i) => i.path === 'data.memUtilPct')?.message).toMatch(/≤ 100/);
    }
  });

  it('rejects a non-UTC or malformed timestamp and a missing id', () => {
    const { id: _id, ...noId } = fixtures['host.registered'];
    const r = parseEvent({ ...noId, ts: 'yesterday' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path).sort()).toEqual(['id', 'ts']);
  });

  it('rejects values that are not objects', () => {
    expect(parseEvent(42)).toEqual({
      ok: false,
      issues: [{ path: '', message: 'must be a JSON object (an event)' }],
    });
    expect(parseEvent([fixtures['vm.removed']]).ok).toBe(false);
  });

  it('throws a ValidationError carrying the issues', () => {
    expect(() => parseEventOrThrow({ type: 'vm.placed', version: 1 })).toThrow(ValidationError);
    try {
      parseEventOrThrow({
        ...fixtures['gpu.registered'],
        data: { ...fixtures['gpu.registered'].data, policy: 'fastest' },
      });
    } catch (e) {
      expect((e as ValidationError).issues[0]?.path).toBe('data.policy');
    }
  });
});

describe('telemetry samples, version 2 (null for what the source does not report)', () => {
  const vmV1 = fixtures['telemetry.vm_sample'];
  const gpuV1 = fixtures['telemetry.gpu_sample'];
  /** A v2 VM sample with every nullable counter null: only the ids are known. */
  const vmV2 = {
    ...vmV1,
    id: 'fx-vm-sample-v2',
    version: 2,
    data: {
      vmId: 'vm-1',
      gpuId: 'gpu-1',
      gpuUtilPct: null,
      memUtilPct: null,
      fbUsedMib: null,
      pcieRxMBps: null,
      pcieTxMBps: null,
      vcpuUtilPct: null,
      vmMemUtilPct: null,
      progressRate: null,
    },
  };
  const gpuV2 = {
    ...gpuV1,
    id: 'fx-gpu-sample-v2',
    version: 2,
    data: {
      gpuId: 'gpu-1',
      hostId: 'host-1',
      gpuUtilPct: null,
      memUtilPct: null,
      fbUsedMib: null,
      fbTotalMib: null,
      pcieRxMBps: null,
      pcieTxMBps: null,
      smClockMhz: null,
      powerW: null,
      temperatureC: null,
    },
  };

  it.each([
    ['telemetry.vm_sample', vmV2],
    ['telemetry.gpu_sample', gpuV2],
  ])('accepts a v2 %s with every metric null, unchanged', (_type, event) => {
    expect(parseEvent(event)).toEqual({ ok: true, event });
  });

  it('still requires version 1 to carry its numbers', () => {
    const r = parseEvent({ ...vmV1, data: { ...vmV1.data, pcieRxMBps: null } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(['data.pcieRxMBps']);
    // the same null is fine at version 2: the version, not the field, decides
    expect(parseEvent({ ...vmV2, data: { ...vmV2.data, pcieRxMBps: null } }).ok).toBe(true);
  });

  it.each([
    ['telemetry.vm_sample', vmV2],
    ['telemetry.gpu_sample', gpuV2],
  ])('refuses a v2 %s with gpuUtilPct 101, naming the path', (_type, event) => {
    const r = parseEvent({ ...event, data: { ...event.data, gpuUtilPct: 101 } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues.map((i) => i.path)).toEqual(['data.gpuUtilPct']);
      expect(r.issues[0]?.message).toMatch(/≤ 100/); // Percent: 0–100
    }
    // 100 is the edge and allowed: the refusal is about 101, not about a number being there
    expect(parseEvent({ ...event, data: { ...event.data, gpuUtilPct: 100 } }).ok).toBe(true);
  });

  it.each([
    ['telemetry.vm_sample', vmV2],
    ['telemetry.gpu_sample', gpuV2],
  ])('refuses version 3 of %s, listing the known versions 1, 2', (type, event) => {
    expect(parseEvent({ ...event, version: 3 })).toEqual({
      ok: false,
      issues: [{ path: 'version', message: `version 3 of '${type}' is unknown; known: 1, 2` }],
    });
  });

  it('lists both versions of both samples in the catalog, on the telemetry stream', () => {
    const samples = eventCatalog().filter((c) => c.type.startsWith('telemetry.'));
    expect(samples).toEqual(
      expect.arrayContaining([
        { type: 'telemetry.vm_sample', version: 1, stream: Streams.telemetry },
        { type: 'telemetry.vm_sample', version: 2, stream: Streams.telemetry },
        { type: 'telemetry.gpu_sample', version: 1, stream: Streams.telemetry },
        { type: 'telemetry.gpu_sample', version: 2, stream: Streams.telemetry },
      ]),
    );
    expect(samples).toHaveLength(4); // two types × versions 1 and 2, no others
  });
});
