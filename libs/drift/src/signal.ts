/**
 * Which way the VM departs from the model. The residual is observed − predicted slowdown, so a
 * positive shift means the VM runs **slower** than predicted (unmodelled interference, a changed
 * workload) and a negative one **faster** (a stale model, a co-runner that went idle).
 */
export type DriftDirection = 'slower' | 'faster';

/** What a detector says when it fires: the evidence an alert carries. Allocated only on detection. */
export interface DriftSignal {
  readonly detector: 'cusum' | 'page-hinkley';
  readonly direction: DriftDirection;
  /** Estimated mean residual since the change began (observed − predicted, slowdown units). */
  readonly level: number;
  /** Estimated mean residual before the change: the CUSUM target, or Page-Hinkley's running mean. */
  readonly reference: number;
  /** |level − reference|: the size of the shift. */
  readonly magnitude: number;
  /** Samples since the estimated change point, this one included (the change began that many samples ago). */
  readonly changeSamples: number;
  /** The statistic that crossed the threshold, in the detector's units. */
  readonly statistic: number;
  /** Samples the detector had seen since its last reset, this one included. */
  readonly samples: number;
}
