import { mulberry32 } from '@vgpu-twin/scheduler';
import { maxWeightMatching, minWeightPerfectMatching } from './matching';

/** Every perfect matching of 0..n−1 (n even), by pairing the lowest free vertex with each other. */
function bruteForceMin(n: number, w: (i: number, j: number) => number): number {
  let best = Infinity;
  const free = Array.from({ length: n }, (_, i) => i);
  const rec = (left: number[], acc: number): void => {
    if (left.length === 0) {
      best = Math.min(best, acc);
      return;
    }
    const [a, ...rest] = left;
    rest.forEach((b, k) => rec([...rest.slice(0, k), ...rest.slice(k + 1)], acc + w(a!, b)));
  };
  rec(free, 0);
  return best;
}

function matchingCost(mate: Int32Array, w: (i: number, j: number) => number): number {
  let s = 0;
  mate.forEach((m, i) => {
    if (m > i) s += w(i, m);
  });
  return s;
}

function isPerfect(mate: Int32Array): boolean {
  return [...mate].every((m, i) => m >= 0 && m !== i && mate[m] === i);
}

describe('minWeightPerfectMatching', () => {
  it('pairs a cheap pair with a cheap pair instead of two expensive ones', () => {
    // given 4 VMs where (0,1) and (2,3) cost 1 each but (0,2),(1,3) cost 0.1 each
    const W = [
      [0, 1, 0.1, 5],
      [1, 0, 5, 0.1],
      [0.1, 5, 0, 1],
      [5, 0.1, 1, 0],
    ];
    const mate = minWeightPerfectMatching(4, (i, j) => W[i]![j]!);
    // then the optimum is {0,2},{1,3}: 0.1 + 0.1 = 0.2 (vs 1 + 1 = 2 and 5 + 5 = 10)
    expect([...mate]).toEqual([2, 3, 0, 1]);
  });

  it('matches brute force on every even n ≤ 10, 200 seeded random weight sets each', () => {
    let checked = 0;
    for (const n of [2, 4, 6, 8, 10]) {
      for (let seed = 1; seed <= 200; seed++) {
        const rng = mulberry32(seed * 1000 + n);
        // Half the cases draw from 4 values only, so ties and equal-weight blossoms happen.
        const coarse = seed % 2 === 0;
        const W = Array.from({ length: n }, () => new Array<number>(n).fill(0));
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) {
            const x = coarse ? Math.floor(rng() * 4) : rng() * 10;
            W[i]![j] = W[j]![i] = x;
          }
        }
        const w = (i: number, j: number) => W[i]![j]!;
        const mate = minWeightPerfectMatching(n, w);
        expect(isPerfect(mate)).toBe(true);
        expect(matchingCost(mate, w)).toBeCloseTo(bruteForceMin(n, w), 6);
        checked++;
      }
    }
    expect(checked).toBe(1000); // 5 sizes × 200 seeds
  });

  it('rejects an odd number of vertices', () => {
    expect(() => minWeightPerfectMatching(3, () => 1)).toThrow(/even/);
  });
});

describe('maxWeightMatching', () => {
  it('finds the classic blossom case: a triangle with a pendant edge', () => {
    // edges 1-2 (8), 1-3 (9), 2-3 (10), 3-4 (7): the best matching is {1-2, 3-4} = 8 + 7 = 15
    const mate = maxWeightMatching([
      [1, 2, 8],
      [1, 3, 9],
      [2, 3, 10],
      [3, 4, 7],
    ]);
    expect([...mate]).toEqual([-1, 2, 1, 4, 3]);
  });

  it('prefers cardinality when asked: path 0-1 (2), 1-2 (5), 2-3 (2)', () => {
    // max weight alone takes 1-2 (5); max cardinality takes 0-1 + 2-3 (4)
    const edges: [number, number, number][] = [
      [0, 1, 2],
      [1, 2, 5],
      [2, 3, 2],
    ];
    expect([...maxWeightMatching(edges)]).toEqual([-1, 2, 1, -1]);
    expect([...maxWeightMatching(edges, true)]).toEqual([1, 0, 3, 2]);
  });

  it('matches brute-force maximum weight on sparse random graphs (n ≤ 10)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = mulberry32(seed);
      const n = 2 + Math.floor(rng() * 9);
      const edges: [number, number, number][] = [];
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++) if (rng() < 0.5) edges.push([i, j, 1 + Math.floor(rng() * 20)]);
      if (edges.length === 0) continue;
      const mate = maxWeightMatching(edges);
      const got = edges.reduce((s, [i, j, w]) => s + (mate[i] === j ? w : 0), 0);
      // brute force over edge subsets that are matchings
      let best = 0;
      const rec = (k: number, used: Set<number>, acc: number): void => {
        if (k === edges.length) {
          best = Math.max(best, acc);
          return;
        }
        rec(k + 1, used, acc);
        const [i, j, w] = edges[k]!;
        if (!used.has(i) && !used.has(j)) rec(k + 1, new Set([...used, i, j]), acc + w);
      };
      rec(0, new Set(), 0);
      expect(got).toBe(best);
    }
  });
});
