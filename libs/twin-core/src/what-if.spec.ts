import { fixtures, ValidationError, type InventoryEvent } from '@vgpu-twin/contracts';
import { simulateProfiles, workloadWithSpread } from '@vgpu-twin/scheduler';
import { defaultTwinConfig, initialState, type TwinState } from './state';
import { step } from './step';
import { whatIf } from './what-if';

const gpu = (gpuId: string): InventoryEvent => ({
  ...fixtures['gpu.registered'],
  id: `g-${gpuId}`,
  data: {
    ...fixtures['gpu.registered'].data,
    gpuId,
    model: 'V100-16GB',
    framebufferMib: 16384,
    policy: 'best_effort',
  },
});
const trainer = { gpuUtilPct: 80, memUtilPct: 16, pcieRxMBps: 10, pcieTxMBps: 1, kernelMs: 3 }; // long kernels (> 1 ms)
const infer = { gpuUtilPct: 40, memUtilPct: 8, pcieRxMBps: 10, pcieTxMBps: 1, kernelMs: 0.1 }; // short kernels
const profiled = (workload: string, features: typeof trainer): InventoryEvent => ({
  ...fixtures['workload.profiled'],
  id: `wl-${workload}`,
  data: { workload, features, soloProgressRate: 10 },
});
const place = (vmId: string, gpuId: string, workload: string): InventoryEvent => ({
  ...fixtures['vm.placed'],
  id: `p-${vmId}`,
  data: { vmId, gpuId, profile: '8Q', framebufferMib: 8192, workload },
});

function given(events: InventoryEvent[]): TwinState {
  const state = initialState();
  for (const e of events) step(state, e, defaultTwinConfig);
  return state;
}

describe('what-if: where should a new VM go', () => {
  // gpu-a: one long-kernel trainer and a free 8Q slot; gpu-b: empty; gpu-c: full (two 8Q VMs)
  const state = given([
    fixtures['host.registered'],
    gpu('gpu-a'),
    gpu('gpu-b'),
    gpu('gpu-c'),
    profiled('trainer', trainer),
    profiled('infer', infer),
    place('vm-1', 'gpu-a', 'trainer'),
    place('vm-2', 'gpu-c', 'infer'),
    place('vm-3', 'gpu-c', 'infer'),
  ]);

  it('given a short-kernel VM, ranks the empty GPU first, the trainer’s GPU at the scheduler’s price, and says why the full one cannot take it', () => {
    const answer = whatIf(state, defaultTwinConfig, { vm: { profile: '8Q', workload: 'infer' } });
    expect(answer.model).toBe('scheduler@1'); // no learned model configured
    expect(answer.candidates.map((c) => c.gpuId)).toEqual(['gpu-b', 'gpu-a']);
    expect(answer.candidates[0]).toMatchObject({ predictedSlowdown: 1, cost: 0, affected: [] }); // alone: no slowdown
    // next to the trainer: libs/scheduler's model of the pair's profiles (short kernels wait whole slices of long ones)
    const pair = simulateProfiles({
      policy: 'best_effort',
      gpuFramebufferMib: 16384,
      params: { timeSliceMs: 1 },
      vms: [trainer, infer].map((f) => ({ framebufferMib: 8192, workload: workloadWithSpread(f) })),
    });
    const a = answer.candidates[1]!;
    expect(a.predictedSlowdown).toBeCloseTo(pair[1]!.slowdown, 3);
    expect(a.predictedSlowdown).toBeGreaterThan(2); // DESIGN.md: short next to long kernels, 2–11×
    expect(a.affected).toEqual([{ vmId: 'vm-1', before: 1, after: expect.closeTo(pair[0]!.slowdown, 3) }]);
    expect(a.cost).toBeCloseTo(pair[1]!.slowdown - 1 + pair[0]!.slowdown - 1, 3); // its own slowdown − 1 + what it adds
    expect(answer.infeasible).toEqual([{ gpuId: 'gpu-c', reason: expect.stringMatching(/^capacity: /) }]); // V100-8Q: 2 per GPU
  });

  it('considers only the candidates asked for, and names a GPU the twin does not know', () => {
    const answer = whatIf(state, defaultTwinConfig, {
      vm: { profile: '8Q', workload: 'infer' },
      candidates: ['gpu-a', 'gpu-zz'],
    });
    expect(answer.candidates.map((c) => c.gpuId)).toEqual(['gpu-a']);
    expect(answer.infeasible).toEqual([{ gpuId: 'gpu-zz', reason: "no GPU 'gpu-zz' in the twin" }]);
  });

  it('refuses an unknown workload or vGPU type, naming it', () => {
    expect(() => whatIf(state, defaultTwinConfig, { vm: { profile: '8Q', workload: 'nope' } })).toThrow(
      new ValidationError(
        "unknown workload 'nope': the twin has no workload.profiled for it; profiled: infer, trainer",
      ),
    );
    expect(() => whatIf(state, defaultTwinConfig, { vm: { profile: '9Q', workload: 'infer' } })).toThrow(
      /'9Q'/,
    );
  });
});
