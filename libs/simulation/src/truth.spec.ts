import { NotFoundError } from '@vgpu-twin/contracts';
import { shareArithmetic } from '@vgpu-twin/scheduler';
import { catalogueWorkload } from './catalogue';
import { profileWorkload } from './profile';
import { createGroundTruth, type TruthGpu } from './truth';

const V100: TruthGpu = { policy: 'best_effort', framebufferMib: 16_384, timeSliceMs: 1 };
const vm = (workload: string, framebufferMib = 4096) => ({ framebufferMib, workload });

describe('ground truth: simulate of the co-location set, memoised', () => {
  it('given a set already run, when the same VMs arrive in another order, then the same doubles come back in the new order', () => {
    const truth = createGroundTruth({ durationMs: 2000 });
    const first = truth.run(V100, [vm('resnet50-train'), vm('bert-infer'), vm('a3c-train')]);
    const again = truth.run(V100, [vm('a3c-train'), vm('resnet50-train'), vm('bert-infer')]);
    expect(again).toEqual([first[2], first[0], first[1]]);
    expect(truth.stats).toEqual({ hits: 1, misses: 1 }); // one simulation for both calls

    // A fresh engine with the same seed simulates the set again and gets the very same numbers.
    const other = createGroundTruth({ durationMs: 2000 });
    expect(other.run(V100, [vm('bert-infer'), vm('a3c-train'), vm('resnet50-train')])).toEqual([
      first[1],
      first[2],
      first[0],
    ]);
    expect(other.stats).toEqual({ hits: 0, misses: 1 });
    // Another seed is another run of the same physics: close, not equal.
    const reseeded = createGroundTruth({ durationMs: 2000, seed: 2 }).run(V100, [
      vm('resnet50-train'),
      vm('bert-infer'),
      vm('a3c-train'),
    ]);
    expect(reseeded[0]!.slowdown).not.toBe(first[0]!.slowdown);
    expect(reseeded[0]!.slowdown / first[0]!.slowdown).toBeCloseTo(1, 1);
  });

  it('keys the set on policy, slice and framebuffers too', () => {
    const truth = createGroundTruth({ durationMs: 500 });
    const set = [vm('long-kernel', 8192), vm('long-kernel', 8192)];
    truth.run(V100, set);
    truth.run({ ...V100, policy: 'equal_share' }, set);
    truth.run({ ...V100, timeSliceMs: 2 }, set);
    truth.run(V100, [vm('long-kernel'), vm('long-kernel')]);
    expect(truth.stats).toEqual({ hits: 0, misses: 4 });
  });

  it('given a cache limit of one set, then the least recently used set is simulated again', () => {
    const truth = createGroundTruth({ durationMs: 500, cacheLimit: 1 });
    truth.run(V100, [vm('hpl')]);
    truth.run(V100, [vm('spec-accel')]); // evicts hpl
    truth.run(V100, [vm('hpl')]);
    truth.run(V100, [vm('hpl')]);
    expect(truth.stats).toEqual({ hits: 1, misses: 3 });
  });

  it('given an idle neighbour, then best effort gives the active VM the whole GPU and equal share half of it', () => {
    const truth = createGroundTruth({ durationMs: 2000 });
    const set = [vm('long-kernel', 8192), vm('idle', 8192)];
    const be = truth.run(V100, set);
    expect(be[1]).toEqual({ slowdown: 1, share: 0 }); // an idle VM is never slowed
    expect(be[0]!.slowdown).toBeCloseTo(1, 2); // 5 ms kernels alone: nothing to wait for
    // Equal share: the idle vGPU keeps its 1 ms slot of every 2 ms, so 5 ms of work takes ~10 ms.
    const eq = truth.run({ ...V100, policy: 'equal_share' }, set);
    expect(eq[0]!.share).toBeCloseTo(0.5, 2);
    expect(eq[0]!.slowdown).toBeCloseTo(2, 1);
  });

  it('given a short-kernel inference service next to a long-kernel trainer, then it slows ≥ 2× where the share arithmetic says ≤ 1.2×', () => {
    const truth = createGroundTruth();
    const [victim, aggressor] = truth.run(V100, [vm('resnet50-infer', 8192), vm('cyclegan-train', 8192)]);
    // simulate: each 0.1 ms kernel, launched after its 0.15 ms CPU step, waits for cyclegan-train's
    // slice (1 ms) to end: ~0.1 + 0.15 + 0.5–1 ms per 0.25 ms of solo work (measured 3.1×).
    expect(victim!.slowdown).toBeGreaterThanOrEqual(2);
    expect(aggressor!.slowdown).toBeLessThan(victim!.slowdown);

    // Share arithmetic on the measured solo utilisations: demands 0.41 and 0.79; water-filling
    // grants 0.41 (< 1/2) in full, so resnet50-infer's slowdown is 0.41 / 0.41 = 1.0×.
    const demand = (n: string) => profileWorkload(catalogueWorkload(n)).features.gpuUtilPct / 100;
    const arithmetic = shareArithmetic(
      'best_effort',
      [
        { demand: demand('resnet50-infer'), framebufferMib: 8192 },
        { demand: demand('cyclegan-train'), framebufferMib: 8192 },
      ],
      16_384,
    );
    expect(arithmetic[0]).toBeLessThanOrEqual(1.2);
    expect(arithmetic[0]).toBe(1);
  });

  it('when a VM runs a workload the catalogue lacks, then NotFoundError names it', () => {
    expect(() => createGroundTruth().run(V100, [vm('doom-eternal')])).toThrow(NotFoundError);
    expect(() => createGroundTruth().run(V100, [vm('doom-eternal')])).toThrow(/'doom-eternal'/);
  });
});
