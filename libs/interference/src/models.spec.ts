import { ValidationError } from '@vgpu-twin/contracts';
import { simulate, WORKLOAD_PRESETS, type Workload } from '@vgpu-twin/scheduler';
import { buildArtifact, currentArtifact, hashDataset, parseArtifact, serializeArtifact } from './artifact';
import type { PairRow, Profiles } from './csv';
import {
  evaluate,
  kFoldSplits,
  leaveOutSplit,
  macroF1,
  mae,
  mse,
  scoreRegressor,
  spearman,
} from './evaluate';
import { importGavel } from './gavel';
import { predictPair, severityClass, trainClassifier, trainRegressor } from './models';
import { composeOverheads, predictSlowdown } from './predict';

/** 6 workloads, one feature; slowdown a step function of the co-runner's value (non-linear). */
function toy(): { profiles: Profiles; pairs: PairRow[] } {
  const rows = new Map<string, number[]>([
    ['w0', [10]],
    ['w1', [20]],
    ['w2', [30]],
    ['w3', [70]],
    ['w4', [80]],
    ['w5', [90]],
  ]);
  const pairs: PairRow[] = [];
  for (const [a, [fa]] of rows)
    for (const [b, [fb]] of rows)
      pairs.push({ workload: a, coRunner: b, slowdown: fb! > 50 ? 2 + fa! / 100 : 1.05 });
  return { profiles: { columns: ['gpu_util'], rows }, pairs };
}

describe('metrics', () => {
  it('computes MSE, MAE, Spearman and macro F1 by hand', () => {
    expect(mse([1, 2, 3], [1, 2, 5])).toBeCloseTo(4 / 3); // (0 + 0 + 2²) / 3
    expect(mae([1, 2, 3], [1, 2, 5])).toBeCloseTo(2 / 3); // (0 + 0 + 2) / 3
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1); // same order
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1); // reversed
    // class 0: tp 1, fp 0, fn 1 → 2/3; class 1: tp 1, fp 1, fn 0 → 2/3; mean 2/3
    expect(macroF1([0, 0, 1], [0, 1, 1])).toBeCloseTo(2 / 3);
  });

  it("bins slowdowns into the issue's severity classes", () => {
    expect([1.0, 1.09, 1.1, 1.5, 1.51].map(severityClass)).toEqual([0, 0, 1, 1, 2]); // < 1.1, 1.1–1.5, > 1.5
  });
});

describe('splits', () => {
  it('k-fold by pair covers every pair exactly once as test', () => {
    const d = toy();
    const splits = kFoldSplits(d, 4, 1);
    const tested = splits.flatMap((s) => s.test).sort((a, b) => a - b);
    expect(tested).toEqual(d.pairs.map((_, i) => i)); // 36 = 6 × 6 ordered pairs
    for (const s of splits) expect(s.train.filter((i) => s.test.includes(i))).toEqual([]);
  });

  it('leave-out trains on no pair that involves a left-out workload and tests on all of them', () => {
    const d = toy();
    const { train, test } = leaveOutSplit(d, ['w1', 'w4']);
    expect(test).toHaveLength(20); // 36 − 4 × 4 pairs among the 4 kept workloads
    expect(
      train.every(
        (i) => !['w1', 'w4'].includes(d.pairs[i]!.workload) && !['w1', 'w4'].includes(d.pairs[i]!.coRunner),
      ),
    ).toBe(true);
    expect(() => leaveOutSplit(d, ['nope'])).toThrow("unknown workload 'nope'");
  });
});

describe('models', () => {
  it('given a step-shaped target, the forest fits it and beats linear regression on held-out pairs', () => {
    const d = toy();
    const rows = evaluate(d, {
      regressors: ['rf', 'linear'],
      featureSets: [{ name: 'gpu', columns: ['gpu_util'] }],
      splits: kFoldSplits(d, 3, 1),
      policy: 'best_effort',
      forest: { trees: 10, minNumSamples: 1, maxFeatures: 1 },
    });
    const [rf, linear] = rows;
    expect(rf!.mse!).toBeLessThan(linear!.mse!);
    expect(rf!.mse!).toBeLessThan(0.02); // targets are 1.05 or 2.1–2.9: a step a forest resolves
  });

  it('linear regression recovers a linear target', () => {
    const d = toy();
    const pairs = d.pairs.map((p) => ({ ...p, slowdown: 1 + 0.01 * d.profiles.rows.get(p.coRunner)![0]! }));
    const { model } = trainRegressor({ profiles: d.profiles, pairs }, 'linear', ['gpu_util'], 'best_effort');
    expect(predictPair(model, d.profiles, 'w0', 'w3')).toBeCloseTo(1.7); // 1 + 0.01 × 70
  });

  it('classifiers from the ml.js family learn the severity classes, even without a middle class', () => {
    const x = [
      [1, 5],
      [2, 4],
      [3, 6],
      [8, 1],
      [9, 2],
      [10, 0],
    ];
    const y = [0, 0, 0, 2, 2, 2]; // classes 0 and 2 only (two columns: GaussianNB rejects one-column input)
    for (const kind of ['rf-clf', 'tree', 'naive-bayes', 'knn'] as const) {
      const predictFn = trainClassifier(kind, x, y, { trees: 5, minNumSamples: 1 });
      expect(
        predictFn([
          [1.5, 5],
          [9.5, 1],
        ]),
      ).toEqual([0, 2]);
    }
  });
});

describe('predictSlowdown beyond pairs', () => {
  const presets = ['short-kernel', 'long-kernel', 'memory-bound', 'dl-train-cnn', 'dl-infer-cnn'] as const;
  const wl = (n: string) => (WORKLOAD_PRESETS as Record<string, Workload>)[n]!;
  const sim = (names: readonly string[]) =>
    simulate(
      {
        policy: 'best_effort',
        gpuFramebufferMib: 16_384,
        vms: names.map((n) => ({ framebufferMib: 4096, workload: wl(n) })),
      },
      { durationMs: 2000, seed: 3 },
    ).vms[0]!.slowdown;

  it('adds pairwise overheads: within 10% of the 3-VM simulation on every triple of 5 presets', () => {
    const errors: number[] = [];
    for (const a of presets)
      for (const b of presets)
        for (const c of presets) {
          if (b > c) continue; // co-runner order does not matter
          const composed = composeOverheads([sim([a, b]), sim([a, c])]);
          errors.push(Math.abs(composed - sim([a, b, c])) / sim([a, b, c]));
        }
    errors.sort((x, y) => x - y);
    // 75 triples (5 × 15); 3.5% median over 405 triples of 9 presets when this rule was chosen
    expect(errors[Math.floor(errors.length / 2)]!).toBeLessThan(0.05);
    expect(errors[errors.length - 1]!).toBeLessThan(0.25);
  });

  it('refuses a policy the model was not trained on, and unknown workloads', () => {
    const d = toy();
    const { model } = trainRegressor(d, 'rf', ['gpu_util'], 'best_effort', { trees: 3 });
    expect(() => predictSlowdown(model, d.profiles, 'w0', ['w1'], 'equal_share')).toThrow(ValidationError);
    expect(() => predictSlowdown(model, d.profiles, 'w0', ['zz'], 'best_effort')).toThrow(
      "unknown workload 'zz'",
    );
    expect(predictSlowdown(model, d.profiles, 'w0', [], 'best_effort').slowdown).toBe(1); // alone: no interference
  });

  it('the hybrid asks the scheduler for the whole group', () => {
    const d = toy();
    const { model } = trainRegressor(d, 'hybrid', ['gpu_util'], 'best_effort', { trees: 3 });
    const two = predictSlowdown(model, d.profiles, 'w0', ['w3'], 'best_effort').slowdown;
    const three = predictSlowdown(model, d.profiles, 'w0', ['w3', 'w4'], 'best_effort').slowdown;
    expect(two).toBeCloseTo(predictPair(model, d.profiles, 'w0', 'w3'), 12); // one co-runner = the pair model
    expect(three).toBeGreaterThan(two); // a second busy co-runner adds waiting
  });
});

describe('artifacts', () => {
  it('are byte-identical for the same inputs except createdAt, and load back to the same predictions', () => {
    const d = toy();
    const make = (createdAt: string) => {
      const t = trainRegressor(d, 'hybrid', ['gpu_util'], 'best_effort', { trees: 4 });
      return serializeArtifact(
        buildArtifact(t.model, {
          trainingDataHash: hashDataset(d.profiles, d.pairs),
          trainingPairs: d.pairs.length,
          rowsUsed: t.rowsUsed,
          metrics: { train: scoreRegressor(t.model, d) },
          createdAt,
        }),
      );
    };
    const a = make('2025-01-01T00:00:00.000Z');
    const b = make('2025-06-01T00:00:00.000Z');
    expect(a.replace(/"createdAt":"[^"]+"/, '')).toBe(b.replace(/"createdAt":"[^"]+"/, ''));
    const { artifact, model } = parseArtifact(a);
    expect(artifact.version).toBe(1);
    const fresh = trainRegressor(d, 'hybrid', ['gpu_util'], 'best_effort', { trees: 4 }).model;
    for (const p of d.pairs)
      expect(predictPair(model, d.profiles, p.workload, p.coRunner)).toBe(
        predictPair(fresh, d.profiles, p.workload, p.coRunner),
      );
    expect(
      currentArtifact([JSON.parse(a) as typeof artifact, JSON.parse(b) as typeof artifact])!.createdAt,
    ).toBe('2025-06-01T00:00:00.000Z');
  });

  it('reject other versions and malformed files, naming the file', () => {
    expect(() => parseArtifact('{"version":2}', 'm.json')).toThrow(
      'm.json: artifact version 2 is not supported',
    );
    expect(() => parseArtifact('nope', 'm.json')).toThrow(/m\.json: not JSON/);
    expect(() => parseArtifact('{"version":1,"kind":"rf"}', 'm.json')).toThrow(
      /m\.json: not a model artifact/,
    );
  });
});

describe('Gavel import', () => {
  const json = JSON.stringify({
    v100: {
      "('ResNet-18 (batch size 16)', 1)": {
        null: 30,
        "('A3C', 1)": [15, 5],
        "('ResNet-18 (batch size 16)', 1)": [30, 30],
      },
      "('A3C', 1)": { null: 6, "('ResNet-18 (batch size 16)', 1)": [0, 0], "('A3C', 1)": [4, 4] },
      "('A3C', 2)": { null: 3, "('A3C', 2)": [0, 0] },
    },
  });
  it('turns throughputs into slowdowns, drops and counts infeasible pairs', () => {
    const g = importGavel(json, 'v100');
    expect(g.pairs).toEqual([
      { workload: 'resnet18-bs16', coRunner: 'a3c', slowdown: 2, gpu: 'v100' }, // 30 / 15
      { workload: 'resnet18-bs16', coRunner: 'resnet18-bs16', slowdown: 1, gpu: 'v100' }, // 30 / 30: equals solo
      { workload: 'a3c', coRunner: 'a3c', slowdown: 1.5, gpu: 'v100' }, // 6 / 4
    ]);
    expect(g.infeasible).toBe(1); // A3C next to ResNet-18 is [0, 0]; the scale-2 job is skipped
    expect(g.equalToSolo).toBe(1);
    expect(g.profiles.columns).toEqual(['batch_size', 'solo_throughput', 'family_a3c', 'family_resnet18']);
    expect(g.profiles.rows.get('a3c')).toEqual([0, 6, 1, 0]); // no batch size in the job name → 0
    expect(() => importGavel(json, 'k80', 'g.json')).toThrow("g.json: no 'k80' section");
  });
});
