import { fixtures, type AlertRaised, type InventoryEvent, type VmSample } from '@vgpu-twin/contracts';
import { defaultTwinConfig, initialState, type TwinState } from './state';
import { step, type TwinInput, type TwinOutput } from './step';

const config = {
  ...defaultTwinConfig,
  sloSlowdown: 1.5,
  sustainSamples: 3,
  smoothingSamples: 1,
  observationEvery: 1,
};
const t = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();

function given(events: TwinInput[]): TwinState {
  const state = initialState();
  for (const e of events) step(state, e, config);
  return state;
}
function when(state: TwinState, events: TwinInput[]): TwinOutput[] {
  return events.flatMap((e) => step(state, e, config));
}

const host: InventoryEvent = fixtures['host.registered'];
const gpu: InventoryEvent = {
  ...fixtures['gpu.registered'],
  data: { ...fixtures['gpu.registered'].data, framebufferMib: 16384 },
};
const workload = (name: string, gpuUtilPct: number, soloProgressRate = 10): InventoryEvent => ({
  ...fixtures['workload.profiled'],
  id: `wl-${name}`,
  data: {
    workload: name,
    features: { gpuUtilPct, memUtilPct: 20, pcieRxMBps: 10, pcieTxMBps: 1 },
    soloProgressRate,
  },
});
const place = (vmId: string, wl: string, gpuId = 'gpu-1'): InventoryEvent => ({
  ...fixtures['vm.placed'],
  id: `place-${vmId}`,
  data: { vmId, gpuId, profile: '8Q', framebufferMib: 8192, workload: wl },
});
let seq = 0;
const sample = (vmId: string, s: number, progressRate: number | null, gpuUtilPct = 50): VmSample => ({
  ...fixtures['telemetry.vm_sample'],
  id: `s-${vmId}-${seq++}`,
  ts: t(s),
  data: { ...fixtures['telemetry.vm_sample'].data, vmId, gpuUtilPct, progressRate },
});

describe('twin step', () => {
  const cluster = [host, gpu, workload('heavy', 90), workload('light', 10), workload('hog', 95)];
  const predictionsOf = (out: TwinOutput[]) =>
    Object.fromEntries(
      out.flatMap((o) => (o.type === 'twin.prediction' ? [[o.data.vmId, o.data.predictedSlowdown]] : [])),
    );

  it('given two VMs whose demands fit on the GPU, predicts no slowdown', () => {
    const state = given(cluster);
    const out = when(state, [place('vm-a', 'heavy'), place('vm-b', 'light')]);
    expect(predictionsOf(out)).toEqual({ 'vm-a': 1, 'vm-b': 1 }); // 0.9 + 0.1 ≤ 1: best effort serves both fully
    expect(state.gpus.get('gpu-1')!.vms).toEqual(['vm-a', 'vm-b']);
  });

  it('given a heavy co-runner, predicts demand ÷ share', () => {
    const state = given(cluster);
    const out = when(state, [place('vm-a', 'heavy'), place('vm-b', 'hog')]);
    // best effort water-fill: both ask more than 1/2, so each gets 0.5 → 0.9/0.5 and 0.95/0.5
    expect(predictionsOf(out)).toMatchObject({ 'vm-a': 1.8, 'vm-b': 1.9 });
  });

  it('when a co-runner turns GPU-heavy, telemetry moves the prediction and a sustained slowdown raises one alert naming it', () => {
    const state = given([...cluster, place('vm-a', 'heavy'), place('vm-b', 'light')]);
    const calm = when(state, [sample('vm-a', 0, 10, 90), sample('vm-a', 1, 10, 90)]);
    expect(calm.filter((o) => o.type === 'alert.raised')).toEqual([]);

    // vm-b now uses 95% of the GPU: vm-a gets half, 0.9/0.5 = 1.8× predicted; it really makes 5 steps/s (10 solo → 2×)
    const turned = when(state, [sample('vm-b', 2, 10, 95)]);
    expect(predictionsOf(turned)['vm-a']).toBeCloseTo(1.8);
    const out = when(
      state,
      [2, 3, 4, 5].map((s) => sample('vm-a', s, 5, 50)),
    );
    const alerts = out.filter((o) => o.type === 'alert.raised');
    expect(alerts).toHaveLength(1); // raised once, after sustainSamples = 3 samples above 1.5
    expect(alerts[0]!.data).toMatchObject({
      kind: 'interference',
      vmId: 'vm-a',
      gpuId: 'gpu-1',
      hostId: 'host-1',
      clusterId: 'cluster-a',
      aggressorVmId: 'vm-b',
      severity: 'warning', // 2× < 2 × SLO 1.5
      evidence: {
        observedSlowdown: 2,
        predictedSlowdown: 1.8,
        threshold: 1.5,
        samples: 3,
        windowStart: t(2),
        windowEnd: t(4),
      },
    });
    expect(alerts[0]!.ts).toBe(t(4));

    const back = when(
      state,
      [6, 7, 8, 9].map((s) => sample('vm-a', s, 9.5, 90)),
    );
    const resolved = back.filter((o) => o.type === 'alert.resolved');
    expect(resolved).toHaveLength(1); // resolved once, after 3 samples at 10/9.5 = 1.05× ≤ 1.5
    expect(resolved[0]!.data.alertId).toBe(alerts[0]!.data.alertId);
    expect(resolved[0]!.ts).toBe(t(8));
  });

  it('does not alert on a short spike below the sustain count', () => {
    const state = given([...cluster, place('vm-a', 'heavy')]);
    const out = when(state, [
      sample('vm-a', 0, 4),
      sample('vm-a', 1, 4),
      sample('vm-a', 2, 10),
      sample('vm-a', 3, 4),
    ]);
    expect(out.filter((o) => o.type === 'alert.raised' && o.data.kind === 'interference')).toEqual([]); // the residual itself is a drift (tested below)
  });

  it('honours a VM-specific SLO', () => {
    const strict: InventoryEvent = {
      ...place('vm-a', 'heavy'),
      data: { ...place('vm-a', 'heavy').data, sloSlowdown: 1.1 },
    } as InventoryEvent;
    const state = given([...cluster, strict]);
    const out = when(
      state,
      [0, 1, 2].map((s) => sample('vm-a', s, 8.5)),
    ); // 10 / 8.5 = 1.18 > 1.1
    expect(out.filter((o) => o.type === 'alert.raised')).toHaveLength(1);
  });

  it('marks a VM without a progress signal and never guesses its slowdown', () => {
    const state = given([...cluster, place('vm-a', 'heavy')]);
    const out = when(
      state,
      [0, 1, 2, 3, 4].map((s) => sample('vm-a', s, null)),
    );
    expect(state.vms.get('vm-a')).toMatchObject({ hasProgressSignal: false, observedSlowdown: null });
    expect(out.filter((o) => o.type === 'twin.observation' || o.type === 'alert.raised')).toEqual([]);
  });

  it('counts telemetry for unknown VMs instead of inventing them', () => {
    const state = given(cluster);
    when(state, [sample('ghost', 0, 5)]);
    expect(state.stats.unknownVmSamples).toBe(1);
    expect(state.vms.has('ghost')).toBe(false);
  });

  it('re-predicts both GPUs on migration and resolves the alert of a removed VM', () => {
    const gpu2: InventoryEvent = { ...gpu, id: 'gpu2', data: { ...gpu.data, gpuId: 'gpu-2' } };
    const state = given([...cluster, gpu2, place('vm-a', 'heavy'), place('vm-b', 'hog')]);
    const moved = when(state, [
      {
        ...fixtures['vm.migrated'],
        data: { vmId: 'vm-b', fromGpuId: 'gpu-1', toGpuId: 'gpu-2', profile: '8Q', framebufferMib: 8192 },
      },
    ]);
    expect(predictionsOf(moved)).toEqual({ 'vm-a': 1, 'vm-b': 1 }); // each alone now: 1.8× and 1.9× both fall to 1×
    expect(state.gpus.get('gpu-2')!.vms).toEqual(['vm-b']);

    when(
      state,
      [0, 1, 2].map((s) => sample('vm-a', s, 2)),
    );
    expect(state.vms.get('vm-a')!.alert).not.toBeNull();
    const removed = when(state, [
      { ...fixtures['vm.removed'], id: 'rm', data: { vmId: 'vm-a', gpuId: 'gpu-1' } },
    ]);
    expect(removed.map((o) => [o.type, o.type === 'alert.resolved' ? o.data.kind : null])).toEqual([
      ['alert.resolved', 'interference'],
      ['alert.resolved', 'drift'], // 2 steps/s vs 10 solo while predicted 1× alone: also a drift
    ]);
    expect(state.vms.has('vm-a')).toBe(false);
  });

  describe('drift, framebuffer and model-stale alerts', () => {
    const raisedOf = (out: TwinOutput[], kind: string): TwinOutput[] =>
      out.filter((o) => o.type === 'alert.raised' && o.data.kind === kind);
    const resolvedOf = (out: TwinOutput[], kind: string) =>
      out.filter((o) => o.type === 'alert.resolved' && o.data.kind === kind);

    it('raises a "slower than predicted" drift when a lone VM runs at half speed, and resolves it once back in line', () => {
      const state = given([...cluster, place('vm-a', 'heavy')]); // alone: predicted 1×
      const slow = when(
        state,
        Array.from({ length: 20 }, (_, s) => sample('vm-a', s, 5, 90)),
      ); // 10 solo / 5 = 2×
      const drift = raisedOf(slow, 'drift');
      expect(drift).toHaveLength(1); // one alert however long it lasts
      expect(drift[0]!.type === 'alert.raised' && drift[0]!.data.evidence.details).toMatchObject({
        direction: 'slower',
        detector: 'cusum',
      });
      expect(drift[0]!.type === 'alert.raised' && drift[0]!.data.message).toMatch(
        /slower than predicted: observed 2\.00× vs predicted 1\.00×/,
      );
      // back at 10 steps/s: resolved once the residual's mean has stayed in the band for 30 samples (DEFAULT_NORMAL_BAND)
      const back = when(
        state,
        Array.from({ length: 80 }, (_, s) => sample('vm-a', 20 + s, 10, 90)),
      );
      expect(resolvedOf(back, 'drift')).toHaveLength(1);
    });

    it('warns when a VM uses more than 95% of its profile’s framebuffer, and clears under 90%', () => {
      const state = given([...cluster, place('vm-a', 'heavy')]); // 8Q: 8192 MiB
      const fb = (s: number, fbUsedMib: number): VmSample => ({
        ...sample('vm-a', s, 10, 90),
        data: { ...sample('vm-a', s, 10, 90).data, fbUsedMib },
      });
      const over = when(state, [fb(0, 7800), fb(1, 7900), fb(2, 8100)]);
      expect(raisedOf(over, 'framebuffer')).toHaveLength(1); // 7800/8192 = 95.2% > 95%, raised once
      expect((raisedOf(over, 'framebuffer')[0] as AlertRaised).data.severity).toBe('warning'); // 95–100%: warning
      expect(resolvedOf(when(state, [fb(3, 7500)]), 'framebuffer')).toHaveLength(0); // 91.6%: hysteresis keeps it
      expect(resolvedOf(when(state, [fb(4, 7000)]), 'framebuffer')).toHaveLength(1); // 85.4% < 90%
    });

    it('says "model stale — retrain" when predictions are off across enough VMs', () => {
      const gpus: TwinInput[] = Array.from({ length: 12 }, (_, i) => ({
        ...gpu,
        id: `g${i}`,
        data: { ...gpu.data, gpuId: `gpu-${i}` },
      }));
      const vms = Array.from({ length: 12 }, (_, i) => place(`vm-${i}`, 'heavy', `gpu-${i}`));
      const state = given([...cluster, ...gpus, ...vms]);
      const out: TwinOutput[] = [];
      // every VM alone (predicted 1×) runs 1.25× slower (8 of 10 steps/s): a 25% error > the 15% bound, on ≥ 10 VMs × 100 samples
      for (let s = 0; s < 120; s++)
        for (let i = 0; i < 12; i++) out.push(...when(state, [sample(`vm-${i}`, s, 8, 90)]));
      const stale = raisedOf(out, 'model_stale');
      expect(stale).toHaveLength(1);
      expect(stale[0]!.type === 'alert.raised' && stale[0]!.data.message).toMatch(
        /^model stale — retrain: predictions are off by 25\.0%/,
      );
    });
  });

  it('suggests moving the victim or the aggressor to a GPU with room, with the numbers of every VM affected', () => {
    const spare: InventoryEvent = {
      ...gpu,
      id: 'g-spare',
      data: { ...gpu.data, gpuId: 'gpu-spare' },
    };
    const state = given([...cluster, spare, place('vm-a', 'heavy'), place('vm-b', 'hog')]);
    const out = when(
      state,
      [0, 1, 2].map((s) => sample('vm-a', s, 5, 50)),
    );
    const suggestion = out.find((o) => o.type === 'placement.suggested');
    expect(suggestion?.type === 'placement.suggested' && suggestion.data).toMatchObject({
      fromGpuId: 'gpu-1',
      toGpuId: 'gpu-spare', // the only GPU with room for an 8Q VM
      alertId: expect.stringMatching(/^interference:vm-a:/),
      // before: both at 0.5 of the GPU — 0.9/0.5 = 1.8× and 0.95/0.5 = 1.9×; after: each alone, 1×
      before: expect.arrayContaining([{ vmId: 'vm-a', gpuId: 'gpu-1', slowdown: 1.8 }]),
    });
    expect(suggestion?.type === 'placement.suggested' && suggestion.data.gain).toBeCloseTo(
      1.8 + 1.9 - 2 - 0.1,
    ); // minus the default migration cost 0.1
    expect(suggestion?.type === 'placement.suggested' && suggestion.data.reason).toMatch(/gpu-spare/);
  });

  it('suggests nothing when no GPU has room', () => {
    const state = given([...cluster, place('vm-a', 'heavy'), place('vm-b', 'hog')]);
    const out = when(
      state,
      [0, 1, 2].map((s) => sample('vm-a', s, 5, 50)),
    );
    expect(out.filter((o) => o.type === 'alert.raised')).not.toHaveLength(0);
    expect(out.filter((o) => o.type === 'placement.suggested')).toEqual([]);
  });

  it('applies a redelivered event once', () => {
    const state = given([...cluster, place('vm-a', 'heavy')]);
    const s = sample('vm-a', 0, 4);
    when(state, [s, s, { ...s }]);
    expect(state.stats).toMatchObject({ duplicateEvents: 2 }); // the second and third copy
    expect(state.vms.get('vm-a')!.rates).toEqual([4]); // one sample in the window
  });

  it('is deterministic: the same events give the same outputs', () => {
    const events: TwinInput[] = [
      ...cluster,
      place('vm-a', 'heavy'),
      place('vm-b', 'light'),
      sample('vm-b', 0, 10, 95),
    ];
    for (let s = 1; s < 10; s++) events.push(sample('vm-a', s, 4));
    const run = () => JSON.stringify(when(initialState(), events));
    expect(run()).toBe(run());
  });
});
