import { mulberry32 } from '@vgpu-twin/scheduler';
import {
  compileForest,
  forestFromJson,
  forestToJson,
  predictCompiled,
  predictCompiledBatch,
} from './compiled';
import type { Profiles } from './csv';
import { predictPair, schedulerPrediction, trainForest, trainRegressor, DEFAULT_FOREST } from './models';

/** A non-linear target with ties in x (so split values sit exactly on data values too). */
function data(n: number, d: number, seed: number): { x: number[][]; y: number[] } {
  const rng = mulberry32(seed);
  const x = Array.from({ length: n }, () =>
    Array.from({ length: d }, (_, j) => (j === 0 ? Math.round(rng() * 5) : rng() * 100)),
  );
  const y = x.map((r) => 1 + (r[0]! > 2 ? 1 : 0) + Math.sin(r[1]! / 10) + 0.01 * r[2]!);
  return { x, y };
}

describe('compiled forest', () => {
  it('predicts exactly (===) what ml-random-forest predicts on 5,000 random inputs', () => {
    const { x, y } = data(150, 6, 1);
    const rf = trainForest(x, y, { ...DEFAULT_FOREST, trees: 15, maxFeatures: 0.6 });
    const c = compileForest(rf, 6);
    const rng = mulberry32(2);
    // inputs: uniform, integers hitting split values exactly, and a sample of training rows
    const q = Array.from({ length: 5000 }, (_, i) =>
      i % 3 === 2
        ? x[i % x.length]!
        : Array.from({ length: 6 }, () => (i % 3 ? Math.round(rng() * 100) : rng() * 120 - 10)),
    );
    const expected = rf.predict(q);
    const mismatches = q.filter((r, i) => predictCompiled(c, r) !== expected[i]).length;
    expect(mismatches).toBe(0);
    const flat = new Float64Array(q.length * 6);
    q.forEach((r, i) => flat.set(r, i * 6));
    const batch = predictCompiledBatch(c, flat, new Float64Array(q.length));
    expect(q.filter((_, i) => batch[i] !== expected[i]).length).toBe(0); // the batch path too
  });

  it('survives the JSON round trip bit for bit', () => {
    const { x, y } = data(80, 4, 3);
    const c = compileForest(trainForest(x, y, { ...DEFAULT_FOREST, trees: 5 }), 4);
    const back = forestFromJson(
      JSON.parse(JSON.stringify(forestToJson(c))) as ReturnType<typeof forestToJson>,
    );
    const rng = mulberry32(4);
    for (let i = 0; i < 1000; i++) {
      const r = [rng() * 6, rng() * 100, rng() * 100, rng() * 100];
      expect(predictCompiled(back, r)).toBe(predictCompiled(c, r));
    }
  });

  it('rejects a forest whose children point backwards (a loop)', () => {
    const j = { nInputs: 1, roots: [0], feature: [0], threshold: [1], left: [0], right: [-1], value: [1] };
    expect(() => forestFromJson(j)).toThrow(/inconsistent compiled forest/);
  });

  it('the hybrid equals the scheduler term plus the reference forest exactly, over 2,000 random profiles', () => {
    const rng = mulberry32(5);
    const cols = ['gpu_util', 'mem_util', 'pcie_rx_mbps', 'pcie_tx_mbps', 'kernel_ms'];
    const mk = (n: number, prefix: string) =>
      new Map(
        Array.from({ length: n }, (_, i) => [
          `${prefix}${i}`,
          [5 + rng() * 95, rng() * 50, rng() * 800, rng() * 100, 0.05 + rng() * 3],
        ]),
      );
    const train: Profiles = { columns: cols, rows: mk(8, 't') };
    const pairs = [...train.rows.keys()].flatMap((a) =>
      [...train.rows.keys()].map((b) => ({ workload: a, coRunner: b, slowdown: 1 + rng() * 2 })),
    );
    const { model, reference } = trainRegressor({ profiles: train, pairs }, 'hybrid', cols, 'best_effort', {
      trees: 8,
    });
    expect(model.schedulerColumns).toEqual(cols); // every column here is one the scheduler reads
    const test: Profiles = { columns: cols, rows: mk(2000, 'q') };
    const names = [...test.rows.keys()];
    let mismatches = 0;
    for (let i = 0; i < names.length; i++) {
      const a = names[i]!;
      const b = names[(i * 7 + 1) % names.length]!;
      const x = [...test.rows.get(a)!, ...test.rows.get(b)!];
      const ref = schedulerPrediction(test, cols, a, [b], 'best_effort') + reference!.predict([x])[0]!;
      if (predictPair(model, test, a, b) !== ref) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});
