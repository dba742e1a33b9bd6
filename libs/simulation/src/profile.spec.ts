import { DEFAULT_PCIE_LINK_MBPS, meanMs } from '@vgpu-twin/scheduler';
import { catalogueWorkload, WORKLOAD_CATALOGUE } from './catalogue';
import { ALL_LONG_RATIO, profileWorkload } from './profile';

/** kernel / (kernel + cpu + pcie + host phase per kernel): the loop's GPU time fraction alone. */
function loopUtil(name: string): number {
  const w = catalogueWorkload(name).workload;
  if (w.kind !== 'active') return 0;
  const host = w.hostPhase ? meanMs(w.hostPhase.ms) / w.hostPhase.everyKernels : 0;
  const k = meanMs(w.kernel);
  return k / (k + meanMs(w.cpu) + meanMs(w.pcie) + host);
}

describe('profileWorkload: what an operator measures running a workload alone', () => {
  it('given the same workload and seed, then the profile is the same; another seed moves it a little', () => {
    const w = catalogueWorkload('bert-infer');
    const a = profileWorkload(w, { seed: 5 });
    expect(profileWorkload(w, { seed: 5 })).toEqual(a);
    const b = profileWorkload(w, { seed: 6 });
    expect(b.features.gpuUtilPct).not.toBe(a.features.gpuUtilPct); // a different simulated run
    expect(Math.abs(b.features.gpuUtilPct - a.features.gpuUtilPct)).toBeLessThan(1);
  });

  it('given any active catalogue workload alone, then GPU util ≈ 100 × kernel / (kernel + cpu + pcie + host) of its loop', () => {
    for (const c of WORKLOAD_CATALOGUE) {
      if (c.workload.kind !== 'active') continue;
      const { features } = profileWorkload(c, { durationMs: 5000 });
      // Alone under best effort the VM never waits for the GPU nor pays a context switch, so the
      // simulated share is the loop's mean kernel over its mean iteration, up to sampling (< 1 point).
      expect(Math.abs(features.gpuUtilPct - 100 * loopUtil(c.name))).toBeLessThan(1);
      expect(features.memUtilPct).toBeCloseTo(features.gpuUtilPct * c.workload.memoryIntensity, 1);
    }
  });

  it('given resnet50-infer, then it reads 40% GPU alone: 0.105 / (0.105 + 0.15 + 0.002)', () => {
    const f = profileWorkload(catalogueWorkload('resnet50-infer')).features;
    expect(f.gpuUtilPct).toBeGreaterThan(39);
    expect(f.gpuUtilPct).toBeLessThan(42);
    expect(f.kernelMs).toBeCloseTo(0.1 * Math.exp(0.3 ** 2 / 2), 2); // lognormal mean 0.1046 ms
    expect(f.longShortRatio).toBe(0); // no kernel of 20,000 draws reaches 1 ms (10 σ above the median)
  });

  it('given the long-kernel trainer and the GPU-heavy a3c phase, then their solo utilisations are 75–85% and ≥ 90%', () => {
    const cyclegan = profileWorkload(catalogueWorkload('cyclegan-train')).features;
    expect(cyclegan.gpuUtilPct).toBeGreaterThanOrEqual(75);
    expect(cyclegan.gpuUtilPct).toBeLessThanOrEqual(85);
    // Lognormal median 1.8 ms, σ 0.5: P(K > 1 ms) = 1 − Φ(ln(1/1.8) / 0.5) = 1 − Φ(−1.176) = 0.880,
    // so long/short = 0.880 / 0.120 = 7.33; the mean kernel is 1.8 e^{0.125} = 2.04 ms.
    expect(cyclegan.longShortRatio! / 7.33).toBeGreaterThan(0.95);
    expect(cyclegan.longShortRatio! / 7.33).toBeLessThan(1.05);
    expect(cyclegan.kernelMs! / 2.04).toBeCloseTo(1, 1);
    expect(profileWorkload(catalogueWorkload('a3c-train-heavy')).features.gpuUtilPct).toBeGreaterThanOrEqual(
      90,
    );
  });

  it('given fixed-length microbenchmarks, then the kernel statistics are exact', () => {
    const long = profileWorkload(catalogueWorkload('long-kernel')).features;
    expect([long.kernelMs, long.longKernelMs, long.longShortRatio]).toEqual([5, 5, ALL_LONG_RATIO]); // all 5 ms kernels
    const short = profileWorkload(catalogueWorkload('short-kernel')).features;
    expect([short.kernelMs, short.longKernelMs, short.longShortRatio]).toEqual([0.1, 0, 0]);
    expect(short.gpuUtilPct).toBe(50); // 0.1 / (0.1 + 0.1), fixed durations: no sampling error
  });

  it('given the PCIe copy loop, then it reports its link share split 85/15 and no GPU use', () => {
    const f = profileWorkload(catalogueWorkload('pcie-bound')).features;
    const link = (1 / (1 + 0.01)) * DEFAULT_PCIE_LINK_MBPS; // 1 ms copy per 1.01 ms iteration = 11,881 MB/s
    expect(f.pcieRxMBps).toBe(Number((link * 0.85).toPrecision(4))); // 10,100
    expect(f.pcieTxMBps).toBe(Number((link * 0.15).toPrecision(4))); // 1,782
    expect([f.gpuUtilPct, f.kernelMs]).toEqual([0, 0]);
  });

  it('carries the VM-level numbers and progress of the catalogue entry', () => {
    const c = catalogueWorkload('resnet50-train');
    const p = profileWorkload(c);
    expect(p.features).toMatchObject({
      fbMib: 6200,
      vcpuUtilPct: 40,
      vmMemUtilPct: 45,
      threadsPerKernel: 256,
    });
    expect([p.soloProgressRate, p.progressUnit]).toEqual([9.6, 'steps']);
  });
});
