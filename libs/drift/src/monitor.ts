import { IllegalStateError, type FieldIssue } from '@vgpu-twin/contracts';
import {
  createCusum,
  cusumConfig,
  resetCusum,
  updateCusum,
  type CusumConfig,
  type CusumState,
} from './cusum';
import {
  createPageHinkley,
  pageHinkleyConfig,
  resetPageHinkley,
  updatePageHinkley,
  type PageHinkleyConfig,
  type PageHinkleyState,
} from './page-hinkley';
import type { DriftDirection, DriftSignal } from './signal';
import { check, isFiniteNumber, throwIfInvalid } from './validate';

/**
 * "Back to normal": an exponentially weighted mean of the residual that must stay within
 * `band` of `target` for `samples` consecutive samples before a drift alert resolves.
 */
export interface NormalBandConfig {
  /** Weight of a new residual in the mean (0.1: a horizon of about 10 samples). */
  readonly alpha: number;
  /** Half-width of the normal band around the target, in residual units. */
  readonly band: number;
  /** Consecutive samples the mean must stay inside the band. */
  readonly samples: number;
  readonly target: number;
}

/**
 * α = 0.1 leaves the mean a σ of 0.15·√(0.1/1.9) ≈ 0.034 on the noisiest expected residual
 * (σ = 0.15), so a band of 0.075 is ~2.2 of those σ: a return to normal resolves within tens of
 * samples, while a +0.3 drift (6.6 σ outside) does not. The band equals the detectors' slack
 * (k = δ = 0.075): what they tolerate is what counts as normal, so every CUSUM alarm (level ≥ k)
 * lies outside it.
 */
export const DEFAULT_NORMAL_BAND: NormalBandConfig = { alpha: 0.1, band: 0.075, samples: 30, target: 0 };

export interface NormalBandState {
  /** The weighted mean of the residual. */
  mean: number;
  /** Consecutive samples with the mean inside the band. */
  inBand: number;
}

export function createNormalBand(target = 0): NormalBandState {
  return { mean: target, inBand: 0 };
}

/** Feeds one residual; **mutates** `state`. True once the mean has been in the band for `samples` samples. */
export function updateNormalBand(state: NormalBandState, x: number, config: NormalBandConfig): boolean {
  const mean = (state.mean += config.alpha * (x - state.mean));
  if (Math.abs(mean - config.target) <= config.band) state.inBand++;
  else state.inBand = 0;
  return state.inBand >= config.samples;
}

export type DetectorConfig =
  | { readonly kind: 'cusum'; readonly config: CusumConfig }
  | { readonly kind: 'page-hinkley'; readonly config: PageHinkleyConfig };

export interface DriftMonitorConfig {
  readonly detector: DetectorConfig;
  readonly normal: NormalBandConfig;
}

/** CUSUM at its defaults (anchored at the model's prediction: also catches a bias from the start). */
export const DEFAULT_DRIFT_MONITOR: DriftMonitorConfig = {
  detector: { kind: 'cusum', config: cusumConfig() },
  normal: DEFAULT_NORMAL_BAND,
};

/** Validates a monitor configuration once (at boot), naming every bad key. */
export function driftMonitorConfig(
  detector: DetectorConfig = DEFAULT_DRIFT_MONITOR.detector,
  normal: Partial<NormalBandConfig> = {},
): DriftMonitorConfig {
  const d: DetectorConfig =
    detector.kind === 'cusum'
      ? { kind: 'cusum', config: cusumConfig(detector.config) }
      : { kind: 'page-hinkley', config: pageHinkleyConfig(detector.config) };
  const n: NormalBandConfig = { ...DEFAULT_NORMAL_BAND, ...normal };
  const issues: FieldIssue[] = [];
  check(issues, 'normal.alpha', isFiniteNumber(n.alpha) && n.alpha > 0 && n.alpha <= 1, 'must be in (0, 1]');
  check(issues, 'normal.band', isFiniteNumber(n.band) && n.band >= 0, 'must be a finite number ≥ 0');
  check(issues, 'normal.samples', Number.isInteger(n.samples) && n.samples >= 1, 'must be an integer ≥ 1');
  check(issues, 'normal.target', isFiniteNumber(n.target), 'must be a finite number');
  throwIfInvalid('drift monitor', issues);
  return { detector: d, normal: n };
}

/** One VM's drift state: a detector, the normal band, and the alert it holds. JSON-serialisable. */
export interface DriftMonitorState {
  readonly detector: CusumState | PageHinkleyState;
  readonly normal: NormalBandState;
  /** The direction of the drift alert this VM holds, or null. */
  active: DriftDirection | null;
  /** Samples since the active alert was raised. */
  activeSamples: number;
  /** An alarm the other way during an alert, waiting for the band's mean to confirm it. */
  pending: DriftSignal | null;
  /** Consecutive samples the band's mean has been beyond the band on the pending alarm's side. */
  pendingSamples: number;
}

export type DriftTransition =
  | {
      readonly type: 'raised';
      readonly signal: DriftSignal;
      /** The opposite-direction alert this one replaces (the twin resolves it), or null. */
      readonly supersedes: DriftDirection | null;
    }
  | {
      readonly type: 'resolved';
      readonly direction: DriftDirection;
      /** The residual's weighted mean when it resolved. */
      readonly level: number;
      /** Samples the alert was active. */
      readonly activeSamples: number;
      /** Samples the mean stayed in the normal band (= `normal.samples`). */
      readonly inBandSamples: number;
    };

export function createDriftMonitor(config: DriftMonitorConfig = DEFAULT_DRIFT_MONITOR): DriftMonitorState {
  return {
    detector: config.detector.kind === 'cusum' ? createCusum() : createPageHinkley(),
    normal: createNormalBand(config.normal.target),
    active: null,
    activeSamples: 0,
    pending: null,
    pendingSamples: 0,
  };
}

/**
 * Feeds one residual (observed − predicted) to a VM's monitor; **mutates** `state`. Returns a
 * transition only when the VM's drift alert should change:
 *
 * - the detector fires with its level estimate inside the normal band → nothing: a change within
 *   normal (with Page-Hinkley, typically the return to normal after a drift it adopted as baseline);
 * - no alert, detector fires outside the band → `raised` in the detector's direction;
 * - alert held, detector fires the same way → nothing (the shift persists: the band count restarts);
 * - alert held, detector fires the other way, outside the band on that side → pending; `raised`
 *   with `supersedes` once the band's mean has stayed beyond the band on that side for
 *   `normal.samples` samples (the VM went from slower to faster than predicted, or back). Until
 *   then it is read as a return towards normal: Page-Hinkley, whose baseline became the drifted
 *   level, fires exactly so when a drift ends, and a short run's level estimate is noisy
 *   (σ/√8 ≈ 0.05 at σ = 0.15: a return to 0 was measured at −0.088, beyond the band);
 * - alert held, the weighted mean stays in the band for `normal.samples` samples → `resolved`,
 *   and the detector is reset so its baseline is normal again.
 *
 * Non-finite residuals are ignored (counted in the detector's `skipped`).
 */
export function updateDriftMonitor(
  state: DriftMonitorState,
  x: number,
  config: DriftMonitorConfig,
): DriftTransition | null {
  if (!Number.isFinite(x)) {
    state.detector.skipped++;
    return null;
  }
  const normal = config.normal;
  updateNormalBand(state.normal, x, normal);
  const signal = detect(state.detector, x, config.detector);
  const active = state.active;
  if (active !== null) state.activeSamples++;
  if (signal !== null) {
    if (signal.direction === active) {
      state.normal.inBand = 0;
      state.pending = null;
    } else if (beyondBand(signal.level, signal.direction, normal)) {
      if (active === null) return raise(state, signal, null);
      if (state.pending === null) state.pendingSamples = 0;
      state.pending = signal;
    }
  }
  // An opposite-direction alarm during an alert is first read as a return towards normal
  // (Page-Hinkley's baseline is the drifted level); it supersedes the alert only once the band's
  // mean has stayed beyond the band on its side as long as resolving takes inside it.
  const pending = state.pending;
  if (pending !== null) {
    if (beyondBand(state.normal.mean, pending.direction, normal)) {
      if (++state.pendingSamples >= normal.samples) return raise(state, pending, active);
    } else state.pendingSamples = 0;
  }
  if (active === null || state.normal.inBand < normal.samples) return null;
  const resolved: DriftTransition = {
    type: 'resolved',
    direction: active,
    level: state.normal.mean,
    activeSamples: state.activeSamples,
    inBandSamples: state.normal.inBand,
  };
  state.active = null;
  state.activeSamples = 0;
  state.pending = null;
  state.pendingSamples = 0;
  if (state.detector.kind === 'cusum') resetCusum(state.detector);
  else resetPageHinkley(state.detector);
  return resolved;
}

function detect(
  detector: CusumState | PageHinkleyState,
  x: number,
  config: DetectorConfig,
): DriftSignal | null {
  if (detector.kind === 'cusum' && config.kind === 'cusum') return updateCusum(detector, x, config.config);
  if (detector.kind === 'page-hinkley' && config.kind === 'page-hinkley')
    return updatePageHinkley(detector, x, config.config);
  throw new IllegalStateError(
    `drift monitor holds a ${detector.kind} state but is configured for ${config.kind}`,
  );
}

function beyondBand(level: number, direction: DriftDirection, normal: NormalBandConfig): boolean {
  return (direction === 'slower' ? level - normal.target : normal.target - level) > normal.band;
}

function raise(
  state: DriftMonitorState,
  signal: DriftSignal,
  supersedes: DriftDirection | null,
): DriftTransition {
  state.active = signal.direction;
  state.activeSamples = 0;
  state.pending = null;
  state.pendingSamples = 0;
  // Start the band's mean at the detector's estimate of the new level, so the alert cannot resolve
  // merely because the slow mean has not caught up yet.
  state.normal.mean = signal.level;
  state.normal.inBand = 0;
  return { type: 'raised', signal, supersedes };
}
