import { NotFoundError } from '@vgpu-twin/contracts';
import { meanMs, validateWorkload } from '@vgpu-twin/scheduler';
import { CATALOGUE_NAMES, catalogueWorkload, WORKLOAD_CATALOGUE } from './catalogue';

// The seven names apps/simulator's share-model WORKLOADS place today.
const SIMULATOR_NAMES = [
  'resnet50-train',
  'transformer-train',
  'lstm-train',
  'bert-infer',
  'recsys-infer',
  'a3c-train',
  'cyclegan-train',
];

describe('the workload catalogue', () => {
  it('given the catalogue, then it holds 14–20 uniquely named, valid loops, the simulator’s seven among them', () => {
    expect(WORKLOAD_CATALOGUE.length).toBeGreaterThanOrEqual(14);
    expect(WORKLOAD_CATALOGUE.length).toBeLessThanOrEqual(20); // few enough that every ordered pair trains in seconds
    expect(new Set(CATALOGUE_NAMES).size).toBe(WORKLOAD_CATALOGUE.length);
    expect(CATALOGUE_NAMES).toEqual(expect.arrayContaining(SIMULATOR_NAMES));
    for (const w of WORKLOAD_CATALOGUE) {
      expect(() => validateWorkload(w.workload)).not.toThrow();
      expect(w.description).not.toMatch(/\n/); // one line
      if (w.workload.kind === 'active') expect(w.soloProgressRate).toBeGreaterThan(0);
    }
  });

  it('reuses the scheduler microbenchmark presets by name, unchanged', () => {
    for (const name of ['short-kernel', 'long-kernel', 'memory-bound', 'pcie-bound', 'spec-accel', 'hpl']) {
      expect(catalogueWorkload(name).workload.name).toBe(name);
    }
    // short-kernel: 0.1 ms kernel + 0.1 ms CPU step → 1000 / 0.2 = 5000 iterations/s alone
    expect(catalogueWorkload('short-kernel').soloProgressRate).toBe(5000);
  });

  it('given the name cyclegan-train, then it is a long-kernel trainer (mean kernel > 1 ms)', () => {
    const w = catalogueWorkload('cyclegan-train').workload;
    if (w.kind !== 'active') throw new Error('cyclegan-train must be active');
    expect(meanMs(w.kernel)).toBeCloseTo(1.8 * Math.exp(0.5 ** 2 / 2), 10); // lognormal mean = 2.04 ms
  });

  it('given resnet50-train-bs64 under the inventory name resnet50-train, then its progress reads 1.3–1.45× slower alone', () => {
    const declared = catalogueWorkload('resnet50-train').soloProgressRate; // 9.6 steps/s
    const actual = catalogueWorkload('resnet50-train-bs64').soloProgressRate; // 6.96 steps/s
    expect(declared / actual).toBeCloseTo(1.379, 3); // 9.6 / 6.96
    const k = (n: string) => {
      const w = catalogueWorkload(n).workload;
      return w.kind === 'active' ? meanMs(w.kernel) : 0;
    };
    expect(k('resnet50-train-bs64') / k('resnet50-train')).toBeCloseTo(2, 10); // median 0.54 vs 0.27 ms
  });

  it('when a name is unknown, then NotFoundError names it and lists the known ones', () => {
    expect(() => catalogueWorkload('resnet51-train')).toThrow(NotFoundError);
    expect(() => catalogueWorkload('resnet51-train')).toThrow(
      /unknown catalogue workload 'resnet51-train'; known: resnet50-train, transformer-train, .*hpl, idle/,
    );
  });
});
