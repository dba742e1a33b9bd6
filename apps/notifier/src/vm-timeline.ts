import type { AlertKind } from '@vgpu-twin/contracts';

/** Predicted and observed slowdown of one VM at the times something happened, oldest first. */
export interface TimelineView {
  /** Event time, ms since the epoch, at the start of each bucket. */
  readonly t: number[];
  /** The latest prediction at or before each time (a prediction holds until the next), or null before the first. */
  readonly predicted: (number | null)[];
  /** The observation made in each bucket, or null where none was (or the VM exports no progress signal). */
  readonly observed: (number | null)[];
}

export interface AlertMarker {
  /** Event time, ms since the epoch (not bucketed: a marker sits where the alert was decided). */
  readonly t: number;
  readonly ts: string;
  readonly state: 'raised' | 'resolved';
  readonly kind: AlertKind;
  readonly alertId: string;
}

interface Sample {
  readonly t: number;
  value: number | null;
}

export interface TimelineLimits {
  /** How much event time a timeline covers, ending at the latest event the dashboard has seen. */
  readonly windowMs: number;
  /** One point per bucket of event time: the last value in a bucket wins. */
  readonly bucketMs: number;
  /** Alert markers kept per VM; the oldest go first. */
  readonly maxMarkers: number;
}

/**
 * The bounded recent history of one VM. At most `windowMs / bucketMs + 1` predictions and as many
 * observations are kept (pruned on every append), so memory stays bounded however fast the twin
 * writes. Works on event time only: `now` is the latest event time the caller has seen.
 */
export class VmTimeline {
  private readonly predictions: Sample[] = [];
  private readonly observations: Sample[] = [];
  private readonly markerList: AlertMarker[] = [];

  constructor(private readonly limits: TimelineLimits) {}

  predict(t: number, value: number, now: number): void {
    upsert(this.predictions, this.bucket(t), value);
    this.prune(now);
  }

  observe(t: number, value: number | null, now: number): void {
    upsert(this.observations, this.bucket(t), value);
    this.prune(now);
  }

  mark(marker: AlertMarker, now: number): void {
    const i = insertionIndex(this.markerList, marker.t);
    this.markerList.splice(i, 0, marker);
    if (this.markerList.length > this.limits.maxMarkers) this.markerList.shift();
    this.prune(now);
  }

  /**
   * The points within the window ending at `now`. A prediction made before the window still
   * holds at its start, so it appears as a point at the window's first bucket.
   */
  view(now: number): TimelineView {
    const horizon = this.horizon(now);
    const times: number[] = [];
    const carried = lastBefore(this.predictions, horizon);
    if (carried) times.push(horizon);
    mergeTimes(
      times,
      this.predictions.filter((s) => s.t >= horizon).map((s) => s.t),
      this.observations.filter((s) => s.t >= horizon).map((s) => s.t),
    );
    const predicted: (number | null)[] = [];
    const observed: (number | null)[] = [];
    let p = 0;
    let o = 0;
    let current = carried?.value ?? null;
    for (const t of times) {
      while (p < this.predictions.length && this.predictions[p]!.t <= t)
        current = this.predictions[p++]!.value;
      while (o < this.observations.length && this.observations[o]!.t < t) o++;
      predicted.push(current);
      const obs = this.observations[o];
      observed.push(obs?.t === t ? obs.value : null);
    }
    return { t: times, predicted, observed };
  }

  markers(now: number): AlertMarker[] {
    const horizon = now - this.limits.windowMs;
    return this.markerList.filter((m) => m.t >= horizon);
  }

  /** Drops what has left the window, except the prediction still in force at its start. */
  private prune(now: number): void {
    const horizon = this.horizon(now);
    const firstInWindow = insertionIndex(this.predictions, horizon);
    if (firstInWindow > 1) this.predictions.splice(0, firstInWindow - 1);
    this.observations.splice(0, insertionIndex(this.observations, horizon));
    this.markerList.splice(0, insertionIndex(this.markerList, now - this.limits.windowMs));
  }

  /** The first bucket wholly inside the window. */
  private horizon(now: number): number {
    return Math.ceil((now - this.limits.windowMs) / this.limits.bucketMs) * this.limits.bucketMs;
  }

  private bucket(t: number): number {
    return Math.floor(t / this.limits.bucketMs) * this.limits.bucketMs;
  }
}

/** Index of the first element with `t >= t` (the list is sorted by t). */
function insertionIndex(list: readonly { t: number }[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sets the sample of bucket `t`; appending is the common case, a late event is put in its place. */
function upsert(list: Sample[], t: number, value: number | null): void {
  const last = list[list.length - 1];
  if (!last || last.t < t) {
    list.push({ t, value });
    return;
  }
  const i = insertionIndex(list, t);
  const at = list[i];
  if (at?.t === t) at.value = value;
  else list.splice(i, 0, { t, value });
}

function lastBefore(list: readonly Sample[], t: number): Sample | undefined {
  const i = insertionIndex(list, t);
  return i > 0 ? list[i - 1] : undefined;
}

/** Appends the union of two sorted lists to `into` (whose last element is ≤ both), without repeats. */
function mergeTimes(into: number[], a: readonly number[], b: readonly number[]): void {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (into[into.length - 1] !== next) into.push(next);
  }
}
