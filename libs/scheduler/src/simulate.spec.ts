import type { SchedulingPolicy } from '@vgpu-twin/contracts';
import { findGpu, findProfile } from './catalog';
import { policyShares, type Scenario } from './policy';
import { simulate } from './simulate';
import { fixed, WORKLOAD_PRESETS as W, type Workload } from './workload';

// Published numbers are from DESIGN.md, "Domain facts": the P100 / V100 vGPU measurements.
const GB = 1024;
const P100 = findGpu('P100-16GB');
const fb8Q = findProfile(P100, '8Q').framebufferMib;

function pair(a: Workload, b: Workload, policy: SchedulingPolicy = 'best_effort'): Scenario {
  return {
    policy,
    gpuFramebufferMib: P100.framebufferMib,
    vms: [
      { framebufferMib: fb8Q, workload: a },
      { framebufferMib: fb8Q, workload: b },
    ],
  };
}
const slowdowns = (s: Scenario) => simulate(s, { durationMs: 5_000, seed: 7 }).vms.map((v) => v.slowdown);
const withCpu = (w: Workload, ms: number): Workload => (w.kind === 'active' ? { ...w, cpu: fixed(ms) } : w);

describe('GPU share per policy: 16 GB GPU, three 4 GB vGPUs, only the first active', () => {
  const vgpus = [true, false, false].map((active) => ({ framebufferMib: 4 * GB, active }));
  const scenario = (policy: SchedulingPolicy): Scenario => ({
    policy,
    gpuFramebufferMib: 16 * GB,
    vms: vgpus.map((v) => ({
      framebufferMib: v.framebufferMib,
      workload: v.active ? W['long-kernel'] : W.idle,
    })),
  });

  it.each([
    ['best_effort', 1], // "best effort → the active VM gets 1 (all) of the GPU time"
    ['equal_share', 1 / 3], // "equal share → 1/3"
    ['fixed_share', 1 / 4], // "fixed share → 1/4": 4 GB of 16 GB
  ] as const)(
    '%s gives the active VM %d of the GPU, in the closed form and in the simulation',
    (policy, share) => {
      expect(policyShares(policy, 16 * GB, vgpus)[0]).toBeCloseTo(share, 10);
      // The long-kernel job leaves a 0.01 ms CPU gap every 5 ms kernel: ≤ 0.2% below the entitlement.
      const simulated = simulate(scenario(policy), { durationMs: 5_000 }).vms[0]!.share;
      expect(simulated).toBeLessThanOrEqual(share + 1e-9);
      expect(simulated).toBeGreaterThan(share * 0.99);
    },
  );
});

describe('one 8Q VM alone on a 16 GB GPU', () => {
  const alone = (policy: SchedulingPolicy, w: Workload) =>
    simulate(
      { policy, gpuFramebufferMib: 16 * GB, vms: [{ framebufferMib: fb8Q, workload: w }] },
      { durationMs: 10_000 },
    ).vms[0]!;

  it('runs as fast as 16Q under best effort ("the same 8Q VM runs as fast as 16Q")', () => {
    // Exactly 1 up to the accounting of the phase in progress when the run stops (< 1e-5).
    for (const w of [W['spec-accel'], W.hpl, W['short-kernel']])
      expect(alone('best_effort', w).slowdown).toBeCloseTo(1, 4);
  });

  it('runs SPEC ACCEL at 0.54× and HPL at 0.62× of the full-GPU VM under fixed share', () => {
    expect(alone('fixed_share', W['spec-accel']).throughput).toBeCloseTo(0.54, 1); // published 0.54, ±0.03 below
    expect(Math.abs(alone('fixed_share', W['spec-accel']).throughput - 0.54)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(alone('fixed_share', W.hpl).throughput - 0.62)).toBeLessThanOrEqual(0.03); // published 0.62
    // 0.54 > 0.5: only the GPU-bound part of the run is slowed by the 1/2 share.
    expect(alone('fixed_share', W['spec-accel']).throughput).toBeGreaterThan(0.5);
  });
});

describe('two VMs on one P100, best effort, 1 ms slices (the microbenchmarks)', () => {
  it('slows a short-kernel job ≥ 2× next to a long-kernel job, rising toward ~11× as its CPU step shrinks', () => {
    const curve = [0.3, 0.1, 0.05, 0.02, 0.005, 0.001].map(
      (cpu) => slowdowns(pair(withCpu(W['short-kernel'], cpu), W['long-kernel']))[0]!,
    );
    expect(slowdowns(pair(W['short-kernel'], W['long-kernel']))[0]).toBeGreaterThanOrEqual(2); // "2–11×"
    for (let i = 1; i < curve.length; i++) expect(curve[i]!).toBeGreaterThan(curve[i - 1]!);
    expect(curve[0]).toBeGreaterThanOrEqual(2);
    // With no CPU step the short job gets 0.1 ms of kernel per ~1.03–1.15 ms round: ≈ 10–11.5×.
    expect(curve[curve.length - 1]).toBeGreaterThan(9);
    expect(curve[curve.length - 1]).toBeLessThan(12);
  });

  it('slows short next to short by 1.13–2.7×', () => {
    const [a, b] = slowdowns(pair(W['short-kernel'], W['short-kernel']));
    for (const s of [a!, b!]) {
      expect(s).toBeGreaterThanOrEqual(1.13);
      expect(s).toBeLessThanOrEqual(2.7);
    }
    // Across CPU steps from 0.03 ms down to a 1 µs launch gap every pair stays within the range.
    for (const cpu of [0.03, 0.01, 0.001]) {
      const s = slowdowns(pair(withCpu(W['short-kernel'], cpu), withCpu(W['short-kernel'], cpu)))[0]!;
      expect(s).toBeGreaterThanOrEqual(1.13);
      expect(s).toBeLessThanOrEqual(2.7);
    }
  });

  it('slows a long-kernel job at most ~2× next to a short-kernel job', () => {
    const [, long] = slowdowns(pair(W['short-kernel'], W['long-kernel']));
    expect(long).toBeLessThanOrEqual(2);
    expect(long).toBeGreaterThan(1); // it does lose the short job's kernels and the switches
  });

  it('slows PCIe transfers only by other PCIe transfers', () => {
    for (const other of [W['long-kernel'], W['short-kernel'], W['memory-bound']]) {
      expect(slowdowns(pair(W['pcie-bound'], other))[0]).toBeCloseTo(1, 2);
    }
    expect(slowdowns(pair(W['pcie-bound'], W['pcie-bound']))[0]).toBeGreaterThan(1.9); // two copies share the link: ≈ 2×
  });

  it('slows memory-bound next to memory-bound or long kernels > 2×', () => {
    expect(slowdowns(pair(W['memory-bound'], W['memory-bound']))[0]).toBeGreaterThan(2);
    expect(slowdowns(pair(W['memory-bound'], W['long-kernel']))[0]).toBeGreaterThan(2);
  });

  it('costs up to ~30% in context switches for simple kernels', () => {
    // Two 0.1 ms-kernel jobs whose next launch comes 1 µs after the last kernel ends: the ideal is
    // 2× (half the GPU each), but the other VM's kernel now runs in between, so every kernel pays
    // one switch. Overhead = slowdown / 2 − 1. (With no gap at all the next kernel is already
    // queued, the VM keeps its slice, and switches happen once per 1 ms slice only.)
    const simple = withCpu(W['short-kernel'], 0.001);
    const s = slowdowns(pair(simple, simple))[0]!;
    const overhead = s / 2 - 1;
    expect(overhead).toBeGreaterThan(0.2);
    expect(overhead).toBeLessThanOrEqual(0.3); // 0.03 ms switch / 0.1 ms kernel
    const r = simulate(pair(simple, simple), { durationMs: 1_000 });
    expect(r.vms[0]!.contextSwitches).toBeGreaterThan(3_000); // one per kernel: 1 s / (2 × 0.13 ms) ≈ 3,846
  });
});

describe('simulation mechanics', () => {
  it('is deterministic for a seed and varies with it', () => {
    const s = pair(W['dl-train-cnn'], W['dl-infer-transformer']);
    expect(simulate(s, { durationMs: 2_000, seed: 3 })).toEqual(simulate(s, { durationMs: 2_000, seed: 3 }));
    expect(simulate(s, { durationMs: 2_000, seed: 4 }).vms[0]!.slowdown).not.toEqual(
      simulate(s, { durationMs: 2_000, seed: 3 }).vms[0]!.slowdown,
    );
  });

  it("keeps equal and fixed share non-work-conserving: an idle neighbour's slices stay idle", () => {
    const r = simulate(pair(W['long-kernel'], W.idle, 'equal_share'), { durationMs: 2_000 });
    expect(r.busy).toBeCloseTo(0.5, 2);
    expect(r.vms[1]).toMatchObject({ slowdown: 1, share: 0 });
  });

  it('simulates 16 vGPUs for 10 simulated seconds', () => {
    const vms = Array.from({ length: 16 }, (_, i) => ({
      framebufferMib: GB,
      workload: [W['dl-train-cnn'], W['short-kernel'], W['dl-infer-cnn'], W['long-kernel']][i % 4]!,
    }));
    const r = simulate({ policy: 'best_effort', gpuFramebufferMib: 16 * GB, vms }, { durationMs: 10_000 });
    expect(r.busy).toBeGreaterThan(0.99);
    expect(r.vms.reduce((s, v) => s + v.share, 0) + r.switchOverhead).toBeCloseTo(r.busy, 6);
  });
});
