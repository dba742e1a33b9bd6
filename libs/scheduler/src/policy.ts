import { ValidationError, type SchedulingPolicy } from '@vgpu-twin/contracts';
import type { Workload } from './workload';

/**
 * Time-slice scheduler parameters.
 * - `timeSliceMs` 1: the slice was measured at about 1 ms on a P100 (DESIGN.md).
 * - `switchMs` 0.03: a context switch is a hardware preemption, "up to ~30% for simple kernels"
 *   (DESIGN.md). Two 0.1 ms-kernel VMs with no CPU gap switch before every kernel, so each kernel
 *   costs 0.1 + 0.03 ms: 30% overhead, the published worst case, and 2 × 1.3 = 2.6× slowdown, inside
 *   the published short-next-to-short range of 1.13–2.7×.
 * - `refillMs` 0.2: extra start-up a kernel pays, times its memory intensity, when another VM ran
 *   since its last slice (cold L2 and TLB, outstanding memory traffic at preemption). Calibrated,
 *   not derived: it is the smallest round value that makes memory-bound next to memory-bound
 *   exceed 2× as measured, while long next to long stays near 2×.
 */
export interface SchedulerParams {
  readonly timeSliceMs: number;
  readonly switchMs: number;
  readonly refillMs: number;
}

export const DEFAULT_SCHEDULER_PARAMS: SchedulerParams = { timeSliceMs: 1, switchMs: 0.03, refillMs: 0.2 };

/** One vGPU on the GPU: the framebuffer its profile grants and the job its VM runs. */
export interface ScenarioVm {
  readonly framebufferMib: number;
  readonly workload: Workload;
}

export interface Scenario {
  readonly policy: SchedulingPolicy;
  readonly gpuFramebufferMib: number;
  readonly vms: readonly ScenarioVm[];
  readonly params?: Partial<SchedulerParams>;
}

export function resolveParams(p: Partial<SchedulerParams> | undefined): SchedulerParams {
  const r = { ...DEFAULT_SCHEDULER_PARAMS, ...p };
  if (!(r.timeSliceMs > 0))
    throw new ValidationError('timeSliceMs must be > 0', [{ path: 'timeSliceMs', message: 'must be > 0' }]);
  if (!(r.switchMs >= 0 && r.switchMs < r.timeSliceMs)) {
    throw new ValidationError('switchMs must be ≥ 0 and shorter than the time slice', [
      { path: 'switchMs', message: 'must be within [0, timeSliceMs)' },
    ]);
  }
  if (!(r.refillMs >= 0 && r.switchMs + r.refillMs < r.timeSliceMs)) {
    throw new ValidationError('refillMs must be ≥ 0 and switchMs + refillMs shorter than the time slice', [
      { path: 'refillMs', message: 'must be within [0, timeSliceMs − switchMs)' },
    ]);
  }
  return r;
}

export function validateScenario(s: Scenario): void {
  if (!(s.gpuFramebufferMib > 0))
    throw new ValidationError('gpuFramebufferMib must be > 0', [
      { path: 'gpuFramebufferMib', message: 'must be > 0' },
    ]);
  let fb = 0;
  s.vms.forEach((vm, i) => {
    if (!(vm.framebufferMib > 0)) {
      throw new ValidationError(`vms[${i}].framebufferMib must be > 0`, [
        { path: `vms[${i}].framebufferMib`, message: 'must be > 0' },
      ]);
    }
    fb += vm.framebufferMib;
  });
  if (fb > s.gpuFramebufferMib) {
    throw new ValidationError(`vGPUs hold ${fb} MiB, more than the GPU's ${s.gpuFramebufferMib} MiB`, [
      { path: 'vms', message: 'framebuffer over-committed' },
    ]);
  }
}

/**
 * The long-run share of GPU time each vGPU is entitled to when its VM always has work queued
 * (DESIGN.md, "Scheduling policies"):
 * - best effort: all slices go round robin to the vGPUs with work → 1 / (number active);
 * - equal share: every assigned vGPU gets its slice, used or not → 1 / (number assigned);
 * - fixed share: slices in proportion to framebuffer → own framebuffer / GPU framebuffer.
 * Inactive vGPUs get 0.
 */
export function policyShares(
  policy: SchedulingPolicy,
  gpuFramebufferMib: number,
  vgpus: readonly { readonly framebufferMib: number; readonly active: boolean }[],
): number[] {
  const active = vgpus.filter((v) => v.active).length;
  return vgpus.map((v) => {
    if (!v.active) return 0;
    switch (policy) {
      case 'best_effort':
        return 1 / active;
      case 'equal_share':
        return 1 / vgpus.length;
      case 'fixed_share':
        return v.framebufferMib / gpuFramebufferMib;
      default: {
        const _exhaustive: never = policy;
        return _exhaustive;
      }
    }
  });
}

/** A slot of the fixed rotation that equal and fixed share follow; owner −1 = nobody (GPU idles). */
export interface Slot {
  readonly owner: number;
  readonly lengthMs: number;
}

/**
 * The rotation of the non-work-conserving policies. Equal share: one slice per assigned vGPU.
 * Fixed share: slices proportional to framebuffer, with the unassigned framebuffer's slices left
 * idle, so three 4 GB vGPUs on a 16 GB GPU each own 1 ms of every 4 ms.
 */
export function slotRotation(
  policy: Exclude<SchedulingPolicy, 'best_effort'>,
  gpuFramebufferMib: number,
  fbs: readonly number[],
  sliceMs: number,
): Slot[] {
  switch (policy) {
    case 'equal_share':
      return fbs.map((_, i) => ({ owner: i, lengthMs: sliceMs }));
    case 'fixed_share': {
      const unit = Math.min(...fbs);
      const slots = fbs.map((fb, i) => ({ owner: i, lengthMs: (sliceMs * fb) / unit }));
      const free = gpuFramebufferMib - fbs.reduce((a, b) => a + b, 0);
      if (free > 0) slots.push({ owner: -1, lengthMs: (sliceMs * free) / unit });
      return slots;
    }
    default: {
      const _exhaustive: never = policy;
      return _exhaustive;
    }
  }
}
