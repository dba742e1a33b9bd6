import type { PlacementSuggested, WorkloadFeatures } from '@vgpu-twin/contracts';
import {
  suggestMove,
  suggestionEventData,
  type ClusterView,
  type GpuView,
  type SlowdownModel,
  type VmView,
} from '@vgpu-twin/placement';
import { MAX_SLOWDOWN, predictSet, withDemand } from './predict';
import type { TwinConfig, TwinState, VmState } from './state';

/**
 * A VM's demand rides in the view's workload name — `a3c-train at 95% GPU` — where telemetry has
 * revealed one other than the profile's, so placement's memo (keyed by workload) keys on it too,
 * and a suggestion's reason reads well.
 */
const DEMAND_SUFFIX = / at (\d+(?:\.\d+)?)% GPU$/;

function viewName(vm: VmState): string {
  return vm.demandPct === null ? vm.workload : `${vm.workload} at ${Math.round(vm.demandPct)}% GPU`;
}

/**
 * The twin's own model as placement's slowdown model: libs/scheduler's prediction of the whole
 * set plus the learned residual (predict.ts), so a suggestion's numbers agree with the twin's
 * predictions. A VM whose workload was never profiled scores as the worst case: nothing is moved
 * next to what cannot be predicted.
 */
export function twinSlowdownModel(state: TwinState, config: TwinConfig): SlowdownModel {
  const featuresOf = (v: VmView): WorkloadFeatures | undefined => {
    const m = DEMAND_SUFFIX.exec(v.workload);
    const base = m ? v.workload.slice(0, m.index) : v.workload;
    const f = state.workloads.get(base)?.features;
    if (!f || !m) return f;
    return withDemand(f, Number(m[1]));
  };
  return (vm, coRunners, gpu: GpuView) => {
    const members = [vm, ...coRunners].map((v) => ({
      framebufferMib: v.framebufferMib,
      features: featuresOf(v),
    }));
    if (members.some((m) => !m.features)) return MAX_SLOWDOWN;
    const timeSliceMs = (gpu as GpuView & { timeSliceMs?: number }).timeSliceMs ?? 1;
    const p = predictSet(
      { policy: gpu.policy, framebufferMib: gpu.framebufferMib, timeSliceMs },
      members as { framebufferMib: number; features: WorkloadFeatures }[],
      config.model,
    );
    return p[0]!.slowdown;
  };
}

/** The placement view of the twin's inventory (VM workloads named with their revealed demand). */
export function clusterView(state: TwinState): ClusterView {
  const vms = new Map<string, VmView>();
  for (const [id, vm] of state.vms) {
    vms.set(id, {
      vmId: id,
      gpuId: vm.gpuId,
      profile: vm.profile,
      framebufferMib: vm.framebufferMib,
      workload: viewName(vm),
    });
  }
  return { hosts: state.hosts, gpus: state.gpus, vms };
}

/**
 * The best single move for an interference alert (libs/placement), scored by the twin's model on
 * each VM's current demand, or null when no move helps.
 */
export function suggestFor(
  state: TwinState,
  victim: VmState,
  aggressorVmId: string | null,
  alertId: string,
  cause: { id: string; ts: string },
  config: TwinConfig,
): PlacementSuggested | null {
  let move;
  try {
    move = suggestMove({
      cluster: clusterView(state),
      victimVmId: victim.vmId,
      aggressorVmId,
      model: twinSlowdownModel(state, config),
    });
  } catch {
    return null; // an inventory the placement rules cannot read (an unknown GPU model): no suggestion
  }
  if (!move || move.gain <= 0) return null;
  const gpu = state.gpus.get(victim.gpuId);
  const clusterId = (gpu && state.hosts.get(gpu.hostId)?.clusterId) ?? 'unknown';
  return {
    id: `suggestion:${alertId}`,
    type: 'placement.suggested',
    version: 1,
    ts: cause.ts,
    source: config.source,
    data: suggestionEventData(move, {
      suggestionId: `move:${move.vmId}:${move.toGpuId}:${cause.id}`,
      clusterId,
      alertId,
    }),
  };
}
