import type { AlertRaised, AlertResolved, PlacementSuggested, SchedulingPolicy } from '@vgpu-twin/contracts';
import { deserializeState, serializeState } from './snapshot';
import { initialState, type TwinConfig, type TwinState } from './state';
import type { LearnedModel } from './learned-model';
import { SCHEDULER_MODEL } from './predict';
import { step, type TwinInput, type TwinOutput } from './step';

export interface ReplayOptions {
  /** ISO-8601 bounds of the window, inclusive. */
  readonly from: string;
  readonly to: string;
  /** Report only GPUs of this cluster. */
  readonly cluster?: string;
  /** What if every GPU had run this policy from `from` on. */
  readonly policy?: SchedulingPolicy;
  /** What if the twin had predicted with this interference model from `from` on. */
  readonly model?: LearnedModel;
  readonly config: TwinConfig;
  /**
   * The state to start from (a snapshot's, restored): `events` then hold only what it does not.
   * It is folded into, so pass a state of your own. Default: the empty state.
   */
  readonly initial?: TwinState;
  /** Where `initial` came from, recorded in the report. */
  readonly snapshot?: ReplaySnapshotRef;
  /** Called every `progressEvery` events with how many were applied. */
  readonly onProgress?: (applied: number) => void;
  readonly progressEvery?: number;
}

export interface ReplaySnapshotRef {
  readonly owner: string;
  /** The latest event time the snapshot's state holds. */
  readonly takenAt: string;
  /** Events the snapshot's state had applied. */
  readonly events: number;
}

export interface TimelinePoint {
  readonly ts: string;
  readonly vmId: string;
  readonly predicted: number | null;
  readonly observed: number | null;
}

export interface GpuReport {
  readonly gpuId: string;
  readonly hostId: string;
  readonly clusterId: string;
  readonly model: string;
  readonly policy: SchedulingPolicy;
  readonly vms: readonly { readonly vmId: string; readonly workload: string; readonly profile: string }[];
  readonly timeline: readonly TimelinePoint[];
  readonly whatIf:
    | readonly {
        readonly vmId: string;
        readonly predictedNow: number | null;
        readonly predictedWhatIf: number | null;
      }[]
    | null;
}

export interface ReplayReport {
  readonly window: { readonly from: string; readonly to: string };
  readonly cluster: string | null;
  /** The model the twin predicted with (a learned model's name, or `scheduler@<version>`). */
  readonly model: string;
  readonly whatIfPolicy: SchedulingPolicy | null;
  readonly whatIfModel: string | null;
  /** Events folded silently before the window (after the snapshot, if any) and replayed in it. */
  readonly events: { readonly beforeWindow: number; readonly inWindow: number };
  /** The snapshot the state was rebuilt from, or null when it was folded from the beginning. */
  readonly snapshot: ReplaySnapshotRef | null;
  readonly alerts: readonly (AlertRaised | AlertResolved)[];
  readonly suggestions: readonly PlacementSuggested[];
  /** Alerts the what-if twin (`--policy` / `--model`) raised and resolved in the window; null without one. */
  readonly whatIfAlerts: readonly (AlertRaised | AlertResolved)[] | null;
  /** GPUs with an alert in the window, each with its predicted vs observed timeline. */
  readonly gpus: readonly GpuReport[];
}

/**
 * Re-runs the twin over a window of recorded events, in isolation from any live twin. `events`
 * must be in a deterministic order (the caller merges the log's partitions by event time, then
 * stream, partition, offset): the same events give a byte-identical report. Events before `from`
 * rebuild the state silently; events after `to` are ignored.
 */
export function replay(events: Iterable<TwinInput>, options: ReplayOptions): ReplayReport {
  const run = startReplay(options);
  for (const event of events) run.apply(event);
  return run.finish();
}

/** A replay fed one event at a time (a merge of log partitions streams into it in bounded memory). */
export interface ReplayRun {
  apply(event: TwinInput): void;
  finish(): ReplayReport;
}

/** Per GPU, what its VMs' predicted and observed slowdowns did in the window, in compact columns. */
class Timelines {
  private readonly byGpu = new Map<
    string,
    { vms: string[]; ms: number[]; vm: number[]; predicted: number[]; observed: number[] }
  >();

  record(o: TwinOutput): void {
    if (o.type !== 'twin.prediction' && o.type !== 'twin.observation') return;
    let t = this.byGpu.get(o.data.gpuId);
    if (!t) this.byGpu.set(o.data.gpuId, (t = { vms: [], ms: [], vm: [], predicted: [], observed: [] }));
    let i = t.vms.indexOf(o.data.vmId);
    if (i < 0) i = t.vms.push(o.data.vmId) - 1;
    t.ms.push(Date.parse(o.ts));
    t.vm.push(i);
    t.predicted.push(o.type === 'twin.prediction' ? o.data.predictedSlowdown : Number.NaN);
    t.observed.push(o.type === 'twin.observation' ? (o.data.observedSlowdown ?? Number.NaN) : Number.NaN);
  }

  of(gpuId: string): TimelinePoint[] {
    const t = this.byGpu.get(gpuId);
    if (!t) return [];
    const value = (x: number) => (Number.isNaN(x) ? null : x);
    return t.ms.map((ms, k) => ({
      ts: new Date(ms).toISOString(),
      vmId: t.vms[t.vm[k]!]!,
      predicted: value(t.predicted[k]!),
      observed: value(t.observed[k]!),
    }));
  }
}

export function startReplay(options: ReplayOptions): ReplayRun {
  const { from, to, config } = options;
  const state = options.initial ?? initialState(config.dedupeWindow);
  let whatIf: TwinState | null = null;
  let before = 0;
  let inWindow = 0;
  const alerts: (AlertRaised | AlertResolved)[] = [];
  const suggestions: PlacementSuggested[] = [];
  const timelines = new Timelines();
  const whatIfLast = new Map<string, number>();
  const whatIfAlerts: (AlertRaised | AlertResolved)[] = [];
  const whatIfConfig: TwinConfig = options.model ? { ...config, model: options.model } : config;
  const wantWhatIf = options.policy !== undefined || options.model !== undefined;
  const every = options.progressEvery ?? 100_000;
  const apply = (event: TwinInput): void => {
    if (event.ts > to) return;
    if (event.ts < from) {
      step(state, event, config);
      before++;
    } else {
      if (wantWhatIf && !whatIf) whatIf = forkWhatIf(state, options.policy, from, whatIfConfig);
      for (const o of step(state, event, config)) {
        if (o.type === 'alert.raised' || o.type === 'alert.resolved') alerts.push(o);
        else if (o.type === 'placement.suggested') suggestions.push(o);
        else timelines.record(o);
      }
      if (whatIf)
        for (const o of step(whatIf, withPolicy(event, options.policy), whatIfConfig)) {
          recordPrediction(o, whatIfLast);
          if (o.type === 'alert.raised' || o.type === 'alert.resolved') whatIfAlerts.push(o);
        }
      inWindow++;
    }
    if ((before + inWindow) % every === 0) options.onProgress?.(before + inWindow);
  };
  const finish = (): ReplayReport => {
    if (whatIf)
      for (const [vmId, vm] of whatIf.vms)
        if (vm.predictedSlowdown !== null) whatIfLast.set(vmId, vm.predictedSlowdown);
    const inCluster = (gpuId: string) => !options.cluster || clusterOf(state, gpuId) === options.cluster;
    const affected = [...new Set(alerts.map((a) => a.data.gpuId))].filter(inCluster).sort();
    const gpus = affected.map((gpuId) =>
      gpuReport(state, gpuId, timelines.of(gpuId), whatIf ? whatIfLast : null),
    );
    return {
      window: { from, to },
      cluster: options.cluster ?? null,
      model: config.model?.name ?? SCHEDULER_MODEL,
      whatIfPolicy: options.policy ?? null,
      whatIfModel: options.model?.name ?? null,
      events: { beforeWindow: before, inWindow },
      snapshot: options.snapshot ?? null,
      alerts: alerts.filter((a) => inCluster(a.data.gpuId)),
      whatIfAlerts: whatIf ? whatIfAlerts.filter((a) => inCluster(a.data.gpuId)) : null,
      suggestions: suggestions.filter((o) => inCluster(o.data.fromGpuId)),
      gpus,
    };
  };
  return { apply, finish };
}

function clusterOf(state: TwinState, gpuId: string): string | null {
  const gpu = state.gpus.get(gpuId);
  return gpu ? (state.hosts.get(gpu.hostId)?.clusterId ?? null) : null;
}

/**
 * A copy of the state whose GPUs all run `policy` (or keep theirs) from now on, with every GPU's
 * predictions redone under the what-if config (its model).
 */
function forkWhatIf(
  state: TwinState,
  policy: SchedulingPolicy | undefined,
  ts: string,
  config: TwinConfig,
): TwinState {
  const fork = deserializeState(serializeState(state));
  for (const [gpuId, gpu] of [...fork.gpus].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    step(
      fork,
      {
        id: `what-if:${gpuId}`,
        type: 'gpu.policy_changed',
        version: 1,
        ts,
        source: 'replay',
        data: { gpuId, policy: policy ?? gpu.policy },
      },
      config,
    );
  }
  return fork;
}

function withPolicy(event: TwinInput, policy: SchedulingPolicy | undefined): TwinInput {
  if (!policy) return event;
  if (event.type === 'gpu.registered') return { ...event, data: { ...event.data, policy } };
  if (event.type === 'gpu.policy_changed') return { ...event, data: { ...event.data, policy } };
  return event;
}

function recordPrediction(o: TwinOutput, last: Map<string, number>): void {
  if (o.type === 'twin.prediction') last.set(o.data.vmId, o.data.predictedSlowdown);
}

function gpuReport(
  state: TwinState,
  gpuId: string,
  timeline: TimelinePoint[],
  whatIfLast: Map<string, number> | null,
): GpuReport {
  const gpu = state.gpus.get(gpuId);
  const vms = (gpu?.vms ?? []).map((vmId) => {
    const vm = state.vms.get(vmId)!;
    return { vmId, workload: vm.workload, profile: vm.profile };
  });
  return {
    gpuId,
    hostId: gpu?.hostId ?? 'unknown',
    clusterId: clusterOf(state, gpuId) ?? 'unknown',
    model: gpu?.model ?? 'unknown',
    policy: gpu?.policy ?? 'best_effort',
    vms,
    timeline,
    whatIf: whatIfLast
      ? vms.map(({ vmId }) => ({
          vmId,
          predictedNow: state.vms.get(vmId)?.predictedSlowdown ?? null,
          predictedWhatIf: whatIfLast.get(vmId) ?? null,
        }))
      : null,
  };
}
