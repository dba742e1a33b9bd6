import { ValidationError } from '@vgpu-twin/contracts';
import type { RandomForestRegression } from 'ml-random-forest';

/**
 * A trained ml-random-forest regression flattened into typed arrays.
 *
 * Exactness, from ml-random-forest 2.1 / ml-cart 2.1 sources:
 * - ml-cart's `TreeNode.classify` goes left when `row[splitColumn] < splitValue` (strict), else
 *   right, and only when the node has both children; a leaf returns `distribution`, the mean of
 *   its training values. So NaN inputs go right, as here.
 * - Each estimator sees the columns `indexes[i]` of the input (feature bagging per tree,
 *   `MatrixColumnSelectionView`): a split on tree column j reads input column `indexes[i][j]`.
 * - Regression with `selectionMethod: 'mean'` returns ml-array-mean of the per-tree values, i.e.
 *   a left-to-right sum from 0 in estimator order divided by the estimator count. We sum in the
 *   same order, so the result is the same double, not merely close. `median` is not supported.
 *
 * Layout: node ids ≥ 0 are splits (`feature`, `threshold`, `left`, `right`); a child or root
 * id < 0 is the leaf `~id` in `value`. Each split's children come after it (pre-order), and every
 * node has one parent, so the trees are trees. Prediction runs on a derived branch-free form
 * (`Runtime` below), built on first use and kept beside the forest, not in it.
 */
export interface CompiledForest {
  readonly nInputs: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

interface CartNode {
  readonly left?: CartNode;
  readonly right?: CartNode;
  readonly splitColumn?: number;
  readonly splitValue?: number;
  readonly distribution?: unknown;
}

interface ForestInternals {
  readonly selectionMethod: string;
  readonly indexes: readonly (readonly number[])[];
  readonly estimators: readonly { readonly root: CartNode }[];
}

export function compileForest(rf: RandomForestRegression, nInputs: number): CompiledForest {
  const f = rf as unknown as ForestInternals;
  if (f.selectionMethod !== 'mean') {
    throw new ValidationError(`only selectionMethod 'mean' compiles exactly, not '${f.selectionMethod}'`);
  }
  if (!f.estimators || !f.indexes) throw new ValidationError('the forest is not trained');
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const roots: number[] = [];

  const visit = (node: CartNode, cols: readonly number[]): number => {
    if (node.left && node.right) {
      const id = feature.length;
      const col = cols[node.splitColumn!];
      if (col === undefined || node.splitValue === undefined) {
        throw new ValidationError(`tree node splits on column ${node.splitColumn} outside its feature bag`);
      }
      if (col >= nInputs) throw new ValidationError(`tree node splits on input ${col} of ${nInputs}`);
      feature.push(col);
      threshold.push(node.splitValue);
      left.push(0);
      right.push(0);
      left[id] = visit(node.left, cols);
      right[id] = visit(node.right, cols);
      return id;
    }
    if (typeof node.distribution !== 'number') throw new ValidationError('regression leaf without a value');
    value.push(node.distribution);
    return ~(value.length - 1);
  };
  f.estimators.forEach((est, i) => roots.push(visit(est.root, f.indexes[i]!)));
  return {
    nInputs,
    roots: Int32Array.from(roots),
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
  };
}

/**
 * The forest in the form predictions run on. Branch-free, because a data-dependent branch per
 * node is hard to predict on varied inputs: on the bench model (50 trees, 340 nodes visited per
 * prediction) one run here gave 0.14M predictions/s for the former node-walking loop, 0.43M/s for
 * if/else code generated per tree, and 1.0–1.3M/s for this form (bench/RESULTS.md).
 *
 * Slots, per tree in breadth-first order, so that a split's two children are adjacent:
 * - split: `C[n] = (right child's slot) << shift | input`, `T[n]` = threshold. One step is
 *   `n = (C[n] >> shift) − (x[C[n] & mask] < T[n])`: the left child when `x < threshold`, else
 *   the right one, NaN included, as ml-cart.
 * - leaf: `C[n] = (its own slot) << shift | nInputs`, `T[n]` = value. `x[nInputs]` is a NaN that
 *   is never overwritten, so a step stays on the leaf.
 * So every tree takes exactly `depth` steps whatever the input and ends on its leaf, `T[n]`. The
 * steps are generated as straight-line code (`new Function`), several trees interleaved so that
 * their independent chains of loads overlap in the CPU. The source holds only slot numbers,
 * shifts and masks: thresholds and values stay in `T`, so −0, NaN and ±Infinity need no care.
 */
interface Runtime {
  readonly nInputs: number;
  readonly nTrees: number;
  /** The input row; the slots from nInputs on stay NaN. */
  readonly x: Float64Array;
  /** Each adds its trees' leaf values, in estimator order, to the running sum it is given. */
  readonly groups: readonly ((sum: number) => number)[];
}

/**
 * Trees per generated function. Bench model, predictions per CPU-second: 4 → 0.86M, 6–10 →
 * 1.2–1.3M, 50 (one function) → 0.99M: more chains than registers spill to the stack.
 */
const TREES_PER_FUNCTION = 8;

const runtimes = new WeakMap<CompiledForest, Runtime>();

function runtimeOf(m: CompiledForest): Runtime {
  let r = runtimes.get(m);
  if (!r) {
    r = buildRuntime(m);
    runtimes.set(m, r);
  }
  return r;
}

function buildRuntime(m: CompiledForest): Runtime {
  const shift = Math.ceil(Math.log2(m.nInputs + 1));
  const mask = (1 << shift) - 1;
  const code: number[] = [];
  const num: number[] = [];
  const rootSlot: number[] = [];
  const depth: number[] = [];
  for (const root of m.roots) {
    const first = code.length;
    const ids = [root];
    const level = [0];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const slot = first + i;
      if (id < 0) {
        code.push(slot * (mask + 1) + m.nInputs);
        num.push(m.value[~id]!);
      } else {
        code.push((first + ids.length + 1) * (mask + 1) + m.feature[id]!);
        num.push(m.threshold[id]!);
        ids.push(m.left[id]!, m.right[id]!);
        level.push(level[i]! + 1, level[i]! + 1);
      }
    }
    rootSlot.push(first);
    depth.push(level[level.length - 1]!);
  }
  if ((code.length + 1) * (mask + 1) > 2 ** 31) {
    throw new ValidationError(
      `a forest of ${code.length} nodes and ${m.nInputs} inputs is too large to pack`,
    );
  }
  const x = new Float64Array(mask + 1).fill(NaN);
  const C = Int32Array.from(code);
  const T = Float64Array.from(num);
  const groups: ((sum: number) => number)[] = [];
  for (let first = 0; first < rootSlot.length; first += TREES_PER_FUNCTION) {
    const trees = rootSlot.slice(first, first + TREES_PER_FUNCTION).map((slot, k) => ({
      k,
      slot,
      depth: depth[first + k]!,
    }));
    // the roots' codes are known here: folding them into the first step saves a load per tree
    const lines = trees.map((t) =>
      t.depth > 0
        ? `let n${t.k} = ${code[t.slot]! >> shift} - (x[${code[t.slot]! & mask}] < T[${t.slot}]), c${t.k} = 0;`
        : `let n${t.k} = ${t.slot}, c${t.k} = 0;`,
    );
    const deepest = Math.max(...trees.map((t) => t.depth));
    for (let step = 1; step < deepest; step++) {
      for (const t of trees) {
        if (step < t.depth) {
          lines.push(
            `c${t.k} = C[n${t.k}]; n${t.k} = (c${t.k} >> ${shift}) - (x[c${t.k} & ${mask}] < T[n${t.k}]);`,
          );
        }
      }
    }
    lines.push(...trees.map((t) => `sum += T[n${t.k}];`), 'return sum;');
    // only integers computed above enter the source
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const make = new Function(
      'C',
      'T',
      'x',
      `'use strict';\nreturn function (sum) {\n${lines.join('\n')}\n};`,
    ) as (c: Int32Array, t: Float64Array, x: Float64Array) => (sum: number) => number;
    groups.push(make(C, T, x));
  }
  return { nInputs: m.nInputs, nTrees: rootSlot.length, x, groups };
}

/** One prediction; `x` holds the forest's inputs in training-column order. */
export function predictCompiled(m: CompiledForest, x: ArrayLike<number>): number {
  const r = runtimeOf(m);
  const row = r.x;
  const groups = r.groups;
  for (let i = 0; i < r.nInputs; i++) row[i] = x[i]!;
  let sum = 0;
  for (let g = 0; g < groups.length; g++) sum = groups[g]!(sum);
  return sum / r.nTrees;
}

/** Many predictions: rows of `x` (row-major, `nInputs` per row) into `out`; each equals `predictCompiled`'s. */
export function predictCompiledBatch(m: CompiledForest, x: Float64Array, out: Float64Array): Float64Array {
  const r = runtimeOf(m);
  const row = r.x;
  const groups = r.groups;
  const d = r.nInputs;
  for (let i = 0, base = 0; i < out.length; i++, base += d) {
    for (let j = 0; j < d; j++) row[j] = x[base + j]!;
    let sum = 0;
    for (let g = 0; g < groups.length; g++) sum = groups[g]!(sum);
    out[i] = sum / r.nTrees;
  }
  return out;
}

/** Plain-JSON form for artifacts (JSON numbers round-trip doubles exactly). */
export interface CompiledForestJson {
  readonly nInputs: number;
  readonly roots: number[];
  readonly feature: number[];
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
}

export function forestToJson(m: CompiledForest): CompiledForestJson {
  // the branch-free form is derived: artifacts store the plain arrays only
  return {
    nInputs: m.nInputs,
    roots: Array.from(m.roots),
    feature: Array.from(m.feature),
    threshold: Array.from(m.threshold),
    left: Array.from(m.left),
    right: Array.from(m.right),
    value: Array.from(m.value),
  };
}

export function forestFromJson(j: CompiledForestJson, where = 'forest'): CompiledForest {
  const nNodes = j.feature.length;
  const ok =
    Number.isInteger(j.nInputs) &&
    j.roots.length > 0 &&
    j.threshold.length === nNodes &&
    j.left.length === nNodes &&
    j.right.length === nNodes &&
    j.feature.every((f) => Number.isInteger(f) && f >= 0 && f < j.nInputs) &&
    [...j.roots, ...j.left, ...j.right].every(
      (c) => Number.isInteger(c) && c < nNodes && ~c < j.value.length,
    ) &&
    // children come after their parent (pre-order), so a loaded forest cannot loop
    j.left.every((c, i) => c < 0 || c > i) &&
    j.right.every((c, i) => c < 0 || c > i) &&
    // and no node has two parents, which would share (and, chained, multiply) subtrees
    referencedOnce([...j.roots, ...j.left, ...j.right]);
  if (!ok)
    throw new ValidationError(`${where}: inconsistent compiled forest`, [
      { path: where, message: 'inconsistent' },
    ]);
  return {
    nInputs: j.nInputs,
    roots: Int32Array.from(j.roots),
    feature: Int32Array.from(j.feature),
    threshold: Float64Array.from(j.threshold),
    left: Int32Array.from(j.left),
    right: Int32Array.from(j.right),
    value: Float64Array.from(j.value),
  };
}

function referencedOnce(ids: readonly number[]): boolean {
  return new Set(ids).size === ids.length;
}
