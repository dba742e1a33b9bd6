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
 * id < 0 is the leaf `~id` in `value`.
 */
export interface CompiledForest {
  readonly nInputs: number;
  /**
   * The same trees packed for speed: per node 3 doubles, pre-order, so a split's left child is
   * the next node. Split: [feature, threshold, offset of the right child]; leaf: [−1, value, 0].
   * `treeStart[t]` is tree t's root offset.
   */
  readonly packed: Float64Array;
  readonly treeStart: Int32Array;
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
  return withPacked({
    nInputs,
    roots: Int32Array.from(roots),
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
  });
}

type Unpacked = Omit<CompiledForest, 'packed' | 'treeStart'>;

function withPacked(m: Unpacked): CompiledForest {
  const out: number[] = [];
  const treeStart: number[] = [];
  const emit = (n: number): void => {
    if (n < 0) {
      out.push(-1, m.value[~n]!, 0);
      return;
    }
    const at = out.length;
    out.push(m.feature[n]!, m.threshold[n]!, 0);
    emit(m.left[n]!);
    out[at + 2] = out.length;
    emit(m.right[n]!);
  };
  for (const r of m.roots) {
    treeStart.push(out.length);
    emit(r);
  }
  return { ...m, packed: Float64Array.from(out), treeStart: Int32Array.from(treeStart) };
}

/** One prediction; `x` holds the forest's inputs in training-column order. */
export function predictCompiled(m: CompiledForest, x: ArrayLike<number>): number {
  const p = m.packed;
  const starts = m.treeStart;
  const nTrees = starts.length;
  let sum = 0;
  for (let t = 0; t < nTrees; t++) {
    let n = starts[t]!;
    let f = p[n]!;
    while (f >= 0) {
      n = x[f]! < p[n + 1]! ? n + 3 : p[n + 2]!;
      f = p[n]!;
    }
    sum += p[n + 1]!;
  }
  return sum / nTrees;
}

/**
 * Many predictions: rows of `x` (row-major, `nInputs` per row) into `out`. Trees outer, rows
 * inner keeps one tree hot in cache; each row still sums its trees in order, so every result
 * equals `predictCompiled`'s.
 */
export function predictCompiledBatch(m: CompiledForest, x: Float64Array, out: Float64Array): Float64Array {
  const p = m.packed;
  const starts = m.treeStart;
  const nTrees = starts.length;
  const d = m.nInputs;
  const rows = out.length;
  out.fill(0);
  for (let t = 0; t < nTrees; t++) {
    const root = starts[t]!;
    for (let r = 0, base = 0; r < rows; r++, base += d) {
      let n = root;
      let f = p[n]!;
      while (f >= 0) {
        n = x[base + f]! < p[n + 1]! ? n + 3 : p[n + 2]!;
        f = p[n]!;
      }
      out[r]! += p[n + 1]!;
    }
  }
  for (let r = 0; r < rows; r++) out[r]! /= nTrees;
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
  // the packed form is derived: artifacts store the plain arrays only
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
    j.right.every((c, i) => c < 0 || c > i);
  if (!ok)
    throw new ValidationError(`${where}: inconsistent compiled forest`, [
      { path: where, message: 'inconsistent' },
    ]);
  return withPacked({
    nInputs: j.nInputs,
    roots: Int32Array.from(j.roots),
    feature: Int32Array.from(j.feature),
    threshold: Float64Array.from(j.threshold),
    left: Int32Array.from(j.left),
    right: Int32Array.from(j.right),
    value: Float64Array.from(j.value),
  });
}
