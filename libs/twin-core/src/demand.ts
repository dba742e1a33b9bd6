import type { AnyVmSample } from '@vgpu-twin/contracts';
import { effectiveFeatures, predictGpu, withDemand, type PredictMode } from './predict';
import type { GpuState, TwinConfig, TwinState, VmState } from './state';

/** Samples of GPU utilisation averaged into the estimate. */
const WINDOW = 3;
/** Bisection steps over 0.5–100% solo utilisation: 2⁻²⁰ of the range, far below measurement noise. */
const STEPS = 20;
/** Half-width of the bracket the simulation refines the closed form's estimate in, and its steps (40 / 2⁶ ≈ 0.6 points). */
const REFINE_PCT = 20;
const REFINE_STEPS = 6;
/** A re-estimate that moves demand by less than this many points changes nothing. */
const MIN_CHANGE_PCT = 2;

/** Rounds of the joint estimate (Gauss–Seidel over the GPU's VMs); two VMs settle in two or three. */
const ROUNDS = 4;

/**
 * Demand under contention. A VM's measured GPU utilisation is capped by the share it gets, so it is
 * never read as its demand. Instead telemetry is compared with the utilisation the model *predicts*
 * for each VM in its co-location set (its solo demand ÷ its predicted slowdown); when a VM's
 * measurement parts from that by more than the tolerance for `demandSamples` samples in a row, the
 * demands of the whole GPU are re-estimated together: the solo utilisations at which the model's
 * predicted utilisation of every VM equals its latest measurement, solved VM by VM (largest
 * excess first) for a few rounds. So a neighbour that turned heavy is found heavy, and the VM it
 * holds back keeps its demand: its lower utilisation is explained by the neighbour, not read as
 * a lighter job. Returns true when a demand changed (the caller re-predicts the GPU).
 */
export function trackDemand(state: TwinState, vm: VmState, event: AnyVmSample, config: TwinConfig): boolean {
  const util = event.data.gpuUtilPct;
  if (util === null) return false; // a source with no per-VM utilisation (a time-sliced GPU's dcgm-exporter)
  vm.utilWindow.push(util);
  if (vm.utilWindow.length > WINDOW) vm.utilWindow.shift();
  const expected = predictedUtil(state, vm);
  if (expected === null) return false;
  const side = offSide(util, expected, config);
  vm.utilOff = side === 0 ? 0 : Math.sign(vm.utilOff) === side ? vm.utilOff + side : side;
  if (Math.abs(vm.utilOff) < config.demandSamples) return false;
  vm.utilOff = 0;
  return estimateGpu(state, vm.gpuId, config);
}

/** The utilisation the current prediction implies for the VM, in percent (null: no prediction). */
function predictedUtil(state: TwinState, vm: VmState): number | null {
  if (vm.predictedSlowdown === null) return null;
  const f = effectiveFeatures(state, vm);
  return f ? f.gpuUtilPct / vm.predictedSlowdown : null;
}

function offSide(util: number, expected: number, config: TwinConfig): -1 | 0 | 1 {
  const tolerance = Math.max(config.demandTolerancePct, config.demandTolerance * expected);
  return util > expected + tolerance ? 1 : util < expected - tolerance ? -1 : 0;
}

function estimateGpu(state: TwinState, gpuId: string, config: TwinConfig): boolean {
  const gpu = state.gpus.get(gpuId);
  if (!gpu) return false;
  const members = gpu.vms.map((id) => state.vms.get(id)!);
  const before = members.map((m) => m.demandPct);
  for (let round = 0; round < ROUNDS; round++) {
    // Most over its prediction first: that is the VM whose demand rose.
    const order = members
      .filter((m) => m.measuredUtilPct !== null && state.workloads.has(m.workload))
      .map((m) => ({
        m,
        excess: m.measuredUtilPct! - (utilIn(state, gpu, m, demandOf(state, m), config) ?? 0),
      }))
      .sort((a, b) => b.excess - a.excess || (a.m.vmId < b.m.vmId ? -1 : 1));
    let moved = false;
    for (const { m } of order) {
      // Within the tolerance of its prediction (the others' estimates may just have explained it): left alone.
      const expected = utilIn(state, gpu, m, demandOf(state, m), config);
      if (expected === null || offSide(m.measuredUtilPct!, expected, config) === 0) continue;
      const estimate = solveDemand(state, gpu, m, m.measuredUtilPct!, config);
      if (estimate === null || Math.abs(estimate - demandOf(state, m)) < MIN_CHANGE_PCT) continue;
      m.demandPct = Math.round(estimate * 10) / 10;
      moved = true;
    }
    if (!moved) break;
  }
  // The profile wherever it still explains what every VM on the GPU is measured at: a VM raised
  // only to explain a neighbour's estimate (which has since come down) goes back to its profile.
  for (const m of members) {
    if (m.demandPct === null) continue;
    const kept = m.demandPct;
    m.demandPct = null;
    if (!members.every((o) => consistent(state, gpu, o, config))) m.demandPct = kept;
  }
  return members.some((m, i) => m.demandPct !== before[i]);
}

/** Whether a VM's latest utilisation sits within the tolerance of what the model predicts for it now. */
function consistent(state: TwinState, gpu: GpuState, vm: VmState, config: TwinConfig): boolean {
  if (vm.measuredUtilPct === null || !state.workloads.has(vm.workload)) return true;
  const expected = utilIn(state, gpu, vm, demandOf(state, vm), config);
  return expected === null || offSide(vm.measuredUtilPct, expected, config) === 0;
}

const demandOf = (state: TwinState, vm: VmState): number => effectiveFeatures(state, vm)?.gpuUtilPct ?? 0;

/** The model's predicted utilisation of `vm` in its GPU's current set, were its solo demand `demand` percent. */
function utilIn(
  state: TwinState,
  gpu: GpuState,
  vm: VmState,
  demand: number,
  config: TwinConfig,
  mode: PredictMode = 'simulate',
): number | null {
  const base = state.workloads.get(vm.workload)?.features;
  if (!base) return null;
  const features = withDemand(base, demand);
  const p = predictGpu(state, gpu, config, { override: { vmId: vm.vmId, features }, mode });
  return p.ok ? demand / p.vms.get(vm.vmId)!.slowdown : null;
}

/** The solo demand whose predicted utilisation is `target` (bisection: the model's is increasing in it). */
function solveDemand(
  state: TwinState,
  gpu: GpuState,
  vm: VmState,
  target: number,
  config: TwinConfig,
): number | null {
  // The closed form finds the neighbourhood in microseconds; the model the twin predicts with
  // (the simulation, ~10 ms a set) then settles it in a few steps, so the demand found is the
  // one at which *its* predicted utilisation matches the measurement.
  const rough = bisect((d) => utilIn(state, gpu, vm, d, config, 'closed-form'), target, 0.5, 100, STEPS);
  if (rough === null) return null;
  return bisect(
    (d) => utilIn(state, gpu, vm, d, config),
    target,
    Math.max(0.5, rough - REFINE_PCT),
    Math.min(100, rough + REFINE_PCT),
    REFINE_STEPS,
  );
}

/** The x in [lo, hi] at which the increasing `f` reaches `target` (an end where it never does). */
function bisect(
  f: (x: number) => number | null,
  target: number,
  lo: number,
  hi: number,
  steps: number,
): number | null {
  const top = f(hi);
  if (top === null) return null;
  if (top <= target) return hi;
  if (f(lo)! >= target) return lo;
  for (let i = 0; i < steps; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid)! < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
