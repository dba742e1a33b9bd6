import { ValidationError, type SchedulingPolicy } from '@vgpu-twin/contracts';
import { mulberry32 } from '@vgpu-twin/scheduler';
import { featureIndex, pairVector, profileOf } from './features';
import {
  predictPairVector,
  schedulerPrediction,
  severityClass,
  trainClassifier,
  trainRegressor,
  type ClassifierKind,
  type Dataset,
  type ForestOptions,
  type Regressor,
  type RegressorKind,
} from './models';

export function mse(y: readonly number[], p: readonly number[]): number {
  return y.reduce((s, v, i) => s + (v - p[i]!) ** 2, 0) / y.length;
}
export function mae(y: readonly number[], p: readonly number[]): number {
  return y.reduce((s, v, i) => s + Math.abs(v - p[i]!), 0) / y.length;
}

/** Ranks 1..n, ties sharing their average rank. */
function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation: Pearson correlation of the (tie-averaged) ranks; 0 if constant. */
export function spearman(y: readonly number[], p: readonly number[]): number {
  const a = ranks(y);
  const b = ranks(p);
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i]! - ma) * (b[i]! - mb);
    da += (a[i]! - ma) ** 2;
    db += (b[i]! - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : 0;
}

/** Macro-averaged F1 over the classes that occur in the truth or the predictions. */
export function macroF1(truth: readonly number[], pred: readonly number[]): number {
  const classes = [...new Set([...truth, ...pred])];
  const f = classes.map((c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truth.forEach((t, i) => {
      if (pred[i] === c && t === c) tp++;
      else if (pred[i] === c) fp++;
      else if (t === c) fn++;
    });
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return f.reduce((s, v) => s + v, 0) / f.length;
}

/** Train on `train`, test on `test` (indices into the dataset's pairs). */
export interface Split {
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/**
 * k folds by pair: all measurements of one ordered pair (workload, co-runner) land in the same
 * fold, so no pair is both trained on and tested.
 */
export function kFoldSplits(data: Dataset, k: number, seed: number): Split[] {
  const keys = [...new Set(data.pairs.map((p) => `${p.workload}\u0000${p.coRunner}`))];
  if (!(Number.isInteger(k) && k >= 2 && k <= keys.length)) {
    throw new ValidationError(
      `folds must be an integer in 2..${keys.length} (the number of pairs), got ${k}`,
      [{ path: 'folds', message: 'out of range' }],
    );
  }
  const rng = mulberry32(seed);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const fold = new Map(keys.map((key, i) => [key, i % k]));
  return Array.from({ length: k }, (_, f) => {
    const train: number[] = [];
    const test: number[] = [];
    data.pairs.forEach((p, i) => (fold.get(`${p.workload}\u0000${p.coRunner}`) === f ? test : train).push(i));
    return { train, test };
  });
}

/**
 * Leave workloads out: the test set is every pair that involves a left-out workload (as the VM or
 * as its co-runner), training sees none of them: the production case of a new workload.
 */
export function leaveOutSplit(data: Dataset, leaveOut: readonly string[]): Split {
  leaveOut.forEach((w) => profileOf(data.profiles, w));
  const out = new Set(leaveOut);
  const train: number[] = [];
  const test: number[] = [];
  data.pairs.forEach((p, i) => (out.has(p.workload) || out.has(p.coRunner) ? test : train).push(i));
  if (test.length === 0) {
    throw new ValidationError(`no pair involves ${leaveOut.join(', ')}`, [
      { path: 'leave-out', message: 'no test pairs' },
    ]);
  }
  if (train.length < 2) {
    throw new ValidationError(`leaving out ${leaveOut.join(', ')} leaves ${train.length} training pairs`, [
      { path: 'leave-out', message: 'too few training pairs' },
    ]);
  }
  return { train, test };
}

/** Leave-workloads-out cross-validation: the workloads in seeded groups of `perGroup`, one split each. */
export function leaveWorkloadsOutSplits(
  data: Dataset,
  perGroup: number,
  seed: number,
): { split: Split; left: string[] }[] {
  const names = [...new Set(data.pairs.flatMap((p) => [p.workload, p.coRunner]))];
  const rng = mulberry32(seed);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [names[i], names[j]] = [names[j]!, names[i]!];
  }
  const groups: string[][] = [];
  for (let i = 0; i < names.length; i += perGroup) groups.push(names.slice(i, i + perGroup));
  return groups.map((left) => ({ split: leaveOutSplit(data, left), left }));
}

export interface FeatureSet {
  readonly name: string;
  readonly columns: readonly string[];
}

export interface EvalRow {
  readonly model: string;
  readonly features: string;
  /** null for classifiers, which predict classes, not slowdowns. */
  readonly mse: number | null;
  readonly mae: number | null;
  readonly spearman: number | null;
  /** Macro F1 of the severity classes (< 1.1, 1.1–1.5, > 1.5); regressors' predictions are binned. */
  readonly f1: number;
  readonly n: number;
}

export interface EvalOptions {
  readonly regressors: readonly RegressorKind[];
  readonly classifiers?: readonly ClassifierKind[];
  readonly featureSets: readonly FeatureSet[];
  readonly splits: readonly Split[];
  readonly policy: SchedulingPolicy;
  readonly forest?: Partial<ForestOptions>;
  readonly onProgress?: (message: string) => void;
}

/** Trains every model × feature set on each split's training pairs and scores the pooled test predictions. */
export function evaluate(data: Dataset, o: EvalOptions): EvalRow[] {
  const rows: EvalRow[] = [];
  const total = o.featureSets.length * (o.regressors.length + (o.classifiers?.length ?? 0)) * o.splits.length;
  let done = 0;
  const tick = (what: string) => o.onProgress?.(`[${++done}/${total}] ${what}`);
  for (const fs of o.featureSets) {
    const index = featureIndex(data.profiles, fs.columns);
    const vec = (i: number) => {
      const p = data.pairs[i]!;
      return pairVector(data.profiles, index, p.workload, p.coRunner);
    };
    const truth: number[] = [];
    for (const s of o.splits) for (const i of s.test) truth.push(data.pairs[i]!.slowdown);
    const truthClass = truth.map(severityClass);
    for (const kind of o.regressors) {
      const pred: number[] = [];
      o.splits.forEach((s, si) => {
        const train = { profiles: data.profiles, pairs: s.train.map((i) => data.pairs[i]!) };
        const { model } = trainRegressor(train, kind, fs.columns, o.policy, o.forest);
        for (const i of s.test) {
          const p = data.pairs[i]!;
          pred.push(
            predictPairVector(model, vec(i), () =>
              schedulerPrediction(data.profiles, model.schedulerColumns, p.workload, [p.coRunner], o.policy),
            ),
          );
        }
        tick(`${kind} × ${fs.name}, split ${si + 1}/${o.splits.length}`);
      });
      rows.push({
        model: kind,
        features: fs.name,
        mse: mse(truth, pred),
        mae: mae(truth, pred),
        spearman: spearman(truth, pred),
        f1: macroF1(truthClass, pred.map(severityClass)),
        n: truth.length,
      });
    }
    for (const kind of o.classifiers ?? []) {
      const pred: number[] = [];
      o.splits.forEach((s, si) => {
        const predictFn = trainClassifier(
          kind,
          s.train.map(vec),
          s.train.map((i) => severityClass(data.pairs[i]!.slowdown)),
          o.forest,
        );
        pred.push(...predictFn(s.test.map(vec)));
        tick(`${kind} × ${fs.name}, split ${si + 1}/${o.splits.length}`);
      });
      rows.push({
        model: kind,
        features: fs.name,
        mse: null,
        mae: null,
        spearman: null,
        f1: macroF1(truthClass, pred),
        n: truth.length,
      });
    }
  }
  return rows;
}

/** A fixed-width text table like the paper's: one row per model × feature set. */
export function formatTable(rows: readonly EvalRow[]): string {
  const f = (v: number | null, d = 4) => (v === null ? '–' : v.toFixed(d));
  const header = ['model', 'features', 'MSE', 'MAE', 'Spearman', 'F1', 'n'];
  const body = rows.map((r) => [
    r.model,
    r.features,
    f(r.mse),
    f(r.mae),
    f(r.spearman, 3),
    f(r.f1, 3),
    String(r.n),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** The same rows as a Markdown table (bench/RESULTS.md, README). */
export function formatMarkdown(rows: readonly EvalRow[]): string {
  const f = (v: number | null, d = 4) => (v === null ? '–' : v.toFixed(d));
  return [
    '| model | features | MSE | MAE | Spearman | F1 (severity) | n |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.features} | ${f(r.mse)} | ${f(r.mae)} | ${f(r.spearman, 3)} | ${f(r.f1, 3)} | ${r.n} |`,
    ),
  ].join('\n');
}

/** A trained regressor's metrics on the given pairs (training fit when they are its training pairs). */
export function scoreRegressor(
  model: Regressor,
  data: Dataset,
): { mse: number; mae: number; spearman: number; f1: number; n: number } {
  const index = featureIndex(data.profiles, model.features);
  const truth = data.pairs.map((p) => p.slowdown);
  const pred = data.pairs.map((p) =>
    predictPairVector(model, pairVector(data.profiles, index, p.workload, p.coRunner), () =>
      schedulerPrediction(data.profiles, model.schedulerColumns, p.workload, [p.coRunner], model.policy),
    ),
  );
  return {
    mse: mse(truth, pred),
    mae: mae(truth, pred),
    spearman: spearman(truth, pred),
    f1: macroF1(truth.map(severityClass), pred.map(severityClass)),
    n: truth.length,
  };
}
