/**
 * Runs a scenario through the real twin fold in one process (no HTTP, no log): the simulator's
 * engine (libs/simulation: ground truth = libs/scheduler's discrete-event simulation) feeds
 * twin-core's `step` with the given model. Shared by bench/fidelity and its tests.
 */
import type { AlertRaised, AlertResolved, PlacementSuggested } from '@vgpu-twin/contracts';
import {
  createScenarioRun,
  type Scenario,
  type ScenarioRunOptions,
  type VmTruth,
} from '@vgpu-twin/simulation';
import { defaultTwinConfig, initialState, step, type TwinConfig, type TwinState } from '@vgpu-twin/twin-core';

export interface TwinRunSample {
  readonly elapsedS: number;
  readonly vmId: string;
  readonly gpuId: string;
  readonly predicted: number | null;
  readonly observed: number | null;
  readonly truth: number;
  readonly scheduler: number | null;
  readonly shareArithmetic: number | null;
  /** The VM runs what its inventory (and so its profile) says; false after a `phase` action. */
  readonly asProfiled: boolean;
}

export interface TwinRun {
  readonly state: TwinState;
  readonly alerts: (AlertRaised | AlertResolved)[];
  readonly suggestions: PlacementSuggested[];
  readonly samples: TwinRunSample[];
  /** Event time (s) of the last change (inventory or a timeline action) on each GPU. */
  readonly changes: { gpuId: string; elapsedS: number }[];
  readonly truths: VmTruth[][];
}

export function runTwin(
  scenario: Scenario,
  o: {
    readonly config?: TwinConfig;
    readonly durationS?: number;
    readonly run?: Partial<ScenarioRunOptions>;
  } = {},
): TwinRun {
  const config = o.config ?? defaultTwinConfig;
  const run = createScenarioRun(scenario, { startMs: Date.UTC(2026, 2, 1), stepMs: 1000, ...o.run });
  const state = initialState();
  const alerts: (AlertRaised | AlertResolved)[] = [];
  const suggestions: PlacementSuggested[] = [];
  const samples: TwinRunSample[] = [];
  const changes: { gpuId: string; elapsedS: number }[] = [];
  const truths: VmTruth[][] = [];
  const apply = (events: Parameters<typeof step>[1][]) => {
    for (const e of events)
      for (const out of step(state, e, config)) {
        if (out.type === 'alert.raised' || out.type === 'alert.resolved') alerts.push(out);
        else if (out.type === 'placement.suggested') suggestions.push(out);
      }
  };
  apply(run.inventory());
  for (const g of run.gpus()) changes.push({ gpuId: g.gpuId, elapsedS: 0 });
  const duration = o.durationS ?? run.durationS;
  while (!run.done && run.ticks * 1 < duration) {
    const t = run.tick();
    for (const a of t.applied) {
      const touched = [
        ...('gpu' in a && typeof a.gpu === 'string' ? [a.gpu] : []),
        ...('to' in a && typeof a.to === 'string' ? [a.to] : []),
      ];
      if ('vm' in a && typeof a.vm === 'string') {
        const vm = state.vms.get(a.vm);
        if (vm) touched.push(vm.gpuId);
      }
      for (const g of touched) changes.push({ gpuId: g, elapsedS: t.elapsedS });
    }
    apply(t.inventory);
    apply(t.telemetry);
    truths.push([...t.truth]);
    for (const tr of t.truth) {
      const vm = state.vms.get(tr.vmId);
      if (!vm) continue;
      samples.push({
        elapsedS: t.elapsedS,
        vmId: tr.vmId,
        gpuId: tr.gpuId,
        predicted: vm.predictedSlowdown,
        observed: vm.observedSlowdown,
        truth: tr.slowdown,
        scheduler: vm.prediction?.scheduler ?? null,
        shareArithmetic: vm.prediction?.shareArithmetic ?? null,
        asProfiled: tr.workload === tr.runs,
      });
    }
  }
  return { state, alerts, suggestions, samples, changes, truths };
}
