import type { SchedulingPolicy } from '@vgpu-twin/contracts';

/**
 * The naive baseline every prediction is compared against: a VM's slowdown is its demand (the
 * fraction of GPU time it would use alone) ÷ the GPU-time share the policy grants it. It knows
 * the policies' arithmetic (DESIGN.md, "Scheduling policies") and nothing of slice lengths,
 * context-switch costs or kernel shapes — which is why it calls a short-kernel VM next to a
 * long-kernel one 1.0× where it really runs 2–11× slower. The twin predicts with `predict` and the
 * learned residual; this is reported beside them (`shareArithmetic` on predictions, evidence of
 * `predicted_interference` alerts, bench/fidelity).
 */
export interface ShareDemand {
  /** Fraction of GPU time the workload would use alone on a full GPU, 0–1. */
  readonly demand: number;
  /** The framebuffer its profile grants. */
  readonly framebufferMib: number;
}

/**
 * GPU-time shares under each policy: best effort is max-min fair (water-filling) over the demands,
 * equal share 1/N of the slices for each of the N assigned vGPUs, fixed share in proportion to
 * framebuffer. A vGPU never gets more than it asks for. DESIGN.md's worked example: 16 GB GPU, three
 * 4 GB vGPUs, one active → 1, 1/3, 1/4.
 */
export function arithmeticShares(
  policy: SchedulingPolicy,
  vgpus: readonly ShareDemand[],
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
    const give = Math.min(d, left / remaining);
    alloc[i] = give;
    left -= give;
    remaining--;
  }
  return alloc;
}

/** The share arithmetic's slowdown of every VM: demand ÷ share, never below 1; no demand, no slowdown. */
export function shareArithmetic(
  policy: SchedulingPolicy,
  vgpus: readonly ShareDemand[],
  gpuFramebufferMib: number,
): number[] {
  const shares = arithmeticShares(policy, vgpus, gpuFramebufferMib);
  return vgpus.map((v, i) => {
    if (v.demand <= 0) return 1;
    const s = shares[i]!;
    return s <= 0 ? Number.POSITIVE_INFINITY : Math.max(1, v.demand / s);
  });
}
