import type { FieldIssue } from '@vgpu-twin/contracts';
import type { DriftSignal } from './signal';
import { check, isFiniteNumber, throwIfInvalid } from './validate';

/**
 * Two-sided Page-Hinkley test (Page 1954; Hinkley 1971; Gama et al. 2013 for the fading factor)
 * on the residual, relative to its own running mean x̄ since the last reset:
 *
 *     d  = x − x̄
 *     U  = max(0, α·U + d − δ)     alarm "slower" when U > λ
 *     D  = max(0, α·D − d − δ)     alarm "faster" when D > λ
 *
 * With α = 1 this is exactly the textbook mᵀ − min mᵀ (mᵀ = Σ (d − δ)) in its reflected form.
 * The reflected form matters for α < 1: the textbook form then takes the minimum of a stationary
 * process over all time, and its false alarms grow with the stream's length (measured with a
 * textbook-form implementation, α = 0.999, σ = 0.15: 2.8 per hour against 0 with α = 1); here
 * forgetting only shortens memory.
 *
 * Relative, not anchored: it finds a *change* of the residual's level, so a bias present since
 * the last reset goes unnoticed (CUSUM, anchored at the target, catches that) and, after a
 * detection, the new level becomes the baseline — a later return to normal reads as a shift the
 * other way. `updateDriftMonitor` handles both.
 */
export interface PageHinkleyConfig {
  /** Tolerance δ per sample: level changes smaller than δ are tolerated. */
  readonly delta: number;
  /** Threshold λ on the cumulative deviation, in residual units. */
  readonly lambda: number;
  /**
   * Fading factor α in (0, 1]: 1 keeps all evidence; < 1 discounts it (horizon ≈ 1/(1−α) samples),
   * so a ramp too slow to gather λ within the horizon is never found.
   */
  readonly alpha: number;
  /** Burn-in: no alarm before this many samples since the last reset (the running mean must settle). */
  readonly minSamples: number;
}

/**
 * Same calibration as `DEFAULT_CUSUM` (δ = k, λ = h; σ = 0.15 i.i.d. noise), burn-in 30 samples
 * (half a minute at 1 Hz for the running mean to settle). Measured: bench/RESULTS.md.
 */
export const DEFAULT_PAGE_HINKLEY: PageHinkleyConfig = { delta: 0.075, lambda: 2, alpha: 1, minSamples: 30 };

/** Merges overrides into the defaults and validates once (at boot), naming every bad key. */
export function pageHinkleyConfig(overrides: Partial<PageHinkleyConfig> = {}): PageHinkleyConfig {
  const c: PageHinkleyConfig = { ...DEFAULT_PAGE_HINKLEY, ...overrides };
  const issues: FieldIssue[] = [];
  check(issues, 'delta', isFiniteNumber(c.delta) && c.delta >= 0, 'must be a finite number ≥ 0');
  check(issues, 'lambda', isFiniteNumber(c.lambda) && c.lambda > 0, 'must be a finite number > 0');
  check(issues, 'alpha', isFiniteNumber(c.alpha) && c.alpha > 0 && c.alpha <= 1, 'must be in (0, 1]');
  check(issues, 'minSamples', Number.isInteger(c.minSamples) && c.minSamples >= 0, 'must be an integer ≥ 0');
  throwIfInvalid('Page-Hinkley', issues);
  return c;
}

/** Plain numbers only: JSON round-trips it exactly, so snapshots resume bit for bit. */
export interface PageHinkleyState {
  readonly kind: 'page-hinkley';
  /** Samples since the last reset and their sum (x̄ = sum / n). */
  n: number;
  sum: number;
  /** U, the samples since it was last 0 (the change-point estimate) and their sum. */
  up: number;
  upN: number;
  upSum: number;
  /** D, its run length and the run's sum. */
  down: number;
  downN: number;
  downSum: number;
  /** Non-finite residuals ignored. */
  skipped: number;
}

export function createPageHinkley(): PageHinkleyState {
  return {
    kind: 'page-hinkley',
    n: 0,
    sum: 0,
    up: 0,
    upN: 0,
    upSum: 0,
    down: 0,
    downN: 0,
    downSum: 0,
    skipped: 0,
  };
}

/** Back to the state of `createPageHinkley()`, in place (keeps `skipped`): the baseline is re-learned. */
export function resetPageHinkley(state: PageHinkleyState): void {
  state.n = 0;
  state.sum = 0;
  state.up = 0;
  state.upN = 0;
  state.upSum = 0;
  state.down = 0;
  state.downN = 0;
  state.downSum = 0;
}

/**
 * Feeds one residual (observed − predicted). **Mutates `state` in place** and allocates nothing
 * unless it fires. On an alarm it returns the signal and **resets** the state: the running mean
 * restarts, so no alarm is possible for the next `minSamples` samples and the new level becomes
 * the baseline.
 */
export function updatePageHinkley(
  state: PageHinkleyState,
  x: number,
  config: PageHinkleyConfig,
): DriftSignal | null {
  if (!Number.isFinite(x)) {
    state.skipped++;
    return null;
  }
  const n = ++state.n;
  const sum = (state.sum += x);
  const d = x - sum / n;
  const up = config.alpha * state.up + d - config.delta;
  if (up > 0) {
    state.up = up;
    state.upN++;
    state.upSum += x;
  } else {
    state.up = 0;
    state.upN = 0;
    state.upSum = 0;
  }
  const down = config.alpha * state.down - d - config.delta;
  if (down > 0) {
    state.down = down;
    state.downN++;
    state.downSum += x;
  } else {
    state.down = 0;
    state.downN = 0;
    state.downSum = 0;
  }
  if (n < config.minSamples) return null;
  if (state.up > config.lambda) return fire(state, 'slower', state.up, state.upN, state.upSum);
  if (state.down > config.lambda) return fire(state, 'faster', state.down, state.downN, state.downSum);
  return null;
}

function fire(
  state: PageHinkleyState,
  direction: 'slower' | 'faster',
  statistic: number,
  run: number,
  runSum: number,
): DriftSignal {
  // The run since the statistic was last 0 is the changed part: its mean is the new level, the mean
  // of the samples before it the old one (exact, from running sums; no per-sample memory).
  const level = runSum / run;
  const before = state.n - run;
  const reference = before > 0 ? (state.sum - runSum) / before : 0;
  const signal: DriftSignal = {
    detector: 'page-hinkley',
    direction,
    level,
    reference,
    magnitude: Math.abs(level - reference),
    changeSamples: run,
    statistic,
    samples: state.n,
  };
  resetPageHinkley(state);
  return signal;
}
