import { isNotifierEvent, type DomainEvent } from '@vgpu-twin/contracts';
import type { InventoryIndex } from '@vgpu-twin/telemetry-formats';

/** What a request's key may write: every cluster (an environment key, or no keys configured) or some. */
export type ClusterScope =
  | { readonly all: true; readonly keyId: string | null }
  | { readonly all: false; readonly keyId: string; readonly clusters: readonly string[] };

export const OPEN_SCOPE: ClusterScope = { all: true, keyId: null };

/**
 * Why a key may not write this event, or null when it may. An event's cluster is its host's: the
 * host named in the event (`host.registered`), the GPU's host (`gpu.registered`, telemetry), the
 * VM's GPU's host (`vm.*`) — from the inventory as the log holds it, or from earlier records of
 * the same batch. An entity the inventory does not know yet has no cluster to check and passes;
 * a workload profile belongs to no cluster.
 */
export function forbiddenReason(
  event: DomainEvent,
  scope: ClusterScope,
  index: InventoryIndex,
  batch: BatchInventory,
): string | null {
  if (scope.all) return null;
  const clusterOfHost = (hostId: string) =>
    batch.hosts.get(hostId) ?? index.hosts.get(hostId)?.clusterId ?? null;
  const hostOfGpu = (gpuId: string) => batch.gpus.get(gpuId) ?? index.gpus.get(gpuId)?.hostId ?? null;
  const clusterOfGpu = (gpuId: string) => {
    const host = hostOfGpu(gpuId);
    return host === null ? null : clusterOfHost(host);
  };
  const check = (what: string, cluster: string | null) =>
    cluster === null || scope.clusters.includes(cluster)
      ? null
      : `forbidden: ${what} belongs to cluster ${cluster}; this key (${scope.keyId}) writes ${scope.clusters.join(', ')}`;
  if (isNotifierEvent(event))
    return `forbidden: ${event.type} is the notifier's, never written through ingest`;
  switch (event.type) {
    case 'host.registered': {
      const r = check(`host ${event.data.hostId}`, event.data.clusterId);
      // a host already registered in another cluster cannot be moved into this one either
      return r ?? check(`host ${event.data.hostId}`, index.hosts.get(event.data.hostId)?.clusterId ?? null);
    }
    case 'gpu.registered':
      return check(`GPU ${event.data.gpuId} (host ${event.data.hostId})`, clusterOfHost(event.data.hostId));
    case 'gpu.policy_changed':
      return check(`GPU ${event.data.gpuId}`, clusterOfGpu(event.data.gpuId));
    case 'vm.placed':
    case 'vm.removed':
      return check(`GPU ${event.data.gpuId}`, clusterOfGpu(event.data.gpuId));
    case 'vm.migrated':
      return (
        check(`GPU ${event.data.fromGpuId}`, clusterOfGpu(event.data.fromGpuId)) ??
        check(`GPU ${event.data.toGpuId}`, clusterOfGpu(event.data.toGpuId))
      );
    case 'telemetry.vm_sample':
      return check(`GPU ${event.data.gpuId}`, clusterOfGpu(event.data.gpuId));
    case 'telemetry.gpu_sample':
      return check(
        `GPU ${event.data.gpuId} (host ${event.data.hostId})`,
        clusterOfGpu(event.data.gpuId) ?? clusterOfHost(event.data.hostId),
      );
    case 'workload.profiled':
      return null;
    case 'twin.prediction':
    case 'twin.observation':
    case 'alert.raised':
    case 'alert.resolved':
    case 'placement.suggested':
      return `forbidden: ${event.type} is the twin's output, never written through ingest`;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** Hosts and GPUs registered earlier in the same batch, so a batch can bring its own inventory. */
export interface BatchInventory {
  readonly hosts: Map<string, string>;
  readonly gpus: Map<string, string>;
}

/** Splits events into what the key may write and the indices (with reasons) it may not. */
export function authorize<E extends DomainEvent>(
  events: readonly E[],
  scope: ClusterScope,
  index: InventoryIndex,
): { allowed: E[]; forbidden: { at: number; reason: string }[] } {
  const batch: BatchInventory = { hosts: new Map(), gpus: new Map() };
  const allowed: E[] = [];
  const forbidden: { at: number; reason: string }[] = [];
  events.forEach((e, at) => {
    const reason = forbiddenReason(e, scope, index, batch);
    if (reason !== null) {
      forbidden.push({ at, reason });
      return;
    }
    if (e.type === 'host.registered') batch.hosts.set(e.data.hostId, e.data.clusterId);
    if (e.type === 'gpu.registered') batch.gpus.set(e.data.gpuId, e.data.hostId);
    allowed.push(e);
  });
  return { allowed, forbidden };
}
