import type { FieldIssue } from '@vgpu-twin/contracts';
import type { DriftSignal } from './signal';
import { check, isFiniteNumber, throwIfInvalid } from './validate';

/**
 * Two-sided tabular CUSUM (Page 1954) on the residual, anchored at `target`:
 *
 *     z  = (x − target) / σ                (σ = 1 when `sigma` is null: raw slowdown units)
 *     S⁺ = max(0, S⁺ + z − k)              grows while the VM runs slower than predicted
 *     S⁻ = max(0, S⁻ − z − k)              grows while it runs faster
 *     alarm when S⁺ > h (slower) or S⁻ > h (faster), once at least `minSamples` were seen.
 *
 * Anchored at the model's own claim (the residual should average `target`, 0), so it also flags
 * a bias present from the first sample, which Page-Hinkley (relative to its running mean) cannot.
 */
export interface CusumConfig {
  /** Slack per sample: shifts smaller than k are tolerated (about half the smallest shift worth finding). */
  readonly k: number;
  /** Decision threshold on S⁺ / S⁻: larger h, fewer false alarms, longer delay (roughly h / (shift − k)). */
  readonly h: number;
  /** The residual's mean when the model is right. */
  readonly target: number;
  /** The residual's σ: when set, k and h are in σ units (k = 0.5 finds shifts of about 1σ). */
  readonly sigma: number | null;
  /** No alarm before this many samples since the last reset. */
  readonly minSamples: number;
}

/**
 * Raw residual units, calibrated on i.i.d. Gaussian noise of σ = 0.15 slowdown units (5% of a 3×
 * slowdown, the noisiest case we expect), i.e. k = 0.5σ, h ≈ 13σ there: 0.05 false alarms per day
 * (2 in 1,000 h), a +0.3 step found in a median of 9 samples (p90 12), +0.1 in 55 (p90 107);
 * k = 0.1 would tolerate a +0.1 shift for ever. Table: bench/RESULTS.md.
 */
export const DEFAULT_CUSUM: CusumConfig = { k: 0.075, h: 2, target: 0, sigma: null, minSamples: 0 };

/** Merges overrides into the defaults and validates once (at boot), naming every bad key. */
export function cusumConfig(overrides: Partial<CusumConfig> = {}): CusumConfig {
  const c: CusumConfig = { ...DEFAULT_CUSUM, ...overrides };
  const issues: FieldIssue[] = [];
  check(issues, 'k', isFiniteNumber(c.k) && c.k >= 0, 'must be a finite number ≥ 0');
  check(issues, 'h', isFiniteNumber(c.h) && c.h > 0, 'must be a finite number > 0');
  check(issues, 'target', isFiniteNumber(c.target), 'must be a finite number');
  check(issues, 'sigma', c.sigma === null || (isFiniteNumber(c.sigma) && c.sigma > 0), 'must be null or > 0');
  check(issues, 'minSamples', Number.isInteger(c.minSamples) && c.minSamples >= 0, 'must be an integer ≥ 0');
  throwIfInvalid('CUSUM', issues);
  return c;
}

/** Plain numbers only: JSON round-trips it exactly, so snapshots resume bit for bit. */
export interface CusumState {
  readonly kind: 'cusum';
  /** Samples since the last reset. */
  n: number;
  /** S⁺ and the number of samples since it was last 0 (the change-point estimate). */
  hi: number;
  hiN: number;
  /** S⁻ and its run length. */
  lo: number;
  loN: number;
  /** Non-finite residuals ignored (a stalled VM reported as NaN or ±Infinity). */
  skipped: number;
}

export function createCusum(): CusumState {
  return { kind: 'cusum', n: 0, hi: 0, hiN: 0, lo: 0, loN: 0, skipped: 0 };
}

/** Back to the state of `createCusum()`, in place (keeps the `skipped` count). */
export function resetCusum(state: CusumState): void {
  state.n = 0;
  state.hi = 0;
  state.hiN = 0;
  state.lo = 0;
  state.loN = 0;
}

/**
 * Feeds one residual (observed − predicted). **Mutates `state` in place** — the twin's hot path
 * runs this hundreds of thousands of times a second and allocates nothing unless it fires.
 * On an alarm it returns the signal and **resets** the state, so a persisting shift fires again
 * after about another h / (shift − k) samples; `updateDriftMonitor` turns those into one alert.
 */
export function updateCusum(state: CusumState, x: number, config: CusumConfig): DriftSignal | null {
  if (!Number.isFinite(x)) {
    state.skipped++;
    return null;
  }
  const z = config.sigma === null ? x - config.target : (x - config.target) / config.sigma;
  const k = config.k;
  state.n++;
  const hi = state.hi + z - k;
  if (hi > 0) {
    state.hi = hi;
    state.hiN++;
  } else {
    state.hi = 0;
    state.hiN = 0;
  }
  const lo = state.lo - z - k;
  if (lo > 0) {
    state.lo = lo;
    state.loN++;
  } else {
    state.lo = 0;
    state.loN = 0;
  }
  if (state.n < config.minSamples) return null;
  if (state.hi > config.h) return fire(state, 'slower', state.hi, state.hiN, config);
  if (state.lo > config.h) return fire(state, 'faster', state.lo, state.loN, config);
  return null;
}

function fire(
  state: CusumState,
  direction: 'slower' | 'faster',
  statistic: number,
  run: number,
  config: CusumConfig,
): DriftSignal {
  // Σ(z − k) over the run = S, so the run's mean z is k + S / run: the post-change mean estimate.
  const shift = (config.k + statistic / run) * (config.sigma ?? 1);
  const level = direction === 'slower' ? config.target + shift : config.target - shift;
  const signal: DriftSignal = {
    detector: 'cusum',
    direction,
    level,
    reference: config.target,
    magnitude: shift,
    changeSamples: run,
    statistic,
    samples: state.n,
  };
  resetCusum(state);
  return signal;
}
