import { simulateProfiles, workloadWithSpread } from './profile-model';
import { normalCdf } from './rng';
import { meanMs, workloadFromFeatures } from './workload';

// A DL-training-like profile: 0.5 ms mean kernels, 10% of them longer than 1 ms (ratio 1/9), 80% GPU.
const profile = {
  gpuUtilPct: 80,
  memUtilPct: 40,
  pcieRxMBps: 100,
  pcieTxMBps: 10,
  kernelMs: 0.5,
  longShortRatio: 1 / 9,
};

describe('the scheduler model of profiles', () => {
  it('gives the profile-built loop the spread the profile implies, keeping its means', () => {
    const plain = workloadFromFeatures(profile);
    const spread = workloadWithSpread(profile);
    if (plain.kind !== 'active' || spread.kind !== 'active') throw new Error('expected active loops');
    expect(meanMs(spread.kernel)).toBeCloseTo(meanMs(plain.kernel), 6); // the mean kernel is the profile's
    expect(meanMs(spread.cpu)).toBeCloseTo(meanMs(plain.cpu), 9);
    expect(spread.cpu.kind).toBe('exponential'); // CPU steps arrive at random
    if (spread.kernel.kind !== 'lognormal') throw new Error('expected lognormal kernels');
    // the fitted σ puts 10% of kernels over 1 ms: P(K > 1) = 1 − Φ((ln 1 − ln median) / σ)
    const z = (0 - Math.log(spread.kernel.medianMs)) / spread.kernel.sigma;
    const pLong = 1 - normalCdf(z);
    expect(pLong).toBeCloseTo(0.1, 2);
  });

  it('gives a set the same numbers whatever order its VMs are listed in', () => {
    const a = { framebufferMib: 8192, workload: workloadWithSpread(profile) };
    const b = {
      framebufferMib: 8192,
      workload: workloadWithSpread({ ...profile, gpuUtilPct: 30, kernelMs: 0.1 }),
    };
    const ab = simulateProfiles({ policy: 'best_effort', gpuFramebufferMib: 16384, vms: [a, b] });
    const ba = simulateProfiles({ policy: 'best_effort', gpuFramebufferMib: 16384, vms: [b, a] });
    expect(ba[0]).toEqual(ab[1]);
    expect(ba[1]).toEqual(ab[0]);
  });

  it('slows short kernels next to long ones by DESIGN.md’s 2–11×', () => {
    const long = {
      framebufferMib: 8192,
      workload: workloadWithSpread({
        gpuUtilPct: 95,
        memUtilPct: 10,
        pcieRxMBps: 0,
        pcieTxMBps: 0,
        kernelMs: 5,
        longShortRatio: 1000,
      }),
    };
    const short = {
      framebufferMib: 8192,
      workload: workloadWithSpread({
        gpuUtilPct: 50,
        memUtilPct: 0,
        pcieRxMBps: 0,
        pcieTxMBps: 0,
        kernelMs: 0.1,
        longShortRatio: 0,
      }),
    };
    const [s] = simulateProfiles({ policy: 'best_effort', gpuFramebufferMib: 16384, vms: [short, long] });
    expect(s!.slowdown).toBeGreaterThanOrEqual(2);
    expect(s!.slowdown).toBeLessThanOrEqual(11);
  });
});
