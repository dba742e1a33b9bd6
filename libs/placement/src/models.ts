import type { WorkloadFeatures } from '@vgpu-twin/contracts';
import {
  createPredictionBuffer,
  predictInto,
  workloadFromFeatures,
  type Workload,
} from '@vgpu-twin/scheduler';
import { NotFoundError } from '@vgpu-twin/contracts';
import type { SlowdownModel } from './cluster';

/**
 * The scheduler's analytical model (libs/scheduler `predictInto`) as a `SlowdownModel`: each
 * workload's solo features become a loop (`workloadFromFeatures`, cached per workload name) and
 * the whole co-location is predicted under the GPU's policy. This is the twin's physics-only
 * prediction; a trained interference model plugs in the same way.
 */
export function analyticSlowdownModel(
  features: (workload: string) => WorkloadFeatures | undefined,
): SlowdownModel {
  const cache = new Map<string, Workload>();
  const buf = createPredictionBuffer(32);
  const workload = (name: string): Workload => {
    let w = cache.get(name);
    if (!w) {
      const f = features(name);
      if (!f) throw new NotFoundError(`no solo features for workload '${name}'`);
      w = workloadFromFeatures(f, { name });
      cache.set(name, w);
    }
    return w;
  };
  return (vm, coRunners, gpu) => {
    predictInto(
      {
        policy: gpu.policy,
        gpuFramebufferMib: gpu.framebufferMib,
        vms: [vm, ...coRunners].map((v) => ({
          framebufferMib: v.framebufferMib,
          workload: workload(v.workload),
        })),
      },
      buf,
    );
    return buf.slowdown[0]!;
  };
}

/**
 * A model from pairwise slowdowns (measured or predicted): slowdown(A | B) for one co-runner,
 * and for several the overheads add, 1 + Σ (slowdown(A | Cᵢ) − 1) (the aggregation
 * libs/interference uses and checks against the scheduler simulation). Alone: 1.
 */
export function pairwiseSlowdownModel(pair: (workload: string, coRunner: string) => number): SlowdownModel {
  return (vm, coRunners) => {
    let s = 1;
    for (const c of coRunners) s += pair(vm.workload, c.workload) - 1;
    return s;
  };
}
