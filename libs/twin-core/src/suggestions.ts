import type { PlacementSuggested } from '@vgpu-twin/contracts';
import {
  suggestMove,
  suggestionEventData,
  type ClusterView,
  type SlowdownModel,
  type VmView,
} from '@vgpu-twin/placement';
import { gpuShares, slowdownFromShare } from './share-model';
import type { TwinConfig, TwinState, VmState } from './state';

/**
 * Demand rides in the view's workload name — `resnet50-train at 92% GPU` — so placement's memo
 * (keyed by workload) keys on it too, and a suggestion's reason reads well.
 */
const DEMAND_SUFFIX = / at (\d+)% GPU$/;
const nameWithDemand = (workload: string, demand: number) =>
  `${workload} at ${Math.round(demand * 100)}% GPU`;
const demandOf = (v: VmView) => Number(DEMAND_SUFFIX.exec(v.workload)?.[1] ?? 100) / 100;

/** The twin's own share arithmetic, so a suggestion's numbers agree with its predictions. */
const shareModel: SlowdownModel = (vm, coRunners, gpu) => {
  const members = [vm, ...coRunners];
  const shares = gpuShares(
    gpu.policy,
    members.map((m) => ({ demand: demandOf(m), framebufferMib: m.framebufferMib })),
    gpu.framebufferMib,
  );
  return Math.min(1000, slowdownFromShare(demandOf(vm), shares[0]!));
};

/**
 * The best single move for an interference alert (libs/placement), scored on each VM's current
 * demand — the profile's, or more where telemetry has shown more — or null when no move helps.
 */
export function suggestFor(
  state: TwinState,
  victim: VmState,
  aggressorVmId: string | null,
  alertId: string,
  cause: { id: string; ts: string },
  config: TwinConfig,
  demand: (vm: VmState) => number,
): PlacementSuggested | null {
  const vms = new Map<string, VmView>();
  for (const [id, vm] of state.vms) {
    vms.set(id, {
      vmId: id,
      gpuId: vm.gpuId,
      profile: vm.profile,
      framebufferMib: vm.framebufferMib,
      workload: nameWithDemand(vm.workload, demand(vm)),
    });
  }
  const cluster: ClusterView = { hosts: state.hosts, gpus: state.gpus, vms };
  let move;
  try {
    move = suggestMove({ cluster, victimVmId: victim.vmId, aggressorVmId, model: shareModel });
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
