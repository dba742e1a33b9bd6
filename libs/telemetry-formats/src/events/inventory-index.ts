import type { InventoryEvent } from '@vgpu-twin/contracts';

/**
 * What ingest knows of the inventory, to turn a reading into an event: which GPU a UUID or a bus id
 * is, which VM a vGPU belongs to and where each VM runs. A fold of the inventory stream, so two
 * ingest processes reading one log agree; applying an event twice leaves the same index.
 */
export interface InventoryIndex {
  readonly hosts: Map<string, { hostId: string; clusterId: string }>;
  readonly gpus: Map<string, IndexedGpu>;
  readonly vms: Map<string, IndexedVm>;
}

export interface IndexedGpu {
  readonly gpuId: string;
  readonly hostId: string;
  readonly model: string;
  readonly framebufferMib: number;
  readonly uuid: string | null;
  readonly busId: string | null;
}

export interface IndexedVm {
  readonly vmId: string;
  readonly gpuId: string;
  readonly profile: string;
  readonly framebufferMib: number;
  readonly workload: string;
}

export function emptyIndex(): InventoryIndex {
  return { hosts: new Map(), gpus: new Map(), vms: new Map() };
}

export function applyToIndex(index: InventoryIndex, event: InventoryEvent): void {
  switch (event.type) {
    case 'host.registered':
      index.hosts.set(event.data.hostId, { hostId: event.data.hostId, clusterId: event.data.clusterId });
      break;
    case 'gpu.registered': {
      const d = event.data;
      index.gpus.set(d.gpuId, {
        gpuId: d.gpuId,
        hostId: d.hostId,
        model: d.model,
        framebufferMib: d.framebufferMib,
        uuid: d.uuid ?? null,
        busId: d.busId ?? null,
      });
      break;
    }
    case 'vm.placed': {
      const d = event.data;
      index.vms.set(d.vmId, {
        vmId: d.vmId,
        gpuId: d.gpuId,
        profile: d.profile,
        framebufferMib: d.framebufferMib,
        workload: d.workload,
      });
      break;
    }
    case 'vm.migrated': {
      const vm = index.vms.get(event.data.vmId);
      if (vm) {
        index.vms.set(vm.vmId, {
          ...vm,
          gpuId: event.data.toGpuId,
          profile: event.data.profile,
          framebufferMib: event.data.framebufferMib,
        });
      }
      break;
    }
    case 'vm.removed':
      index.vms.delete(event.data.vmId);
      break;
    case 'gpu.policy_changed':
    case 'workload.profiled':
      break;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** The registered GPU a reading names: by UUID first, then by host and bus id. */
export function findIndexedGpu(
  index: InventoryIndex,
  uuid: string | null,
  host: string | null,
  busId: string | null,
): IndexedGpu | null {
  for (const g of index.gpus.values()) {
    if (uuid !== null && g.uuid !== null && g.uuid.toUpperCase() === uuid.toUpperCase()) return g;
  }
  if (uuid !== null && index.gpus.has(uuid)) return index.gpus.get(uuid)!;
  if (host === null || busId === null) return null;
  for (const g of index.gpus.values()) if (g.hostId === host && g.busId === busId) return g;
  return index.gpus.get(`${host}/${busId}`) ?? null;
}
