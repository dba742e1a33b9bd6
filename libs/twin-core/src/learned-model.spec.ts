import { fixtures, type InventoryEvent, type WorkloadFeatures } from '@vgpu-twin/contracts';
import {
  generateSynthetic,
  predictSlowdown,
  resolveFeatures,
  schedulerPrediction,
  trainRegressor,
  type Regressor,
} from '@vgpu-twin/interference';
import { learnedModel, PROFILE_COLUMN_OF } from './learned-model';
import { predictionMemoStats } from './predict';
import { defaultTwinConfig, initialState, type TwinConfig } from './state';
import { step, type TwinInput, type TwinOutput } from './step';

// A small hybrid on the synthetic data (short simulations, few trees: this checks wiring, not accuracy).
const data = generateSynthetic({ seed: 1, durationMs: 500 });
const features = resolveFeatures('base', data.profiles);
const hybrid: Regressor = trainRegressor(data, 'hybrid', features, 'best_effort', {
  trees: 5,
  seed: 7,
}).model;
const [nameA, nameB, nameC] = [...data.profiles.rows.keys()] as [string, string, string];

function featuresOf(workload: string): WorkloadFeatures {
  const row = data.profiles.rows.get(workload)!;
  const get = (col: string) => row[data.profiles.columns.indexOf(col)]!;
  const f: Record<string, number> = {};
  for (const [key, col] of Object.entries(PROFILE_COLUMN_OF))
    if (data.profiles.columns.includes(col)) f[key] = get(col);
  return f as unknown as WorkloadFeatures;
}

const t0 = '2026-01-01T00:00:00.000Z';
const profiled = (workload: string, features: WorkloadFeatures): InventoryEvent => ({
  ...fixtures['workload.profiled'],
  id: `wl-${workload}`,
  ts: t0,
  data: { workload, features, soloProgressRate: 10 },
});
const gpu = (gpuId: string, policy: 'best_effort' | 'equal_share' = 'best_effort'): InventoryEvent => ({
  ...fixtures['gpu.registered'],
  id: `gpu-${gpuId}`,
  data: { ...fixtures['gpu.registered'].data, gpuId, framebufferMib: 16384, policy },
});
const place = (vmId: string, workload: string, gpuId: string): InventoryEvent => ({
  ...fixtures['vm.placed'],
  id: `place-${vmId}`,
  data: { vmId, gpuId, profile: '8Q', framebufferMib: 8192, workload },
});

function run(config: TwinConfig, events: TwinInput[]): TwinOutput[] {
  const state = initialState();
  return events.flatMap((e) => step(state, e, config));
}
const lastPrediction = (out: TwinOutput[], vmId: string) =>
  out.filter((o) => o.type === 'twin.prediction' && o.data.vmId === vmId).at(-1) as Extract<
    TwinOutput,
    { type: 'twin.prediction' }
  >;
const round4 = (x: number) => Math.round(x * 1e4) / 1e4; // the twin's rounding of published numbers

describe('the twin predicting with a learned interference model', () => {
  const inventory = [
    fixtures['host.registered'],
    gpu('gpu-1'),
    profiled(nameA, featuresOf(nameA)),
    profiled(nameB, featuresOf(nameB)),
  ];

  it('publishes the hybrid: the scheduler part and the learned residual, named by the model', () => {
    const model = learnedModel('hybrid@test', hybrid);
    const out = run({ ...defaultTwinConfig, model }, [
      ...inventory,
      place('vm-a', nameA, 'gpu-1'),
      place('vm-b', nameB, 'gpu-1'),
    ]);
    const p = lastPrediction(out, 'vm-a');
    // The same numbers libs/interference gives for the pair from the profiles file
    const expected = predictSlowdown(hybrid, data.profiles, nameA, [nameB], 'best_effort').slowdown;
    const scheduler = schedulerPrediction(
      data.profiles,
      hybrid.schedulerColumns,
      nameA,
      [nameB],
      'best_effort',
    );
    expect(p.data.model).toBe('hybrid@test');
    expect(p.data.predictedSlowdown).toBe(round4(Math.max(1, expected)));
    expect(p.data.components.scheduler).toBe(round4(scheduler));
    expect(p.data.components.residual).toBe(round4(p.data.predictedSlowdown - round4(scheduler)));
    expect(p.data.coRunners).toEqual(['vm-b']);
  });

  it('caches by co-location set: a second GPU with the same mix is answered from the memo, with the same numbers', () => {
    const model = learnedModel('hybrid@test', hybrid);
    const out = run({ ...defaultTwinConfig, model }, [
      ...inventory,
      gpu('gpu-2'),
      place('vm-a', nameA, 'gpu-1'),
      place('vm-b', nameB, 'gpu-1'),
    ]);
    const missesBefore = predictionMemoStats.misses;
    const hitsBefore = predictionMemoStats.hits;
    const more = run({ ...defaultTwinConfig, model }, [
      ...inventory,
      gpu('gpu-2'),
      place('vm-c', nameA, 'gpu-2'),
      place('vm-d', nameB, 'gpu-2'),
    ]);
    expect(predictionMemoStats.misses).toBe(missesBefore); // every prediction of gpu-2 came from the memo
    expect(predictionMemoStats.hits).toBeGreaterThan(hitsBefore);
    expect(lastPrediction(more, 'vm-c').data.predictedSlowdown).toBe(
      lastPrediction(out, 'vm-a').data.predictedSlowdown,
    );
  });

  it('gives the same predictions with a cold memo as with a warm one (a restarted twin agrees)', () => {
    const events = [...inventory, place('vm-a', nameA, 'gpu-1'), place('vm-b', nameB, 'gpu-1')];
    const warm = learnedModel('hybrid@test', hybrid);
    run({ ...defaultTwinConfig, model: warm }, [
      ...inventory,
      profiled(nameC, featuresOf(nameC)),
      place('vm-x', nameB, 'gpu-1'),
      place('vm-y', nameA, 'gpu-1'),
    ]);
    const a = run({ ...defaultTwinConfig, model: warm }, events);
    const b = run({ ...defaultTwinConfig, model: learnedModel('hybrid@test', hybrid) }, events);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('predicts with the scheduler model alone, and says so, under a policy the model was not trained on', () => {
    const model = learnedModel('hybrid@test', hybrid);
    const out = run({ ...defaultTwinConfig, model }, [
      fixtures['host.registered'],
      gpu('gpu-1', 'equal_share'),
      profiled(nameA, featuresOf(nameA)),
      profiled(nameB, featuresOf(nameB)),
      place('vm-a', nameA, 'gpu-1'),
      place('vm-b', nameB, 'gpu-1'),
    ]);
    const p = lastPrediction(out, 'vm-a');
    expect(p.data.model).toBe('scheduler@1');
    expect(p.data.components.residual).toBe(0);
  });

  it('predicts with the scheduler alone when a workload lacks a column the model reads, rather than guessing it', () => {
    const extended = trainRegressor(data, 'hybrid', resolveFeatures('extend', data.profiles), 'best_effort', {
      trees: 3,
      seed: 7,
    }).model;
    const { vcpuUtilPct: _dropped, ...withoutVcpu } = featuresOf(nameB);
    const out = run({ ...defaultTwinConfig, model: learnedModel('hybrid@ext', extended) }, [
      fixtures['host.registered'],
      gpu('gpu-1'),
      profiled(nameA, featuresOf(nameA)),
      profiled(nameB, withoutVcpu),
      place('vm-a', nameA, 'gpu-1'),
      place('vm-b', nameB, 'gpu-1'),
    ]);
    expect(lastPrediction(out, 'vm-a').data.model).toBe('scheduler@1');
  });
});
