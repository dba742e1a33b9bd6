import { mulberry32 } from '@vgpu-twin/scheduler';
import { RandomForestRegression } from 'ml-random-forest';
import { buildArtifact, parseArtifact, serializeArtifact } from './artifact';
import {
  compileForest,
  forestFromJson,
  forestToJson,
  predictCompiled,
  predictCompiledBatch,
  type CompiledForest,
} from './compiled';
import type { Profiles } from './csv';
import { featureIndex, FEATURE_SETS, pairVector } from './features';
import {
  predictPair,
  predictPairVector,
  schedulerPrediction,
  trainForest,
  trainRegressor,
  DEFAULT_FOREST,
} from './models';
import { generateSynthetic } from './synthetic';

/** A non-linear target with ties in x (so split values sit exactly on data values too). */
function data(n: number, d: number, seed: number): { x: number[][]; y: number[] } {
  const rng = mulberry32(seed);
  const x = Array.from({ length: n }, () =>
    Array.from({ length: d }, (_, j) => (j === 0 ? Math.round(rng() * 5) : rng() * 100)),
  );
  const y = x.map((r) => 1 + (r[0]! > 2 ? 1 : 0) + Math.sin(r[1]! / 10) + 0.01 * r[2]!);
  return { x, y };
}

const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 1e308, -1e308, Number.MIN_VALUE];

/**
 * Inputs that probe every edge of a split: uniform values past the data's range, values exactly on
 * the forest's own thresholds and just below them, NaN / ±Infinity / −0 / huge values, and rows
 * near the training rows.
 */
function probes(
  c: CompiledForest,
  near: readonly (readonly number[])[],
  n: number,
  seed: number,
): number[][] {
  const rng = mulberry32(seed);
  const d = c.nInputs;
  const onSplit: number[][] = Array.from({ length: d }, () => []);
  c.feature.forEach((f, i) => onSplit[f]!.push(c.threshold[i]!));
  const pick = <T>(v: readonly T[]): T => v[Math.floor(rng() * v.length)]!;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: d }, (_, j) => {
      const t = onSplit[j]!.length ? pick(onSplit[j]!) : 0;
      switch (i % 6) {
        case 0:
          return rng() * 300 - 100;
        case 1:
          return t; // exactly on a split value: ml-cart sends it right
        case 2:
          return t - Math.abs(t) * Number.EPSILON; // just below it (left), for normal t
        case 3:
          return rng() < 0.3 ? pick(SPECIAL) : near[i % near.length]![j]!;
        case 4:
          return near[i % near.length]![j]! * (0.8 + 0.4 * rng());
        default:
          return rng() < 0.5 ? t : pick(SPECIAL);
      }
    }),
  );
}

function flatten(rows: readonly (readonly number[])[], d: number): Float64Array {
  const flat = new Float64Array(rows.length * d);
  rows.forEach((r, i) => flat.set(r, i * d));
  return flat;
}

/** Inputs (as row numbers) where `c` differs from ml-random-forest, one at a time or in a batch. */
function mismatches(
  c: CompiledForest,
  rf: RandomForestRegression,
  q: number[][],
): { single: number[]; batch: number[] } {
  const expected = rf.predict(q);
  const batch = predictCompiledBatch(c, flatten(q, c.nInputs), new Float64Array(q.length));
  return {
    single: q.flatMap((r, i) => (Object.is(predictCompiled(c, r), expected[i]) ? [] : [i])),
    batch: q.flatMap((_, i) => (Object.is(batch[i], expected[i]) ? [] : [i])),
  };
}

describe('compiled forest', () => {
  it('predicts exactly (===) what ml-random-forest predicts on 6,000 probing inputs, one at a time and in a batch', () => {
    const { x, y } = data(150, 6, 1);
    const rf = trainForest(x, y, { ...DEFAULT_FOREST, trees: 15, maxFeatures: 0.6 });
    const c = compileForest(rf, 6);
    const q = probes(c, x, 6000, 2);
    expect(q.flat().filter(Number.isNaN).length).toBeGreaterThan(100); // NaNs are really probed
    expect(mismatches(c, rf, q)).toEqual({ single: [], batch: [] });
    // typed-array rows take the same path
    expect(q.filter((r) => predictCompiled(c, Float64Array.from(r)) !== predictCompiled(c, r))).toEqual([]);
  });

  it('stays exact after the JSON round trip', () => {
    const { x, y } = data(80, 4, 3);
    const rf = trainForest(x, y, { ...DEFAULT_FOREST, trees: 5 });
    const back = forestFromJson(
      JSON.parse(JSON.stringify(forestToJson(compileForest(rf, 4)))) as ReturnType<typeof forestToJson>,
    );
    expect(mismatches(back, rf, probes(back, x, 3000, 4))).toEqual({ single: [], batch: [] });
  });

  it('stays exact through a model artifact, rf and hybrid, on the synthetic select features', () => {
    const d = generateSynthetic({ seed: 1 });
    const features = [...FEATURE_SETS.select]; // the bench's model
    const index = featureIndex(d.profiles, features);
    const near = d.pairs.map((p) => pairVector(d.profiles, index, p.workload, p.coRunner));
    for (const kind of ['rf', 'hybrid'] as const) {
      const t = trainRegressor(d, kind, features, 'best_effort', { trees: 4 });
      const text = serializeArtifact(
        buildArtifact(t.model, {
          trainingDataHash: 'test',
          trainingPairs: d.pairs.length,
          rowsUsed: t.rowsUsed,
          metrics: { train: { mse: 0, mae: 0, spearman: 0, f1: 0, n: 0 } },
          createdAt: '2025-01-01T00:00:00.000Z',
        }),
      );
      const { model } = parseArtifact(text);
      expect(mismatches(model.forest!, t.reference!, probes(model.forest!, near, 3000, 5))).toEqual({
        single: [],
        batch: [],
      });
      // the regressor adds its scheduler term (hybrid) to the same forest value
      const q = near.slice(0, 50);
      const forest = t.reference!.predict(q);
      q.forEach((r, i) =>
        expect(predictPairVector(model, r, () => 0.25)).toBe(kind === 'rf' ? forest[i] : 0.25 + forest[i]!),
      );
    }
  });

  it('follows ml-cart on NaN, ±Infinity and −0 thresholds and leaves, and on a single-leaf tree', () => {
    const leaf = (v: number) => ({ distribution: v });
    const split = (col: number, at: number, left: object, right: object) => ({
      splitColumn: col,
      splitValue: at,
      gain: 1,
      left,
      right,
    });
    const tree = (root: object) => ({ options: {}, root, name: 'DTRegression' });
    const rf = RandomForestRegression.load({
      name: 'RFRegression',
      selectionMethod: 'mean',
      baseModel: {
        indexes: [[0, 1, 2], [2, 0], [1]],
        n: 0,
        nEstimators: 3,
        isClassifier: false,
        estimators: [
          tree(split(0, NaN, leaf(5), split(1, -Infinity, leaf(7), split(2, Infinity, leaf(-0), leaf(1.5))))),
          tree(split(0, -0, leaf(Infinity), split(1, 0, leaf(0.1), leaf(-Infinity)))),
          tree(leaf(-0)),
        ],
      },
    } as unknown as Parameters<typeof RandomForestRegression.load>[0]);
    const c = compileForest(rf, 3);
    const values = [NaN, -Infinity, -1, -0, 0, 1, Infinity, 1e308];
    const q = values.flatMap((a) => values.flatMap((b) => values.map((v) => [a, b, v])));
    expect(q).toHaveLength(512); // 8³ combinations
    expect(mismatches(c, rf, q)).toEqual({ single: [], batch: [] }); // Object.is: NaN and −0 too
  });

  it('rejects a forest whose children point backwards (a loop)', () => {
    const j = { nInputs: 1, roots: [0], feature: [0], threshold: [1], left: [0], right: [-1], value: [1] };
    expect(() => forestFromJson(j)).toThrow(/inconsistent compiled forest/);
  });

  it('rejects a forest in which a node has two parents', () => {
    // node 1's children are both node 2 (every other reference is unique): chained, shared
    // subtrees would double at every level
    const j = {
      nInputs: 1,
      roots: [0],
      feature: [0, 0, 0],
      threshold: [1, 2, 3],
      left: [1, 2, -2],
      right: [-1, 2, -3],
      value: [1, 2, 3],
    };
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
    let mismatched = 0;
    for (let i = 0; i < names.length; i++) {
      const a = names[i]!;
      const b = names[(i * 7 + 1) % names.length]!;
      const x = [...test.rows.get(a)!, ...test.rows.get(b)!];
      const ref = schedulerPrediction(test, cols, a, [b], 'best_effort') + reference!.predict([x])[0]!;
      if (predictPair(model, test, a, b) !== ref) mismatched++;
    }
    expect(mismatched).toBe(0);
  });
});
