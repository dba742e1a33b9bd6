import {
  fixtures,
  type AlertRaised,
  type InventoryEvent,
  type VmSample,
  type VmSampleV2,
} from '@vgpu-twin/contracts';
import { simulateProfiles, workloadWithSpread } from '@vgpu-twin/scheduler';
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
/** Memory busy a fifth of the time a kernel runs (a memory intensity of 0.2). */
const memUtil = (gpuUtilPct: number) => gpuUtilPct / 5;
const workload = (name: string, gpuUtilPct: number, soloProgressRate = 10): InventoryEvent => ({
  ...fixtures['workload.profiled'],
  id: `wl-${name}`,
  data: {
    workload: name,
    features: { gpuUtilPct, memUtilPct: memUtil(gpuUtilPct), pcieRxMBps: 10, pcieTxMBps: 1 },
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

  /** What libs/scheduler's model of profiles says of these as two 8Q vGPUs on a 16 GB GPU, best effort, 1 ms slice. */
  const scheduler = (...utils: number[]) =>
    simulateProfiles({
      policy: 'best_effort',
      gpuFramebufferMib: 16384,
      params: { timeSliceMs: 1 },
      vms: utils.map((u) => ({
        framebufferMib: 8192,
        workload: workloadWithSpread({
          gpuUtilPct: u,
          memUtilPct: memUtil(u),
          pcieRxMBps: 10,
          pcieTxMBps: 1,
        }),
      })),
    }).map((v) => Math.round(v.slowdown * 1e4) / 1e4);

  it('given two VMs whose demands fit on the GPU, predicts with the scheduler model where the share arithmetic sees nothing', () => {
    const state = given(cluster);
    const out = when(state, [place('vm-a', 'heavy'), place('vm-b', 'light')]);
    const [a, b] = scheduler(90, 10);
    expect(predictionsOf(out)).toEqual({ 'vm-a': a, 'vm-b': b });
    // 0.9 + 0.1 ≤ 1: the share arithmetic serves both fully; the scheduler still charges waits and switches
    expect(a).toBeGreaterThan(1);
    const last = out.filter((o) => o.type === 'twin.prediction').at(-1)!;
    expect(last.data).toMatchObject({
      model: 'scheduler@1',
      shareArithmetic: 1,
      components: { residual: 0 },
    });
    expect(state.gpus.get('gpu-1')!.vms).toEqual(['vm-a', 'vm-b']);
  });

  it('given a heavy co-runner, predicts what libs/scheduler predicts for the pair', () => {
    const state = given(cluster);
    const out = when(state, [place('vm-a', 'heavy'), place('vm-b', 'hog')]);
    const [a, b] = scheduler(90, 95);
    expect(predictionsOf(out)).toMatchObject({ 'vm-a': a, 'vm-b': b });
    expect(a).toBeGreaterThan(1.5); // two GPU-bound loops on one GPU: each waits for the other's slices
    const shares = out.filter((o) => o.type === 'twin.prediction').map((o) => o.data.shareArithmetic);
    expect(shares.at(-1)).toBeCloseTo(1.9, 4); // share arithmetic: 0.95 / 0.5
  });

  it('when a co-runner turns GPU-heavy, its utilisation above the prediction reveals the demand, and a sustained slowdown raises one alert naming it', () => {
    const state = given([...cluster, place('vm-a', 'heavy'), place('vm-b', 'light')]);
    const calmUtil = 90 / scheduler(90, 10)[0]!; // what the prediction implies: solo 90% ÷ its slowdown
    const calm = when(state, [sample('vm-a', 0, 10, calmUtil), sample('vm-a', 1, 10, calmUtil)]);
    expect(calm.filter((o) => o.type === 'alert.raised')).toEqual([]);

    // vm-b's profile says 10%; it now uses 48% of the GPU while vm-a drops to 48%: only vm-b is above its prediction
    const first = when(state, [sample('vm-a', 2, 5, 48), sample('vm-b', 2, null, 48)]);
    expect(first.filter((o) => o.type === 'twin.prediction')).toEqual([]); // one sample is not yet a trend
    const turned = when(state, [sample('vm-a', 3, 5, 48), sample('vm-b', 3, null, 48)]);
    const vmB = state.vms.get('vm-b')!;
    expect(vmB.demandPct).toBeGreaterThan(80); // 48% under contention is ~90% alone, not 48%
    expect(state.vms.get('vm-a')!.demandPct).toBeNull(); // the victim's drop is explained by vm-b, not read as low demand
    expect(predictionsOf(turned)['vm-a']).toBeGreaterThan(1.5);

    const out = when(
      state,
      [4, 5].map((s) => sample('vm-a', s, 5, 48)),
    );
    const alerts = [...first, ...turned, ...out].filter((o) => o.type === 'alert.raised');
    expect(alerts).toHaveLength(1); // raised once, after sustainSamples = 3 samples above 1.5 (t = 2, 3, 4)
    expect(alerts[0]!.data).toMatchObject({
      kind: 'interference',
      vmId: 'vm-a',
      gpuId: 'gpu-1',
      hostId: 'host-1',
      clusterId: 'cluster-a',
      aggressorVmId: 'vm-b',
      severity: 'warning', // 2× < 2 × SLO 1.5
      evidence: { observedSlowdown: 2, threshold: 1.5, samples: 3, windowStart: t(2), windowEnd: t(4) },
    });
    expect(alerts[0]!.ts).toBe(t(4));

    const back = when(
      state,
      [6, 7, 8, 9].map((s) => sample('vm-a', s, 9.5, 48)),
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

  describe('alerts raised on a VM whose interference alert is open (the notifier, not the twin, marks them inhibited)', () => {
    const gpu2: InventoryEvent = { ...gpu, id: 'gpu2', data: { ...gpu.data, gpuId: 'gpu-2' } };
    const alertsOf = (out: TwinOutput[], vmId: string) =>
      out.flatMap((o) =>
        (o.type === 'alert.raised' || o.type === 'alert.resolved') && o.data.vmId === vmId
          ? [[o.type, o.data.kind, o.data.alertId]]
          : [],
      );
    const moveAway = (vmId: string): InventoryEvent => ({
      ...fixtures['vm.migrated'],
      id: `move-${vmId}`,
      data: { vmId, fromGpuId: 'gpu-1', toGpuId: 'gpu-2', profile: '8Q', framebufferMib: 8192 },
    });

    it('raises a drift alert while the interference alert is open, and resolves each on its own terms', () => {
      // given vm-a next to vm-b as the model predicts it: over its SLO (interference), in line with the model (no drift)
      const state = given([...cluster, gpu2, place('vm-a', 'heavy'), place('vm-b', 'hog')]);
      const p = scheduler(90, 95)[0]!;
      expect(p).toBeGreaterThan(1.5); // SLO 1.5
      const util = 90 / p; // the utilisation the prediction implies: demand stays as profiled
      const asPredicted = (s: number) => sample('vm-a', s, 10 / p, util); // 10 solo ÷ (10 / p) = p×
      const three = [0, 1, 2].map(asPredicted);
      const opened = when(state, three);
      expect(alertsOf(opened, 'vm-a')).toEqual([
        ['alert.raised', 'interference', `interference:vm-a:${three[2]!.id}`], // the third sample above the SLO
      ]);
      const interference = state.vms.get('vm-a')!.alert!;

      // when vm-a runs at half the predicted speed: 2p× against p× predicted, a residual of +p×
      const slower = when(
        state,
        Array.from({ length: 20 }, (_, i) => sample('vm-a', 3 + i, 5 / p, util)),
      );

      // then a drift alert, slower than predicted, beside the open interference alert (once suppressed)
      const drift = slower.filter((o) => o.type === 'alert.raised');
      expect(drift.map((o) => o.data.kind)).toEqual(['drift']); // one, however long it lasts
      expect(drift[0]!.type === 'alert.raised' && drift[0]!.data).toMatchObject({
        alertId: expect.stringMatching(/^drift:vm-a:s-vm-a-\d+$/),
        aggressorVmId: 'vm-b',
        evidence: { details: { direction: 'slower', detector: 'cusum' } },
      });
      expect(state.vms.get('vm-a')!.alert).toBe(interference); // still open, the same alert

      // when vm-a is back in line with the model (still over its SLO), then the drift alert resolves as usual:
      // after the residual's mean has stayed in the band for 30 samples (DEFAULT_NORMAL_BAND), interference still open
      const inLine = when(
        state,
        Array.from({ length: 80 }, (_, i) => asPredicted(23 + i)),
      );
      expect(alertsOf(inLine, 'vm-a')).toEqual([['alert.resolved', 'drift', drift[0]!.data.alertId]]);
      expect(state.vms.get('vm-a')!.alert).toBe(interference);

      // when vm-b moves away and vm-a runs alone at full speed (predicted 1×), then the predicted_interference alert of
      // vm-b's placement resolves at the move and the interference alert after 3 samples at 1×; no drift: 1× as predicted
      const alone = when(state, [moveAway('vm-b'), ...[103, 104, 105].map((s) => sample('vm-a', s, 10, 90))]);
      expect(alertsOf(alone, 'vm-a')).toEqual([
        ['alert.resolved', 'predicted_interference', 'predicted_interference:vm-a:place-vm-b'],
        ['alert.resolved', 'interference', interference.alertId],
      ]);
    });

    it('raises predicted interference at a placement while the interference alert is open', () => {
      // given vm-a alone (predicted 1×) at 2 steps/s for 3 samples: 10 ÷ 2 = 5× over its SLO 1.5, interference open
      const state = given([
        ...cluster,
        gpu2,
        place('vm-a', 'heavy'),
        ...[0, 1, 2].map((s) => sample('vm-a', s, 2, 90)),
      ]);
      const interference = state.vms.get('vm-a')!.alert;
      expect(interference).not.toBeNull();

      // when the hog is placed beside it
      const placed = when(state, [place('vm-b', 'hog')]);

      // then a predicted_interference alert on vm-a too (once suppressed by the open interference alert)
      const [a] = scheduler(90, 95);
      expect(alertsOf(placed, 'vm-a')).toEqual([
        ['alert.raised', 'predicted_interference', 'predicted_interference:vm-a:place-vm-b'],
      ]);
      expect(placed.find((o) => o.type === 'alert.raised' && o.data.vmId === 'vm-a')).toMatchObject({
        data: { aggressorVmId: 'vm-b', evidence: { predictedSlowdown: a, threshold: 1.5 } },
      });
      expect(state.vms.get('vm-a')!.alert).toBe(interference);

      // when the hog moves away again, then it resolves as usual: the prediction is back under the SLO (1×)
      const moved = when(state, [moveAway('vm-b')]);
      expect(alertsOf(moved, 'vm-a')).toEqual([
        ['alert.resolved', 'predicted_interference', 'predicted_interference:vm-a:place-vm-b'],
      ]);
    });
  });

  it('suggests moving the victim or the aggressor to a GPU with room, with the numbers of every VM affected', () => {
    const spare: InventoryEvent = {
      ...gpu,
      id: 'g-spare',
      data: { ...gpu.data, gpuId: 'gpu-spare' },
    };
    const state = given([...cluster, spare, place('vm-a', 'heavy'), place('vm-b', 'hog')]);
    const [a, b] = scheduler(90, 95) as [number, number];
    const out = when(
      state,
      [0, 1, 2].map((s) => sample('vm-a', s, 5, 50)),
    );
    const suggestion = out.find((o) => o.type === 'placement.suggested');
    expect(suggestion?.type === 'placement.suggested' && suggestion.data).toMatchObject({
      fromGpuId: 'gpu-1',
      toGpuId: 'gpu-spare', // the only GPU with room for an 8Q VM
      alertId: expect.stringMatching(/^interference:vm-a:/),
      // before: the scheduler model's numbers for the pair; after: each alone, 1×
      before: expect.arrayContaining([{ vmId: 'vm-a', gpuId: 'gpu-1', slowdown: expect.closeTo(a, 3) }]),
    });
    expect(suggestion?.type === 'placement.suggested' && suggestion.data.gain).toBeCloseTo(
      a + b - 2 - 0.1,
      3,
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

describe('a VM whose workload was never profiled', () => {
  it('is marked unprofiled with its co-runners, predicted by no one, until its profile arrives', () => {
    const state = given([
      fixtures['host.registered'],
      { ...fixtures['gpu.registered'], data: { ...fixtures['gpu.registered'].data, framebufferMib: 16384 } },
      workload('heavy', 90),
      place('vm-a', 'heavy'),
    ]);
    expect(state.vms.get('vm-a')!.predictedSlowdown).not.toBeNull();
    const out = when(state, [place('vm-x', 'mystery')]);
    expect(out.filter((o) => o.type === 'twin.prediction')).toEqual([]); // never a guess
    for (const id of ['vm-a', 'vm-x']) {
      expect(state.vms.get(id)).toMatchObject({
        unprofiled: true,
        predictedSlowdown: null,
        prediction: null,
      });
    }
    const later = when(state, [workload('mystery', 30)]);
    expect(later.filter((o) => o.type === 'twin.prediction').map((o) => o.data.vmId)).toEqual([
      'vm-a',
      'vm-x',
    ]);
    expect(state.vms.get('vm-x')!.unprofiled).toBe(false);
  });
});

describe('version-2 VM samples: only what the source measured', () => {
  // a window of three rates, so the observed slowdown is a mean and not just the latest sample
  const windowed = { ...config, smoothingSamples: 3 };
  const run = (state: TwinState, events: TwinInput[]): TwinOutput[] =>
    events.flatMap((e) => step(state, e, windowed));
  /** A v2 sample with every counter null but those given (a vGPU's utilisation, a progress metric …). */
  const sampleV2 = (vmId: string, s: number, data: Partial<VmSampleV2['data']>): VmSampleV2 => ({
    ...fixtures['telemetry.vm_sample'],
    version: 2,
    id: `v2-${vmId}-${seq++}`,
    ts: t(s),
    data: {
      vmId,
      gpuId: 'gpu-1',
      gpuUtilPct: null,
      memUtilPct: null,
      fbUsedMib: null,
      pcieRxMBps: null,
      pcieTxMBps: null,
      vcpuUtilPct: null,
      vmMemUtilPct: null,
      progressRate: null,
      ...data,
    },
  });
  const framebufferAlerts = (out: TwinOutput[]) =>
    out.filter(
      (o) => (o.type === 'alert.raised' || o.type === 'alert.resolved') && o.data.kind === 'framebuffer',
    );

  /** vm-a ('heavy': 90% solo, 10 steps/s solo) alone on gpu-1, after three v1 samples at 5, 4 and 5 steps/s and 90% util. */
  function observed(): TwinState {
    const state = initialState();
    run(state, [host, gpu, workload('heavy', 90), place('vm-a', 'heavy')]);
    run(state, [sample('vm-a', 0, 5, 90), sample('vm-a', 1, 4, 90), sample('vm-a', 2, 5, 90)]);
    expect(state.vms.get('vm-a')).toMatchObject({
      observedSlowdown: 2.1429, // solo 10 ÷ mean(5, 4, 5) = 10 ÷ 4.6667, rounded to 4 places
      hasProgressSignal: true,
      measuredUtilPct: 90, // the last v1 sample's gpuUtilPct
    });
    return state;
  }

  it('keeps the observed slowdown through a v2 sample with no progress rate, where a v1 sample with none clears it', () => {
    const v2 = observed();
    run(v2, [sampleV2('vm-a', 3, { gpuUtilPct: 88, fbUsedMib: 4000 })]);
    expect(v2.vms.get('vm-a')).toMatchObject({
      observedSlowdown: 2.1429, // unchanged: the same window 5, 4, 5
      hasProgressSignal: true,
      rates: [5, 4, 5],
      measuredUtilPct: 88, // what the v2 sample did carry was read
    });

    const v1 = observed();
    run(v1, [sample('vm-a', 3, null, 88)]);
    // v1 says "no progress signal" with its null: the slowdown is no longer known
    expect(v1.vms.get('vm-a')).toMatchObject({ observedSlowdown: null, hasProgressSignal: false });
  });

  it('updates the observed slowdown from a v2 sample that carries only a progress rate, leaving the measured utilisation', () => {
    const state = observed();
    const out = run(state, [sampleV2('vm-a', 3, { progressRate: 8 })]);
    const vm = state.vms.get('vm-a')!;
    expect(vm.rates).toEqual([4, 5, 8]); // window of 3: the oldest 5 drops out
    expect(vm.observedSlowdown).toBe(1.7647); // solo 10 ÷ mean(4, 5, 8) = 10 ÷ 5.6667 = 1.76470…, rounded to 4 places
    expect(vm.measuredUtilPct).toBe(90); // still the last v1 sample's 90: the v2 sample's null is "not measured"
    expect(out.find((o) => o.type === 'twin.observation')?.data).toMatchObject({
      observedSlowdown: 1.7647,
      progressRate: 5.6667, // mean(4, 5, 8) = 17 / 3
      windowSamples: 3,
    });
  });

  it('raises no framebuffer alert on a v2 sample with no framebuffer figure, and one on a sample above 95% of the profile', () => {
    const state = observed();
    // 8Q profile: 8192 MiB; alert above framebufferAlertAbove 0.95 × 8192 = 7782.4 MiB, cleared under 0.9 × 8192 = 7372.8 MiB
    expect(windowed.framebufferAlertAbove).toBe(0.95);
    expect(framebufferAlerts(run(state, [sampleV2('vm-a', 3, { fbUsedMib: null, gpuUtilPct: 90 })]))).toEqual(
      [],
    );
    expect(state.vms.get('vm-a')!.fbAlert).toBeNull();

    const over = run(state, [sampleV2('vm-a', 4, { fbUsedMib: 7800 })]); // 7800 / 8192 = 95.2% > 95%
    expect(framebufferAlerts(over)).toHaveLength(1);
    expect(framebufferAlerts(over)[0]).toMatchObject({
      type: 'alert.raised',
      data: { kind: 'framebuffer', vmId: 'vm-a' },
    });

    // a later sample with no framebuffer figure keeps the alert: read as 0 MiB it would clear it (0% < 90%)
    expect(framebufferAlerts(run(state, [sampleV2('vm-a', 5, { progressRate: 5 })]))).toEqual([]);
    expect(state.vms.get('vm-a')!.fbAlert).not.toBeNull();
  });
});
