import type { VmSampleV2 } from '@vgpu-twin/contracts';
import type { PromSample } from '../prometheus/exposition';
import { eventId } from './ids';
import { isEventTime, vmSampleV2 } from './to-events';
import type { InventoryIndex } from './inventory-index';
import { matchesLabels, type TelemetryMapping } from './mapping';

type Rule = TelemetryMapping['progress'][number];

interface Series {
  readonly points: { t: number; v: number }[];
}

/**
 * A VM's progress rate from a metric its workload exports, selected by the mapping's `progress`
 * rules: a counter (training steps, requests served) becomes a rate over the rule's window — the
 * increase between the oldest and newest point in it, a reset (the counter went down: the process
 * restarted) starting the window again — and a gauge is read as the rate itself. Several series of
 * one VM (one per worker process) add up. A VM no rule selects has no progress signal and gets none
 * invented. Time is the samples' own or the caller's `atMs`.
 */
export class ProgressTracker {
  private readonly series = new Map<string, Series>();

  constructor(private readonly rules: readonly Rule[]) {}

  get enabled(): boolean {
    return this.rules.length > 0;
  }

  /** Feeds one scrape's or write's samples; returns a progress sample per VM that has a rate now. */
  observe(
    samples: readonly PromSample[],
    atMs: number,
    index: InventoryIndex,
    source: string,
  ): { events: VmSampleV2[]; unplaced: string[] } {
    if (this.rules.length === 0) return { events: [], unplaced: [] };
    this.prune(atMs); // before reading: a series back after a long silence starts afresh
    // the newest rate of each series: one remote write may carry several instants of a series
    const latest = new Map<string, { vmId: string; rate: number; at: number }>();
    for (const s of samples) {
      const rule = this.rules.find((r) => r.metric === s.name && matchesLabels(r.match, s.labels));
      if (!rule || !Number.isFinite(s.value)) continue;
      const vmId = rule.vm ?? s.labels[rule.vmLabel!];
      if (vmId === undefined || vmId === '') continue;
      const at = s.timestampMs ?? atMs;
      if (!isEventTime(at)) continue;
      const key = seriesKey(s);
      const rate =
        rule.type === 'gauge' ? (s.value >= 0 ? s.value : null) : this.counterRate(rule, key, s, at);
      if (rate === null) continue;
      const prev = latest.get(key);
      if (!prev || at >= prev.at) latest.set(key, { vmId, rate, at });
    }
    const rates = new Map<string, { rate: number; at: number }>();
    for (const { vmId, rate, at } of latest.values()) {
      const sum = rates.get(vmId);
      rates.set(vmId, { rate: (sum?.rate ?? 0) + rate, at: Math.max(sum?.at ?? at, at) });
    }
    const events: VmSampleV2[] = [];
    const unplaced: string[] = [];
    for (const [vmId, { rate, at }] of [...rates].sort(([a], [b]) => a.localeCompare(b))) {
      const vm = index.vms.get(vmId);
      if (!vm) {
        unplaced.push(vmId);
        continue;
      }
      events.push(
        vmSampleV2(eventId('progress', vmId, at), new Date(at).toISOString(), source, vmId, vm.gpuId, {
          progressRate: Number(rate.toPrecision(6)),
        }),
      );
    }
    return { events, unplaced };
  }

  /** Forgets series silent for ten windows (a pod that went away), so churn cannot grow memory. */
  private prune(atMs: number): void {
    const horizon = 10 * Math.max(...this.rules.map((r) => r.windowMs));
    for (const [key, { points }] of this.series) {
      const last = points[points.length - 1];
      if (!last || last.t < atMs - horizon) this.series.delete(key);
    }
  }

  private counterRate(rule: Rule, key: string, s: PromSample, at: number): number | null {
    let series = this.series.get(key);
    if (!series) this.series.set(key, (series = { points: [] }));
    const points = series.points;
    const last = points[points.length - 1];
    if (last && at <= last.t) return null; // a sample we already have (a re-sent write)
    if (last && s.value < last.v) points.length = 0; // counter reset
    points.push({ t: at, v: s.value });
    while (points.length > 2 && points[0]!.t < at - rule.windowMs) points.shift();
    if (points.length < 2) return null;
    const first = points[0]!;
    return (s.value - first.v) / ((at - first.t) / 1000);
  }
}

function seriesKey(s: PromSample): string {
  return `${s.name}${JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)))}`;
}
