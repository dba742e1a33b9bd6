import type { SchedulingPolicy, WorkloadFeatures } from '@vgpu-twin/contracts';
import { predictSlowdown, schedulerPrediction, type Profiles, type Regressor } from '@vgpu-twin/interference';

/** The profile column (libs/interference's CSV names) each `workload.profiled` feature fills. */
export const PROFILE_COLUMN_OF = {
  gpuUtilPct: 'gpu_util',
  memUtilPct: 'mem_util',
  fbMib: 'fb_mib',
  pcieRxMBps: 'pcie_rx_mbps',
  pcieTxMBps: 'pcie_tx_mbps',
  vcpuUtilPct: 'vcpu_util',
  vmMemUtilPct: 'vm_mem_util',
  threadsPerKernel: 'threads_per_kernel',
  kernelMs: 'kernel_ms',
  longKernelMs: 'long_kernel_ms',
  longShortRatio: 'long_short_ratio',
} as const satisfies Record<keyof WorkloadFeatures, string>;

const FEATURE_OF = new Map<string, keyof WorkloadFeatures>(
  Object.entries(PROFILE_COLUMN_OF).map(([feature, column]) => [column, feature as keyof WorkloadFeatures]),
);

/** A loaded interference model artifact the twin predicts with (libs/interference). */
export interface LearnedModel {
  /** Recorded on every prediction, e.g. `hybrid@3f2a9c1b0d4e` (kind @ training-data hash). */
  readonly name: string;
  readonly regressor: Regressor;
  /** The profile columns it reads: its features and, for the hybrid, what its scheduler part reads. */
  readonly columns: readonly string[];
  /** Predictions by co-location set; a memo of a pure function, so it never changes a result. */
  readonly cache: Map<string, LearnedPrediction>;
  /** Entries kept before the memo is cleared (telemetry-revealed demand makes new keys). */
  readonly cacheLimit: number;
  readonly stats: { hits: number; misses: number };
}

export function learnedModel(name: string, regressor: Regressor, cacheLimit = 50_000): LearnedModel {
  const columns = [...new Set([...regressor.features, ...regressor.schedulerColumns])];
  return { name, regressor, columns, cache: new Map(), cacheLimit, stats: { hits: 0, misses: 0 } };
}

export interface LearnedMember {
  readonly vmId: string;
  readonly features: WorkloadFeatures | undefined;
  /** GPU utilisation the twin believes in: the profile's, or more if telemetry has shown more. */
  readonly gpuUtilPct: number;
}

export interface LearnedPrediction {
  readonly slowdown: number;
  /** The scheduler model's part (the hybrid's own; for rf / linear the caller's share arithmetic). */
  readonly scheduler: number | null;
}

/**
 * Each member's predicted slowdown next to the others, or null when the model cannot speak for
 * this GPU: it was trained under another policy, or a member's profile lacks a column the model
 * reads (the twin then falls back to its share arithmetic and says so in the prediction's model).
 * A VM alone is not slowed. Slowdowns below 1 (a negative learned residual) are raised to 1.
 */
export function predictLearned(
  model: LearnedModel,
  policy: SchedulingPolicy,
  members: readonly LearnedMember[],
): (LearnedPrediction | null)[] | null {
  const r = model.regressor;
  if (policy !== r.policy) return null;
  const columns = model.columns;
  const vectors: number[][] = [];
  for (const m of members) {
    if (!m.features) return null;
    const v: number[] = [];
    for (const c of columns) {
      const key = FEATURE_OF.get(c);
      const value = key === 'gpuUtilPct' ? m.gpuUtilPct : key ? m.features[key] : undefined;
      if (value === undefined) return null;
      v.push(value);
    }
    vectors.push(v);
  }
  const keys = vectors.map((v) => v.join(','));
  return members.map((_, i) => {
    // Co-runners in a canonical order: the result is a function of the key alone (float sums
    // follow their order), so a cold memo after a restart gives the same doubles as a warm one.
    const others = keys.flatMap((k, j) => (j === i ? [] : [[k, vectors[j]!] as const]));
    others.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const cacheKey = `${policy}|${keys[i]}|${others.map((o) => o[0]).join('|')}`;
    const hit = model.cache.get(cacheKey);
    if (hit) {
      model.stats.hits++;
      return hit;
    }
    model.stats.misses++;
    const p = predictOne(r, policy, columns, [vectors[i]!, ...others.map((o) => o[1])]);
    if (model.cache.size >= model.cacheLimit) model.cache.clear();
    model.cache.set(cacheKey, p);
    return p;
  });
}

function predictOne(
  r: Regressor,
  policy: SchedulingPolicy,
  columns: readonly string[],
  /** The target's vector first, then its co-runners'. */
  vectors: readonly (readonly number[])[],
): LearnedPrediction {
  if (vectors.length < 2) return { slowdown: 1, scheduler: r.kind === 'hybrid' ? 1 : null };
  // Named by position: members with the same profile stay distinct co-runners.
  const names = vectors.map((_, i) => `m${i}`);
  const profiles: Profiles = { columns, rows: new Map(names.map((n, i) => [n, vectors[i]!])) };
  const [target, ...others] = names as [string, ...string[]];
  const slowdown = Math.max(1, predictSlowdown(r, profiles, target, others, policy).slowdown);
  const scheduler =
    r.kind === 'hybrid' ? schedulerPrediction(profiles, r.schedulerColumns, target, others, policy) : null;
  return { slowdown, scheduler };
}
