import type { FieldIssue } from '@vgpu-twin/contracts';
import { check, isFiniteNumber, throwIfInvalid } from './validate';

/**
 * Cluster-wide error of the model: "model stale — retrain".
 *
 * Each VM keeps an exponentially weighted mean of its *relative* residual
 * (observed − predicted) / predicted. Its absolute value is that VM's systematic error: noise
 * averages out (σ = 5% leaves 0.05·√(α/(2−α)) ≈ 0.35% at α = 0.01), a model that is wrong for
 * this VM does not. The cluster error is the mean of |EW mean| over the VMs with enough samples,
 * kept as running sums so one update is O(1) whatever the cluster size.
 *
 * Hysteresis: stale when the error rises above `staleAbove` with at least `minVms` VMs of
 * evidence; fresh again only when it falls below `freshBelow`. Too few VMs changes nothing.
 */
export interface ModelErrorConfig {
  /** Weight of a new sample in a VM's mean relative residual (0.01: a horizon of ~100 samples). */
  readonly alpha: number;
  /** Samples a VM needs before it counts. */
  readonly minSamples: number;
  /** VMs that must count before the model can be declared stale. */
  readonly minVms: number;
  /** Raise "model stale" above this mean |relative error|. */
  readonly staleAbove: number;
  /** Clear it below this one (< staleAbove). */
  readonly freshBelow: number;
}

/**
 * The analytical scheduler model's median error against its simulation is 3.5–5.4%
 * (libs/scheduler/README.md), so a healthy twin sits near 5%: stale at 3× that, fresh again at 2×.
 * 100 samples (α = 0.01, 1.7 min at 1 Hz) per VM and 10 VMs keep one odd VM from declaring the
 * whole model stale.
 */
export const DEFAULT_MODEL_ERROR: ModelErrorConfig = {
  alpha: 0.01,
  minSamples: 100,
  minVms: 10,
  staleAbove: 0.15,
  freshBelow: 0.1,
};

/** Merges overrides into the defaults and validates once (at boot), naming every bad key. */
export function modelErrorConfig(overrides: Partial<ModelErrorConfig> = {}): ModelErrorConfig {
  const c: ModelErrorConfig = { ...DEFAULT_MODEL_ERROR, ...overrides };
  const issues: FieldIssue[] = [];
  check(issues, 'alpha', isFiniteNumber(c.alpha) && c.alpha > 0 && c.alpha <= 1, 'must be in (0, 1]');
  check(issues, 'minSamples', Number.isInteger(c.minSamples) && c.minSamples >= 1, 'must be an integer ≥ 1');
  check(issues, 'minVms', Number.isInteger(c.minVms) && c.minVms >= 1, 'must be an integer ≥ 1');
  check(
    issues,
    'staleAbove',
    isFiniteNumber(c.staleAbove) && c.staleAbove > 0,
    'must be a finite number > 0',
  );
  check(
    issues,
    'freshBelow',
    isFiniteNumber(c.freshBelow) && c.freshBelow >= 0 && c.freshBelow < c.staleAbove,
    'must be ≥ 0 and < staleAbove',
  );
  throwIfInvalid('model error', issues);
  return c;
}

/** One VM's share of the cluster error; lives beside its drift monitor. JSON-serialisable. */
export interface VmModelErrorState {
  /** EW mean of (observed − predicted) / predicted. */
  mean: number;
  samples: number;
  /** Whether this VM is in the cluster sums (it has `minSamples`). */
  counted: boolean;
}

/** The cluster's running sums and the stale flag. JSON-serialisable. */
export interface ModelErrorState {
  /** Σ |mean| and Σ mean over the counted VMs. */
  sumAbs: number;
  sumSigned: number;
  /** VMs counted. */
  vms: number;
  stale: boolean;
  /** Samples ignored: non-finite values or a prediction ≤ 0. */
  skipped: number;
}

export interface ModelErrorReading {
  /** Mean over counted VMs of |mean relative residual| (0.12 = off by 12% on average). */
  readonly error: number;
  /** Mean signed relative residual: > 0 the model is optimistic (VMs slower than predicted). */
  readonly bias: number;
  readonly vms: number;
}

export type ModelErrorTransition =
  | ({ readonly type: 'model.stale' } & ModelErrorReading)
  | ({ readonly type: 'model.fresh' } & ModelErrorReading);

export function createModelError(): ModelErrorState {
  return { sumAbs: 0, sumSigned: 0, vms: 0, stale: false, skipped: 0 };
}

export function createVmModelError(): VmModelErrorState {
  return { mean: 0, samples: 0, counted: false };
}

/** The current reading (allocates; for reports and alerts, not the hot path). */
export function readModelError(cluster: ModelErrorState): ModelErrorReading {
  return cluster.vms === 0
    ? { error: 0, bias: 0, vms: 0 }
    : { error: cluster.sumAbs / cluster.vms, bias: cluster.sumSigned / cluster.vms, vms: cluster.vms };
}

/**
 * Feeds one VM's observed and predicted slowdown. **Mutates** both states; returns a transition
 * only when the stale flag flips.
 */
export function updateModelError(
  cluster: ModelErrorState,
  vm: VmModelErrorState,
  observed: number,
  predicted: number,
  config: ModelErrorConfig,
): ModelErrorTransition | null {
  const r = (observed - predicted) / predicted;
  if (!Number.isFinite(r) || !(predicted > 0)) {
    cluster.skipped++;
    return null;
  }
  const old = vm.mean;
  // The first sample seeds the mean: otherwise a VM's error would creep up from 0 over ~1/α samples.
  const mean = (vm.mean = vm.samples === 0 ? r : old + config.alpha * (r - old));
  vm.samples++;
  if (vm.counted) {
    cluster.sumAbs += Math.abs(mean) - Math.abs(old);
    cluster.sumSigned += mean - old;
  } else if (vm.samples >= config.minSamples) {
    vm.counted = true;
    cluster.vms++;
    cluster.sumAbs += Math.abs(mean);
    cluster.sumSigned += mean;
  } else return null;
  return decide(cluster, config);
}

/** Takes a VM out of the cluster sums (it was removed); its state may be dropped afterwards. */
export function removeVmFromModelError(
  cluster: ModelErrorState,
  vm: VmModelErrorState,
  config: ModelErrorConfig,
): ModelErrorTransition | null {
  if (!vm.counted) return null;
  vm.counted = false;
  cluster.vms--;
  cluster.sumAbs -= Math.abs(vm.mean);
  cluster.sumSigned -= vm.mean;
  if (cluster.vms === 0) {
    // Nothing left to sum: clear the rounding residue so it cannot leak into the next VMs' mean.
    cluster.sumAbs = 0;
    cluster.sumSigned = 0;
  }
  return decide(cluster, config);
}

function decide(cluster: ModelErrorState, config: ModelErrorConfig): ModelErrorTransition | null {
  const error = cluster.vms === 0 ? 0 : cluster.sumAbs / cluster.vms;
  if (!cluster.stale) {
    if (cluster.vms < config.minVms || error <= config.staleAbove) return null;
    cluster.stale = true;
    return { type: 'model.stale', ...readModelError(cluster) };
  }
  if (cluster.vms < config.minVms || error >= config.freshBelow) return null;
  cluster.stale = false;
  return { type: 'model.fresh', ...readModelError(cluster) };
}
