import { fixtures } from '@vgpu-twin/contracts';
import { deserializeState, serializeState, stateHash } from './snapshot';
import { defaultTwinConfig, initialState } from './state';
import { step, type TwinInput } from './step';

const config = { ...defaultTwinConfig, sustainSamples: 2, smoothingSamples: 1 };
const inventory: TwinInput[] = [
  fixtures['host.registered'],
  fixtures['gpu.registered'],
  fixtures['workload.profiled'],
  fixtures['vm.placed'],
];
const samples = (from: number, n: number): TwinInput[] =>
  Array.from({ length: n }, (_, i) => ({
    ...fixtures['telemetry.vm_sample'],
    id: `s${from + i}`,
    data: { ...fixtures['telemetry.vm_sample'].data, progressRate: (from + i) % 7 === 0 ? 3 : 9 },
  }));

describe('twin snapshots', () => {
  it('given a snapshot taken mid-stream, when the rest is applied to the restored state, then it ends where an uninterrupted run ends', () => {
    const all = [...inventory, ...samples(0, 40)];
    const straight = initialState(64);
    const straightOut = all.flatMap((e) => step(straight, e, config));

    const first = initialState(64);
    const firstOut = all.slice(0, 20).flatMap((e) => step(first, e, config));
    const restored = deserializeState(serializeState(first));
    const restOut = all.slice(20).flatMap((e) => step(restored, e, config));

    expect(stateHash(restored)).toBe(stateHash(straight));
    expect(serializeState(restored)).toBe(serializeState(straight)); // byte-identical, dedupe window included
    expect([...firstOut, ...restOut]).toEqual(straightOut);
  });

  it('restores the dedupe window: an event applied before the snapshot is still skipped after it', () => {
    const state = initialState(8);
    [...inventory, ...samples(0, 3)].forEach((e) => step(state, e, config));
    const restored = deserializeState(serializeState(state));
    expect(step(restored, samples(2, 1)[0]!, config)).toEqual([]);
    expect(restored.stats.duplicateEvents).toBe(1);
  });

  it('hashes canonically: the order GPUs and VMs arrived in does not change the hash, a different sample does', () => {
    const gpu2: TwinInput = {
      ...fixtures['gpu.registered'],
      id: 'g2',
      data: { ...fixtures['gpu.registered'].data, gpuId: 'gpu-2' },
    };
    const a = initialState();
    const b = initialState();
    [fixtures['host.registered'], fixtures['gpu.registered'], gpu2].forEach((e) => step(a, e, config));
    [fixtures['host.registered'], gpu2, fixtures['gpu.registered']].forEach((e) => step(b, e, config));
    expect(stateHash(a)).toBe(stateHash(b));
    expect(stateHash(a)).toMatch(/^[0-9a-f]{64}$/); // sha256
    step(b, { ...gpu2, id: 'g2b', data: { ...gpu2.data, framebufferMib: 32768 } }, config);
    expect(stateHash(a)).not.toBe(stateHash(b));
  });

  it('remembers at least half the dedupe window and forgets ids older than all of it', () => {
    const state = initialState(8); // two generations of 4 ids
    const events = [...inventory, ...samples(0, 12)]; // 16 ids
    events.forEach((e) => step(state, e, config));
    // the last 4 ids (at least half of 8) are still known …
    for (const e of events.slice(-4)) expect(step(state, e, config)).toEqual([]);
    expect(state.stats.duplicateEvents).toBe(4);
    // … and one 9 or more events back (more than the window) is applied again
    step(state, events[0]!, config);
    expect(state.stats.duplicateEvents).toBe(4);
  });

  it('reads a version-1 snapshot (its dedupe window a ring of ids) and still skips what it had applied', () => {
    const state = initialState(8);
    [...inventory, ...samples(0, 3)].forEach((e) => step(state, e, config));
    const v2 = JSON.parse(serializeState(state)) as { recentIds: { previous: string[]; current: string[] } };
    const ids = [...v2.recentIds.previous, ...v2.recentIds.current];
    // the layout session 1 wrote: a ring of 8 slots, `next` the slot to overwrite
    const ring = [...ids.slice(-8), ...new Array<null>(Math.max(0, 8 - ids.length)).fill(null)];
    const v1 = JSON.stringify({ ...v2, version: 1, recentIds: { ring, next: ids.length % 8 } });
    const restored = deserializeState(v1);
    expect(stateHash(restored)).toBe(stateHash(state));
    expect(step(restored, samples(2, 1)[0]!, config)).toEqual([]);
    expect(restored.stats.duplicateEvents).toBe(1);
  });

  it('refuses a snapshot of an unknown layout', () => {
    expect(() => deserializeState(JSON.stringify({ version: 9 }))).toThrow(/unknown twin snapshot version 9/);
  });
});
