import { fixtures, type InventoryEvent, type VmSample } from '@vgpu-twin/contracts';
import { replay } from './replay';
import { defaultTwinConfig } from './state';
import type { TwinInput } from './step';

const config = { ...defaultTwinConfig, sustainSamples: 3, smoothingSamples: 1, observationEvery: 1 };
const t = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
const wl = (name: string, gpuUtilPct: number): InventoryEvent => ({
  ...fixtures['workload.profiled'],
  id: `wl-${name}`,
  data: {
    workload: name,
    features: { gpuUtilPct, memUtilPct: gpuUtilPct / 5, pcieRxMBps: 1, pcieTxMBps: 1 }, // memory intensity 0.2
    soloProgressRate: 10,
  },
});
const place = (vmId: string, workload: string): InventoryEvent => ({
  ...fixtures['vm.placed'],
  id: `p-${vmId}`,
  data: { vmId, gpuId: 'gpu-1', profile: '8Q', framebufferMib: 8192, workload },
});
const sample = (vmId: string, s: number, rate: number, util: number): VmSample => ({
  ...fixtures['telemetry.vm_sample'],
  id: `${vmId}-${s}`,
  ts: t(s),
  data: { ...fixtures['telemetry.vm_sample'].data, vmId, progressRate: rate, gpuUtilPct: util },
});

// vm-a (90%) runs alone-fast until s=10, then vm-b turns heavy: vm-a makes 5 steps/s (2×) until s=20.
const events: TwinInput[] = [
  ...[
    fixtures['host.registered'],
    fixtures['gpu.registered'],
    wl('heavy', 90),
    wl('light', 0), // no GPU work of its own until it turns heavy: vm-a alone-fast by the model too
    place('vm-a', 'heavy'),
    place('vm-b', 'light'),
  ].map((e) => ({ ...e, ts: t(0) })),
];
for (let s = 1; s <= 30; s++) {
  const incident = s >= 10 && s < 20;
  events.push(
    sample('vm-b', s, 10, incident ? 95 : 0),
    sample('vm-a', s, incident ? 5 : 10, incident ? 50 : 90),
  );
}

describe('replay', () => {
  it('given a recorded incident, when the window covers it, then the report holds its alerts and the GPU timeline', () => {
    const r = replay(events, { from: t(5), to: t(25), config });
    expect(r.events).toEqual({ beforeWindow: 6 + 2 * 4, inWindow: 2 * 21 }); // inventory + samples 1–4 before; 5–25 inside
    expect(
      r.alerts.filter((a) => a.data.kind === 'interference').map((a) => [a.type, a.data.vmId, a.ts]),
    ).toEqual([
      ['alert.raised', 'vm-a', t(12)], // third sample above 1.5× (10, 11, 12)
      ['alert.resolved', 'vm-a', t(22)], // third sample back under (20, 21, 22)
    ]);
    expect(r.gpus.map((g) => g.gpuId)).toEqual(['gpu-1']);
    const observedA = r.gpus[0]!.timeline.filter((p) => p.vmId === 'vm-a' && p.observed !== null).map(
      (p) => p.observed,
    );
    expect(Math.max(...(observedA as number[]))).toBe(2); // 10 solo / 5 steps/s
    expect(r.gpus[0]!.whatIf).toBeNull();
  });

  it('leaves out what lies outside the window and other clusters', () => {
    const late = replay(events, { from: t(23), to: t(30), config }).alerts;
    expect(late.filter((a) => a.type === 'alert.raised')).toEqual([]); // the state at 23 is rebuilt, nothing new fires
    expect(replay(events, { from: t(5), to: t(25), config, cluster: 'elsewhere' }).gpus).toEqual([]);
  });

  it('answers what-if for another policy from the window on', () => {
    const r = replay(events, { from: t(5), to: t(25), config, policy: 'fixed_share' });
    expect(r.whatIfPolicy).toBe('fixed_share');
    // fixed share: each 8 GB vGPU owns 8/16 of the slices whatever the other does, so vm-a (90% alone) needs at
    // least 0.9/0.5 = 1.8× as long — more with the context loads the scheduler model charges — and more than now
    const a = r.gpus[0]!.whatIf!.find((w) => w.vmId === 'vm-a')!;
    expect(a.predictedWhatIf).toBeGreaterThanOrEqual(1.8);
    expect(a.predictedWhatIf).toBeGreaterThan(a.predictedNow!);
  });

  it('is deterministic: the same events give a byte-identical report', () => {
    const once = JSON.stringify(replay(events, { from: t(5), to: t(25), config, policy: 'equal_share' }));
    expect(JSON.stringify(replay(events, { from: t(5), to: t(25), config, policy: 'equal_share' }))).toBe(
      once,
    );
  });
});
