import { mulberry32, normal } from '@vgpu-twin/scheduler';

/** n residuals of seeded i.i.d. Gaussian noise with standard deviation σ. */
export function noise(n: number, sigma: number, seed: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => sigma * normal(rng));
}

/** Adds `shift(j)` to the samples from `at` on (j = 0 at the first changed sample). */
export function withChange(xs: readonly number[], at: number, shift: (j: number) => number): number[] {
  return xs.map((x, i) => (i < at ? x : x + shift(i - at)));
}

/** Every non-null output of `update` over `xs`, with the 0-based index of the sample that caused it. */
export function feed<T>(xs: readonly number[], update: (x: number) => T | null): { at: number; out: T }[] {
  const hits: { at: number; out: T }[] = [];
  xs.forEach((x, at) => {
    const out = update(x);
    if (out !== null) hits.push({ at, out });
  });
  return hits;
}

/** What `f` throws, or null: lets a test assert on the error's fields without a conditional expect. */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}
