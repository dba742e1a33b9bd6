import { ValidationError, type SchedulingPolicy } from '@vgpu-twin/contracts';
import { mulberry32 } from '@vgpu-twin/scheduler';
import { DecisionTreeClassifier } from 'ml-cart';
import KNN from 'ml-knn';
import { GaussianNB } from 'ml-naivebayes';
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest';
import MLR from 'ml-regression-multivariate-linear';
import { compileForest, predictCompiled, type CompiledForest } from './compiled';
import type { PairRow, Profiles } from './csv';
import { featureIndex, pairVector, schedulerColumns, schedulerSlowdown, schedulerWorkload } from './features';

export const REGRESSORS = ['rf', 'linear', 'hybrid'] as const;
export type RegressorKind = (typeof REGRESSORS)[number];

export interface Dataset {
  readonly profiles: Profiles;
  readonly pairs: readonly PairRow[];
}

/**
 * Forest settings. `maxTrainRows`: ml-cart scores every candidate threshold by re-partitioning
 * the node's rows, O(rows²) per feature at each level, so training time grows about
 * quadratically past a few thousand rows (bench/RESULTS.md). Above the cap we train
 * on a seeded random subset of that many pairs.
 */
export interface ForestOptions {
  readonly trees: number;
  /** Fraction of the pair features each tree sees (ml-random-forest bags features per tree). */
  readonly maxFeatures: number;
  readonly minNumSamples: number;
  readonly maxDepth: number;
  readonly seed: number;
  readonly maxTrainRows: number;
}

export const DEFAULT_FOREST: ForestOptions = {
  trees: 50,
  maxFeatures: 0.8,
  minNumSamples: 3,
  maxDepth: 12,
  seed: 42,
  maxTrainRows: 1000,
};

/** A trained regressor in the form the twin runs and artifacts store. */
export interface Regressor {
  readonly kind: RegressorKind;
  readonly features: readonly string[];
  readonly policy: SchedulingPolicy;
  /** Hybrid: the profile columns its scheduler component reads. */
  readonly schedulerColumns: readonly string[];
  readonly forest?: CompiledForest;
  readonly linear?: { readonly coefficients: readonly number[]; readonly intercept: number };
}

export interface TrainResult {
  readonly model: Regressor;
  /** The ml-random-forest model the compiled forest came from (rf, hybrid). */
  readonly reference?: RandomForestRegression;
  readonly rowsUsed: number;
}

/** Seeded subset of at most `max` indices, in their original order. */
export function subsample(n: number, max: number, seed: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  if (n <= max) return idx;
  const rng = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, max).sort((a, b) => a - b);
}

/**
 * ml-random-forest reads `maxFeatures` in (0, 1] as a fraction (floored, so 0.8 of one column is
 * none) and larger integers as a count; the integer 1 means "all". Returns the value that gives
 * max(1, ⌊columns × fraction⌋) features.
 */
export function maxFeaturesOption(columns: number, fraction: number): number {
  const k = Math.max(1, Math.min(columns, Math.floor(columns * fraction)));
  if (k === columns) return 1.0;
  if (k === 1) return 1.5 / columns; // ⌊columns × 1.5/columns⌋ = 1
  return k;
}

export function trainForest(x: number[][], y: number[], o: ForestOptions): RandomForestRegression {
  const rf = new RandomForestRegression({
    nEstimators: o.trees,
    maxFeatures: maxFeaturesOption(x[0]?.length ?? 1, o.maxFeatures),
    replacement: false,
    seed: o.seed,
    useSampleBagging: true,
    noOOB: true,
    selectionMethod: 'mean',
    treeOptions: { minNumSamples: o.minNumSamples, maxDepth: o.maxDepth },
    isClassifier: false,
  });
  rf.train(x, y);
  return rf;
}

/** The scheduler model's slowdown of `workload` next to `coRunners` under `policy`. */
export function schedulerPrediction(
  profiles: Profiles,
  columns: readonly string[],
  workload: string,
  coRunners: readonly string[],
  policy: SchedulingPolicy,
): number {
  return schedulerSlowdown(
    [workload, ...coRunners].map((w) => schedulerWorkload(profiles, columns, w)),
    policy,
  );
}

export function trainRegressor(
  data: Dataset,
  kind: RegressorKind,
  features: readonly string[],
  policy: SchedulingPolicy,
  options: Partial<ForestOptions> = {},
): TrainResult {
  const o = { ...DEFAULT_FOREST, ...options };
  const index = featureIndex(data.profiles, features);
  const rows = subsample(data.pairs.length, o.maxTrainRows, o.seed).map((i) => data.pairs[i]!);
  if (rows.length < 2) throw new ValidationError(`need at least 2 training pairs, got ${rows.length}`);
  const x = rows.map((p) => pairVector(data.profiles, index, p.workload, p.coRunner));
  const y = rows.map((p) => p.slowdown);
  const nInputs = 2 * features.length;
  const base = { kind, features: [...features], policy, schedulerColumns: [] as string[] };
  switch (kind) {
    case 'rf': {
      const rf = trainForest(x, y, o);
      return { model: { ...base, forest: compileForest(rf, nInputs) }, reference: rf, rowsUsed: rows.length };
    }
    case 'hybrid': {
      const cols = schedulerColumns(features);
      const residual = rows.map(
        (p, i) => y[i]! - schedulerPrediction(data.profiles, cols, p.workload, [p.coRunner], policy),
      );
      const rf = trainForest(x, residual, o);
      return {
        model: { ...base, schedulerColumns: cols, forest: compileForest(rf, nInputs) },
        reference: rf,
        rowsUsed: rows.length,
      };
    }
    case 'linear': {
      const mlr = new MLR(
        x,
        y.map((v) => [v]),
        { intercept: true, statistics: false },
      );
      const w = mlr.weights.map((r) => r[0]!);
      return {
        model: { ...base, linear: { coefficients: w.slice(0, nInputs), intercept: w[nInputs] ?? 0 } },
        rowsUsed: rows.length,
      };
    }
    default: {
      const _exhaustive: never = kind;
      return _exhaustive;
    }
  }
}

/** The model's slowdown for `workload` next to one `coRunner`. */
export function predictPair(
  model: Regressor,
  profiles: Profiles,
  workload: string,
  coRunner: string,
): number {
  const x = pairVector(profiles, featureIndex(profiles, model.features), workload, coRunner);
  return predictPairVector(model, x, () =>
    schedulerPrediction(profiles, model.schedulerColumns, workload, [coRunner], model.policy),
  );
}

/** As `predictPair` on a ready pair vector; `scheduler` is only called for the hybrid. */
export function predictPairVector(model: Regressor, x: readonly number[], scheduler: () => number): number {
  switch (model.kind) {
    case 'rf':
      return predictCompiled(model.forest!, x);
    case 'hybrid':
      return scheduler() + predictCompiled(model.forest!, x);
    case 'linear': {
      const { coefficients, intercept } = model.linear!;
      let s = 0;
      for (let i = 0; i < coefficients.length; i++) s += coefficients[i]! * x[i]!;
      return s + intercept;
    }
    default: {
      const _exhaustive: never = model.kind;
      return _exhaustive;
    }
  }
}

/** Severity classes of the issue: 0: < 1.1, 1: 1.1–1.5, 2: > 1.5. */
export const SEVERITY_CLASSES = ['<1.1', '1.1-1.5', '>1.5'] as const;
export function severityClass(slowdown: number): number {
  return slowdown < 1.1 ? 0 : slowdown <= 1.5 ? 1 : 2;
}

export const CLASSIFIERS = ['rf-clf', 'tree', 'naive-bayes', 'knn'] as const;
export type ClassifierKind = (typeof CLASSIFIERS)[number];

/** z-scores with the training set's mean and deviation (constant columns are left centred). */
function standardizer(x: readonly (readonly number[])[]): (row: readonly number[]) => number[] {
  const d = x[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const r of x) for (let j = 0; j < d; j++) mean[j]! += r[j]! / x.length;
  for (const r of x) for (let j = 0; j < d; j++) sd[j]! += (r[j]! - mean[j]!) ** 2 / x.length;
  const s = sd.map((v) => (v > 0 ? Math.sqrt(v) : 1));
  return (row) => row.map((v, j) => (v - mean[j]!) / s[j]!);
}

/**
 * A severity classifier from the ml.js family; returns its predict function. kNN and naive Bayes
 * see standardised features (kNN distances would otherwise be PCIe MB/s alone); naive Bayes also
 * gets a small seeded jitter so a feature constant within a class has a non-zero variance.
 */
export function trainClassifier(
  kind: ClassifierKind,
  x: number[][],
  labels: readonly number[],
  options: Partial<ForestOptions> = {},
): (x: number[][]) => number[] {
  // The ml.js classifiers index their class counts by label, so labels must be 0..m−1: a
  // training fold without the middle class would otherwise break them.
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const dense = labels.map((l) => classes.indexOf(l));
  const inner = trainDense(kind, x, dense, options);
  return (q) => inner(q).map((c) => classes[c] ?? classes[0]!);
}

function trainDense(
  kind: ClassifierKind,
  x: number[][],
  labels: number[],
  options: Partial<ForestOptions>,
): (x: number[][]) => number[] {
  const o = { ...DEFAULT_FOREST, ...options };
  switch (kind) {
    case 'rf-clf': {
      const rf = new RandomForestClassifier({
        nEstimators: o.trees,
        maxFeatures: maxFeaturesOption(x[0]?.length ?? 1, o.maxFeatures),
        replacement: false,
        seed: o.seed,
        useSampleBagging: true,
        noOOB: true,
        treeOptions: { minNumSamples: o.minNumSamples, maxDepth: o.maxDepth },
        isClassifier: true,
      });
      rf.train(x, labels);
      return (q) => rf.predict(q);
    }
    case 'tree': {
      const t = new DecisionTreeClassifier({ minNumSamples: o.minNumSamples, maxDepth: o.maxDepth });
      t.train(x, labels);
      return (q) => t.predict(q);
    }
    case 'naive-bayes': {
      const z = standardizer(x);
      const rng = mulberry32(o.seed);
      const nb = new GaussianNB();
      nb.train(
        x.map((r) => z(r).map((v) => v + (rng() - 0.5) * 1e-3)),
        labels,
      );
      return (q) => nb.predict(q.map(z));
    }
    case 'knn': {
      const z = standardizer(x);
      const knn = new KNN(x.map(z), labels, { k: 5 });
      return (q) => knn.predict(q.map(z));
    }
    default: {
      const _exhaustive: never = kind;
      return _exhaustive;
    }
  }
}
