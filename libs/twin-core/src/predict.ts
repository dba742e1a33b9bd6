import type { SchedulingPolicy, WorkloadFeatures } from '@vgpu-twin/contracts';
import { composeOverheads, predictPairVector } from '@vgpu-twin/interference';
import {
  SCHEDULER_MODEL,
  predict,
  shareArithmetic,
  simulateProfiles,
  workloadFromFeatures,
  workloadWithSpread,
  type SoloFeatures,
  type Workload,
} from '@vgpu-twin/scheduler';
import { PROFILE_COLUMN_OF, type LearnedModel } from './learned-model';
import type { GpuState, TwinConfig, TwinState, VmState } from './state';

export { SCHEDULER_MODEL };

/** A stalled VM (progress 0) is reported at this slowdown rather than infinity, which JSON cannot carry. */
export const MAX_SLOWDOWN = 1000;

/** One VM's predicted slowdown in its co-location set, and how it was reached. */
export interface VmPrediction {
  /** What the twin predicts: scheduler + residual (never below 1). */
  readonly slowdown: number;
  /** libs/scheduler's analytical time-slice model. */
  readonly scheduler: number;
  /** The learned model's correction (0 where it cannot speak). */
  readonly residual: number;
  /** Fraction of GPU time the VM's kernels should get: its solo GPU utilisation ÷ its slowdown. */
  readonly share: number;
  /** The naive share arithmetic (demand ÷ policy share), for comparison only. */
  readonly shareArithmetic: number;
  /** `hybrid@<hash>` (or the artifact's kind) where the learned model spoke, else `scheduler@<version>`. */
  readonly model: string;
}

/** A member of a co-location set as the model reads it. */
export interface SetMember {
  readonly framebufferMib: number;
  readonly features: WorkloadFeatures;
}

export interface SetGpu {
  readonly policy: SchedulingPolicy;
  readonly framebufferMib: number;
  readonly timeSliceMs: number;
}

/**
 * The features the twin believes a VM runs with: its workload's solo profile, with the GPU demand
 * telemetry has revealed (`demandPct`, estimated against the scheduler model so that contention
 * never reads as low demand; see demand.ts) in place of the profile's. Memory utilisation scales
 * with it (a kernel's memory intensity is a property of the kernel, not of how often it runs).
 * Undefined: the workload was never profiled — the VM is unprofiled and never guessed.
 */
export function effectiveFeatures(state: TwinState, vm: VmState): WorkloadFeatures | undefined {
  const f = state.workloads.get(vm.workload)?.features;
  return f && vm.demandPct !== null ? withDemand(f, vm.demandPct) : f;
}

/** A profile as if its workload asked for `demandPct` of the GPU alone: memory busy in proportion. */
export function withDemand(f: WorkloadFeatures, demandPct: number): WorkloadFeatures {
  const scale = f.gpuUtilPct > 0 ? demandPct / f.gpuUtilPct : 1;
  return { ...f, gpuUtilPct: demandPct, memUtilPct: Math.min(100, f.memUtilPct * scale) };
}

/**
 * `simulate`: libs/scheduler's discrete-event model of the profile-built loops with their spread
 * (`simulateProfiles`, ~5–15 ms a new set, memoised) — what the twin predicts with.
 * `closed-form`: its analytical `predict` on the same loops' means (~1 µs) — for the demand
 * estimate's bisection, which asks the model about dozens of candidate demands at once.
 */
export type PredictMode = 'simulate' | 'closed-form';

/** Predictions by co-location set: a memo of a pure function of its key, so it never changes a result. */
const memo = new Map<string, readonly VmPrediction[]>();
const MEMO_LIMIT = 50_000;
export const predictionMemoStats = { hits: 0, misses: 0 };

/**
 * Each member's predicted slowdown on one GPU: libs/scheduler's `predict` of the whole set (policy,
 * time slice, switch cost, each member's loop from its profile via `workloadFromFeatures`), plus the
 * learned model's residual per co-runner where the model was trained under this policy and every
 * member's profile has the columns it reads — else the scheduler alone, named `scheduler@<version>`.
 */
export function predictSet(
  gpu: SetGpu,
  members: readonly SetMember[],
  model: LearnedModel | undefined,
  mode: PredictMode = 'simulate',
): readonly VmPrediction[] {
  if (members.length === 0) return [];
  let key = `${mode}|${model?.name ?? ''}|${gpu.policy}|${gpu.framebufferMib}|${gpu.timeSliceMs}`;
  for (const m of members) key += `|${m.framebufferMib}:${featureId(m.features)}`;
  const hit = memo.get(key);
  if (hit) {
    predictionMemoStats.hits++;
    return hit;
  }
  predictionMemoStats.misses++;
  const result = computeSet(gpu, members, model, mode);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, result);
  return result;
}

/**
 * A short stand-in for a profile's feature values in the memo key (what-if builds one key per GPU
 * of the cluster, and long keys cost more to build and hash than the memo saves): each distinct
 * `featureKey` string gets a number never reused, so equal ids mean equal values. Features are
 * readonly; the id of an object is remembered while it lives.
 */
const featureIds = new Map<string, number>();
const idOfObject = new WeakMap<WorkloadFeatures, number>();
let nextFeatureId = 0;

function featureId(f: WorkloadFeatures): number {
  let id = idOfObject.get(f);
  if (id !== undefined) return id;
  const k = featureKey(f);
  id = featureIds.get(k);
  if (id === undefined) {
    if (featureIds.size >= MEMO_LIMIT) featureIds.clear(); // ids are never reused: old memo keys just miss
    featureIds.set(k, (id = nextFeatureId++));
  }
  idOfObject.set(f, id);
  return id;
}

function featureKey(f: WorkloadFeatures): string {
  return `${f.gpuUtilPct},${f.memUtilPct},${f.pcieRxMBps},${f.pcieTxMBps},${f.fbMib},${f.vcpuUtilPct},${f.vmMemUtilPct},${f.threadsPerKernel},${f.kernelMs},${f.longKernelMs},${f.longShortRatio}`;
}

function computeSet(
  gpu: SetGpu,
  members: readonly SetMember[],
  model: LearnedModel | undefined,
  mode: PredictMode,
): VmPrediction[] {
  const learned = model && model.regressor.policy === gpu.policy ? vectorsFor(model, members) : null;
  const idle = members.map(
    (m) => m.features.gpuUtilPct <= 0 && m.features.pcieRxMBps + m.features.pcieTxMBps <= 0,
  );
  const columns = learned ? model!.regressor.schedulerColumns : null;
  // An over-committed GPU is an inventory error the twin reports elsewhere; predict it as if it fit.
  const fbSum = members.reduce((s, m) => s + m.framebufferMib, 0);
  const scenario = (build: (f: SoloFeatures) => Workload) => ({
    policy: gpu.policy,
    gpuFramebufferMib: Math.max(gpu.framebufferMib, fbSum),
    params: { timeSliceMs: gpu.timeSliceMs },
    vms: members.map((m) => ({
      framebufferMib: m.framebufferMib,
      workload: build(soloFeatures(m.features, columns)),
    })),
  });
  // A VM with the GPU to itself is not slowed (slowdown is against the job alone on a full vGPU):
  // no simulation needed, and none of its sampling noise.
  const alone = idle.filter((x) => !x).length <= 1;
  const scheduler = alone
    ? { vms: members.map(() => ({ slowdown: 1 })) }
    : mode === 'closed-form'
      ? predict(scenario(workloadFromFeatures))
      : { vms: simulateProfiles(scenario(workloadWithSpread)) };
  const arithmetic = shareArithmetic(
    gpu.policy,
    members.map((m) => ({ demand: m.features.gpuUtilPct / 100, framebufferMib: m.framebufferMib })),
    Math.max(gpu.framebufferMib, fbSum),
  );
  return members.map((m, i) => {
    const s = Math.min(MAX_SLOWDOWN, scheduler.vms[i]!.slowdown);
    const residual = learned && !idle[i] ? residualOf(model!, learned, idle, i, s) : 0;
    const slowdown = Math.min(MAX_SLOWDOWN, Math.max(1, s + residual));
    return {
      slowdown,
      scheduler: s,
      residual: slowdown - s,
      share: m.features.gpuUtilPct / 100 / slowdown,
      shareArithmetic: Math.min(MAX_SLOWDOWN, arithmetic[i]!),
      model: learned ? model!.name : SCHEDULER_MODEL,
    };
  });
}

/** The learned model's input vector per member, or null when a member's profile lacks a column it reads. */
function vectorsFor(model: LearnedModel, members: readonly SetMember[]): number[][] | null {
  const out: number[][] = [];
  for (const m of members) {
    const v: number[] = [];
    for (const key of model.featureKeys) {
      const x = key ? m.features[key] : undefined;
      if (x === undefined) return null;
      v.push(x);
    }
    out.push(v);
  }
  return out;
}

/**
 * The hybrid's correction for member i: the mean of the forest's pairwise residuals over its
 * co-runners (libs/interference's aggregation: the scheduler speaks for the whole set, the forest
 * for what its profile-built loop misses next to contention; bench/RESULTS.md, Fidelity, for why
 * the mean and not the sum). A plain forest or linear model predicts the slowdown itself
 * (overheads added over co-runners); its residual is what it says beyond the scheduler.
 */
function residualOf(
  model: LearnedModel,
  vectors: readonly number[][],
  idle: readonly boolean[],
  i: number,
  scheduler: number,
): number {
  const r = model.regressor;
  const own = vectors[i]!;
  const pairwise: number[] = [];
  for (let j = 0; j < vectors.length; j++) {
    // An idle co-runner (no kernels, no copies) interacts with nothing: no pair to correct, and
    // no such pair in any training set to have learned a correction from.
    if (j === i || idle[j]) continue;
    const x = [...own, ...vectors[j]!];
    pairwise.push(r.kind === 'hybrid' ? predictPairVector(r, x, () => 0) : predictPairVector(r, x, () => 1));
  }
  if (pairwise.length === 0) return 0;
  if (r.kind === 'hybrid') return pairwise.reduce((a, b) => a + b, 0) / pairwise.length;
  return composeOverheads(pairwise) - scheduler;
}

/** The profile as libs/scheduler reads it, limited to `columns` (the hybrid's scheduler columns) when given. */
function soloFeatures(f: WorkloadFeatures, columns: readonly string[] | null): SoloFeatures {
  const use = (k: keyof WorkloadFeatures) => columns === null || columns.includes(PROFILE_COLUMN_OF[k]);
  return {
    gpuUtilPct: use('gpuUtilPct') ? f.gpuUtilPct : 100,
    memUtilPct: use('memUtilPct') ? f.memUtilPct : 0,
    pcieRxMBps: use('pcieRxMBps') ? f.pcieRxMBps : 0,
    pcieTxMBps: use('pcieTxMBps') ? f.pcieTxMBps : 0,
    ...(use('kernelMs') && f.kernelMs !== undefined ? { kernelMs: f.kernelMs } : {}),
    ...(use('longKernelMs') && f.longKernelMs !== undefined ? { longKernelMs: f.longKernelMs } : {}),
    ...(use('longShortRatio') && f.longShortRatio !== undefined ? { longShortRatio: f.longShortRatio } : {}),
  };
}

/** Why a GPU's VMs have no prediction: a member whose workload was never profiled. */
export type GpuPrediction =
  | { readonly ok: true; readonly vms: ReadonlyMap<string, VmPrediction> }
  | { readonly ok: false; readonly unprofiled: readonly string[] };

/**
 * Predicted slowdown of each VM on a GPU, optionally without one of them (the aggressor search) or
 * with the features of one replaced (demand estimation, what-if). A GPU with an unprofiled member
 * has no prediction: the set's contention cannot be known without it.
 */
export function predictGpu(
  state: TwinState,
  gpu: GpuState,
  config: TwinConfig,
  options: {
    readonly without?: string;
    readonly override?: { readonly vmId: string; readonly features: WorkloadFeatures };
    readonly mode?: PredictMode;
  } = {},
): GpuPrediction {
  const ids = options.without === undefined ? gpu.vms : gpu.vms.filter((v) => v !== options.without);
  const members: SetMember[] = [];
  const unprofiled: string[] = [];
  for (const id of ids) {
    const vm = state.vms.get(id)!;
    const features = options.override?.vmId === id ? options.override.features : effectiveFeatures(state, vm);
    if (!features) unprofiled.push(id);
    else members.push({ framebufferMib: vm.framebufferMib, features });
  }
  if (unprofiled.length > 0) return { ok: false, unprofiled };
  const predictions = predictSet(gpu, members, config.model, options.mode);
  return { ok: true, vms: new Map(ids.map((id, i) => [id, predictions[i]!])) };
}
