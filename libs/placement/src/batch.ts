import { ValidationError } from '@vgpu-twin/contracts';
import type { Rng } from '@vgpu-twin/scheduler';
import { minWeightPerfectMatching } from './matching';

/**
 * Batch placement of `n` VMs (0..n−1, in arrival order) onto `gpus` identical GPUs of `slots`
 * slots each: the paper's experiment (50 hosts × 1 GPU × 2 slots) and its generalisations.
 * `groupCost(members)` is the predicted Σ slowdown of the VMs sharing one GPU (0 for none).
 * A placement is `gpuOf[vm]`.
 */
export interface BatchProblem {
  readonly n: number;
  readonly gpus: number;
  readonly slots: number;
  readonly groupCost: (members: readonly number[]) => number;
}

export type BatchPolicy = (p: BatchProblem, rng: Rng) => Int32Array;

function check(p: BatchProblem): void {
  if (!(
    Number.isInteger(p.n) &&
    p.n >= 0 &&
    Number.isInteger(p.gpus) &&
    p.gpus >= 1 &&
    Number.isInteger(p.slots) &&
    p.slots >= 1
  )) {
    throw new ValidationError(`bad batch problem: n=${p.n}, gpus=${p.gpus}, slots=${p.slots}`);
  }
  if (p.n > p.gpus * p.slots) {
    throw new ValidationError(`${p.n} VMs do not fit on ${p.gpus} GPUs × ${p.slots} slots`, [
      { path: 'n', message: `must be ≤ ${p.gpus * p.slots}` },
    ]);
  }
}

export function groupsOf(p: BatchProblem, gpuOf: Int32Array): number[][] {
  const groups: number[][] = Array.from({ length: p.gpus }, () => []);
  gpuOf.forEach((g, v) => groups[g]!.push(v));
  return groups;
}

/** Σ over GPUs of `cost` (default: the problem's own) for the placement. */
export function placementCost(p: BatchProblem, gpuOf: Int32Array, cost = p.groupCost): number {
  return groupsOf(p, gpuOf).reduce((s, members) => s + (members.length > 0 ? cost(members) : 0), 0);
}

/** Round robin: VM i to GPU i mod G (the paper's baseline). */
export const roundRobin: BatchPolicy = (p) => {
  check(p);
  return Int32Array.from({ length: p.n }, (_, i) => i % p.gpus);
};

/** Uniformly random slots (a seeded shuffle of all G × S slots). */
export const randomPlacement: BatchPolicy = (p, rng) => {
  check(p);
  const slots = Array.from({ length: p.gpus * p.slots }, (_, i) => Math.floor(i / p.slots));
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  return Int32Array.from({ length: p.n }, (_, i) => slots[i]!);
};

/** First fit: each VM to the lowest-numbered GPU with a free slot (packs consecutive arrivals). */
export const firstFit: BatchPolicy = (p) => {
  check(p);
  return Int32Array.from({ length: p.n }, (_, i) => Math.floor(i / p.slots));
};

/**
 * Best fit: each VM to the fullest GPU that still has a slot (ties: lowest number), the classic
 * bin-packing rule. With identical VM sizes it packs like first fit; it differs once GPUs start
 * partly filled or slots differ. Neither looks at interference.
 */
export const bestFit: BatchPolicy = (p) => {
  check(p);
  const used = new Int32Array(p.gpus);
  return Int32Array.from({ length: p.n }, () => {
    let best = -1;
    for (let g = 0; g < p.gpus; g++) if (used[g]! < p.slots && (best < 0 || used[g]! > used[best]!)) best = g;
    used[best]!++;
    return best;
  });
};

/** Greedy: each VM, in arrival order, to the GPU where it adds the least predicted slowdown. */
export const greedy: BatchPolicy = (p) => {
  check(p);
  const groups: number[][] = Array.from({ length: p.gpus }, () => []);
  const cost = new Float64Array(p.gpus);
  const gpuOf = new Int32Array(p.n);
  for (let v = 0; v < p.n; v++) {
    let best = -1;
    let bestDelta = Infinity;
    let bestCost = 0;
    let triedEmpty = false;
    for (let g = 0; g < p.gpus; g++) {
      const members = groups[g]!;
      if (members.length >= p.slots) continue;
      // Empty GPUs are interchangeable: try the first only.
      if (members.length === 0) {
        if (triedEmpty) continue;
        triedEmpty = true;
      }
      const c = p.groupCost([...members, v]);
      const delta = c - cost[g]!;
      if (delta < bestDelta) {
        best = g;
        bestDelta = delta;
        bestCost = c;
      }
    }
    groups[best]!.push(v);
    cost[best] = bestCost;
    gpuOf[v] = best;
  }
  return gpuOf;
};

/**
 * Local search from `start`: moves of one VM to a GPU with a free slot and swaps of two VMs on
 * different GPUs, first improvement, until a whole pass improves nothing (or `maxPasses`).
 * Each step re-prices only the two GPUs it touches.
 */
export function localSearch(p: BatchProblem, start: Int32Array, maxPasses = 50): Int32Array {
  check(p);
  const gpuOf = Int32Array.from(start);
  const groups = groupsOf(p, gpuOf);
  const cost = Float64Array.from(groups, (m) => (m.length > 0 ? p.groupCost(m) : 0));
  const eps = 1e-12;
  const without = (m: readonly number[], v: number) => m.filter((x) => x !== v);
  for (let pass = 0; pass < maxPasses; pass++) {
    let improved = false;
    for (let a = 0; a < p.n; a++) {
      const ga = gpuOf[a]!;
      // Moves to a GPU with room (one empty GPU stands for all).
      let triedEmpty = false;
      for (let g = 0; g < p.gpus; g++) {
        if (g === ga || groups[g]!.length >= p.slots) continue;
        if (groups[g]!.length === 0) {
          if (triedEmpty || groups[ga]!.length === 1) continue;
          triedEmpty = true;
        }
        const ra = without(groups[ga]!, a);
        const ca = ra.length > 0 ? p.groupCost(ra) : 0;
        const ng = [...groups[g]!, a];
        const cg = p.groupCost(ng);
        if (ca + cg < cost[ga]! + cost[g]! - eps) {
          groups[ga] = ra;
          groups[g] = ng;
          cost[ga] = ca;
          cost[g] = cg;
          gpuOf[a] = g;
          improved = true;
          break;
        }
      }
      for (let b = a + 1; b < p.n; b++) {
        const x = gpuOf[a]!;
        const y = gpuOf[b]!;
        if (x === y) continue;
        const nx = [...without(groups[x]!, a), b];
        const ny = [...without(groups[y]!, b), a];
        const cx = p.groupCost(nx);
        const cy = p.groupCost(ny);
        if (cx + cy < cost[x]! + cost[y]! - eps) {
          groups[x] = nx;
          groups[y] = ny;
          cost[x] = cx;
          cost[y] = cy;
          gpuOf[a] = y;
          gpuOf[b] = x;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return gpuOf;
}

/** Greedy followed by local search: the heuristic for more than two slots. */
export const greedyLocalSearch: BatchPolicy = (p, rng) => localSearch(p, greedy(p, rng));

/**
 * Exact placement with two slots per GPU: a minimum-weight perfect matching. VMs are vertices,
 * weight(a, b) = groupCost([a, b]); when n < 2G, 2G − n "empty slot" vertices stand for a VM
 * alone (weight groupCost([a])) or an idle GPU (weight 0). Pairs go to GPUs in order of their
 * lowest VM, so the answer is deterministic.
 */
export const exactPairs: BatchPolicy = (p) => {
  check(p);
  if (p.slots !== 2) throw new ValidationError(`exact matching needs 2 slots per GPU, got ${p.slots}`);
  const m = 2 * p.gpus;
  const solo = Float64Array.from({ length: p.n }, (_, v) => p.groupCost([v]));
  const pairCost = new Float64Array(p.n * p.n);
  for (let a = 0; a < p.n; a++) for (let b = a + 1; b < p.n; b++) pairCost[a * p.n + b] = p.groupCost([a, b]);
  const mate = minWeightPerfectMatching(m, (i, j) => {
    if (i >= p.n && j >= p.n) return 0;
    if (j >= p.n) return solo[i]!;
    if (i >= p.n) return solo[j]!;
    return i < j ? pairCost[i * p.n + j]! : pairCost[j * p.n + i]!;
  });
  const gpuOf = new Int32Array(p.n).fill(-1);
  let next = 0;
  for (let v = 0; v < p.n; v++) {
    if (gpuOf[v]! >= 0) continue;
    gpuOf[v] = next;
    const w = mate[v]!;
    if (w < p.n) gpuOf[w] = next;
    next++;
  }
  return gpuOf;
};

/**
 * Exact placement for any slot count by enumeration (VM v opens at most the first empty GPU, so
 * each partition is seen once). For checking heuristics on small cases: refuses n > 14.
 */
export const exactBruteForce: BatchPolicy = (p) => {
  check(p);
  if (p.n > 14) throw new ValidationError(`brute force is for n ≤ 14, got ${p.n}`);
  const groups: number[][] = Array.from({ length: p.gpus }, () => []);
  const gpuOf = new Int32Array(p.n);
  let best = Infinity;
  let bestPlacement = new Int32Array(p.n);
  const rec = (v: number, opened: number): void => {
    if (v === p.n) {
      const c = groups.reduce((s, m) => s + (m.length > 0 ? p.groupCost(m) : 0), 0);
      if (c < best) {
        best = c;
        bestPlacement = Int32Array.from(gpuOf);
      }
      return;
    }
    for (let g = 0; g < Math.min(opened + 1, p.gpus); g++) {
      if (groups[g]!.length >= p.slots) continue;
      groups[g]!.push(v);
      gpuOf[v] = g;
      rec(v + 1, Math.max(opened, g + 1));
      groups[g]!.pop();
    }
  };
  rec(0, 0);
  return bestPlacement;
};

/**
 * Σ slowdown of a group from ordered pair slowdowns slowdown(a | b), with additive overheads for
 * more than one co-runner (see `pairwiseSlowdownModel`); `types[v]` is VM v's workload index.
 */
export function pairwiseGroupCost(
  types: ArrayLike<number>,
  slowdown: (a: number, b: number) => number,
): (members: readonly number[]) => number {
  return (members) => {
    let s = 0;
    for (const i of members) {
      s += 1;
      for (const j of members) if (j !== i) s += slowdown(types[i]!, types[j]!) - 1;
    }
    return s;
  };
}
