import type { SchedulingPolicy } from '@vgpu-twin/contracts';

export interface VgpuDemand {
  /** Fraction of GPU time the workload would use alone on a full GPU, 0–1. */
  readonly demand: number;
  /** The framebuffer its profile grants. */
  readonly framebufferMib: number;
}

/**
 * GPU-time shares under each vGPU scheduling policy (DESIGN.md, "Scheduling policies"):
 * - best effort: work-conserving round robin — max-min fair (water-filling) over the demands;
 * - equal share: 1/N of the slices for each of the N assigned vGPUs, used or not;
 * - fixed share: slices in proportion to the vGPU's share of the GPU's framebuffer.
 * A vGPU never gets more than it asks for. Worked example from DESIGN.md: 16 GB GPU, three 4 GB
 * vGPUs, one active → 1, 1/3, 1/4.
 */
export function gpuShares(
  policy: SchedulingPolicy,
  vgpus: readonly VgpuDemand[],
  gpuFramebufferMib: number,
): number[] {
  const n = vgpus.length;
  switch (policy) {
    case 'equal_share':
      return vgpus.map((v) => Math.min(v.demand, 1 / n));
    case 'fixed_share':
      return vgpus.map((v) => Math.min(v.demand, v.framebufferMib / gpuFramebufferMib));
    case 'best_effort':
      return waterFill(vgpus.map((v) => v.demand));
    default: {
      const _exhaustive: never = policy;
      return _exhaustive;
    }
  }
}

/** Max-min fair allocation of one unit of GPU time. */
export function waterFill(demands: readonly number[]): number[] {
  const alloc = new Array<number>(demands.length).fill(0);
  const order = demands.map((d, i) => [d, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let left = 1;
  let remaining = demands.length;
  for (const [d, i] of order) {
    const fair = left / remaining;
    const give = Math.min(d, fair);
    alloc[i] = give;
    left -= give;
    remaining--;
  }
  return alloc;
}

/**
 * Slowdown when the GPU-bound part of a run gets `share` of the GPU instead of `demand`: the run
 * can progress only as fast as its GPU time allows. A workload that asks for nothing is not slowed.
 */
export function slowdownFromShare(demand: number, share: number): number {
  if (demand <= 0) return 1;
  if (share <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(1, demand / share);
}
