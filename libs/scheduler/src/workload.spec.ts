import { ValidationError } from '@vgpu-twin/contracts';
import { mulberry32 } from './rng';
import {
  meanMs,
  parseWorkloadSpec,
  sampleMs,
  workloadFromFeatures,
  workloadPreset,
  WORKLOAD_PRESET_NAMES,
} from './workload';

describe('seeded randomness', () => {
  it('replays the same stream for the same seed and a different one for another seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('samples distributions with the advertised mean', () => {
    const rng = mulberry32(7);
    const d = { kind: 'lognormal', medianMs: 0.3, sigma: 0.8 } as const;
    let sum = 0;
    for (let i = 0; i < 200_000; i++) sum += sampleMs(d, rng);
    expect(sum / 200_000).toBeCloseTo(meanMs(d), 2); // 0.3 · e^(0.8²/2) = 0.4131
  });
});

describe('workload presets and parameters', () => {
  it('has the named presets of the issue, plus deep-learning training and inference', () => {
    for (const name of [
      'short-kernel',
      'long-kernel',
      'memory-bound',
      'pcie-bound',
      'idle',
      'spec-accel',
      'hpl',
    ]) {
      expect(WORKLOAD_PRESET_NAMES).toContain(name);
    }
    expect(WORKLOAD_PRESET_NAMES.filter((n) => n.startsWith('dl-train'))).toHaveLength(2);
    expect(WORKLOAD_PRESET_NAMES.filter((n) => n.startsWith('dl-infer'))).toHaveLength(2);
    expect(() => workloadPreset('nope')).toThrow(/presets: short-kernel/);
  });

  it('accepts explicit parameters and names the bad one', () => {
    expect(parseWorkloadSpec('kernel=0.2,cpu=0.05,mem=0.5')).toMatchObject({
      kind: 'active',
      memoryIntensity: 0.5,
      kernel: { kind: 'fixed', ms: 0.2 },
    });
    expect(() => parseWorkloadSpec('kernel=abc')).toThrow(ValidationError);
    expect(() => parseWorkloadSpec('kernel=1,warp=3')).toThrow(/unknown workload parameter\(s\) warp/);
    expect(() => parseWorkloadSpec('kernel=0,cpu=0')).toThrow(/all zero/);
  });
});

describe('workloadFromFeatures (solo profile → loop)', () => {
  it('reproduces the solo GPU and PCIe utilisation of the profile', () => {
    // The contracts fixture's resnet50-train: 92% GPU, 40% memory, 120 + 10 MB/s PCIe, 0.4 ms kernels.
    const w = workloadFromFeatures({
      gpuUtilPct: 92,
      memUtilPct: 40,
      pcieRxMBps: 120,
      pcieTxMBps: 10,
      kernelMs: 0.4,
    });
    if (w.kind !== 'active') throw new Error('expected an active workload');
    const T = meanMs(w.kernel) + meanMs(w.cpu) + meanMs(w.pcie);
    expect(meanMs(w.kernel) / T).toBeCloseTo(0.92, 6); // GPU util
    expect(meanMs(w.pcie) / T).toBeCloseTo(130 / 12_000, 6); // 130 MB/s of a 12,000 MB/s link
    expect(w.memoryIntensity).toBeCloseTo(0.4 / 0.92, 6); // DRAM busy 40% of the time, 92% of it in kernels
  });

  it('maps a profile with no GPU and no PCIe use to idle, and a copy-only profile to a copy loop', () => {
    expect(workloadFromFeatures({ gpuUtilPct: 0, memUtilPct: 0, pcieRxMBps: 0, pcieTxMBps: 0 }).kind).toBe(
      'idle',
    );
    const copy = workloadFromFeatures({ gpuUtilPct: 0, memUtilPct: 0, pcieRxMBps: 6000, pcieTxMBps: 0 });
    expect(copy).toMatchObject({ kind: 'active', kernel: { ms: 0 } });
  });
});
