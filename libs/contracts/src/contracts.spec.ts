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
