import { createHash } from 'node:crypto';
import type { GpuState, HostState, TwinState, VmState, WorkloadState } from './state';

/** The twin's state as plain JSON, versioned so a later layout can still read an old snapshot. */
export interface SerializedTwinState {
  readonly version: 2;
  readonly hosts: HostState[];
  readonly gpus: GpuState[];
  readonly vms: VmState[];
  readonly workloads: WorkloadState[];
  readonly stats: TwinState['stats'];
  readonly recentIds: {
    readonly previous: string[];
    readonly current: string[];
    readonly generation: number;
  };
  readonly modelError: TwinState['modelError'];
  readonly modelStaleAlert: TwinState['modelStaleAlert'];
}

export function serializeState(state: TwinState): string {
  const s: SerializedTwinState = {
    version: 2,
    hosts: [...state.hosts.values()],
    gpus: [...state.gpus.values()],
    vms: [...state.vms.values()],
    workloads: [...state.workloads.values()],
    stats: state.stats,
    recentIds: {
      previous: [...state.recentIds.previous],
      current: [...state.recentIds.current],
      generation: state.recentIds.generation,
    },
    modelError: state.modelError,
    modelStaleAlert: state.modelStaleAlert,
  };
  return JSON.stringify(s);
}

/** Restores a state exactly as serialised (map order and the dedupe window included). */
export function deserializeState(json: string): TwinState {
  const s = upgrade(JSON.parse(json) as SerializedTwinState | SerializedV1);
  return {
    hosts: new Map(s.hosts.map((h) => [h.hostId, h])),
    gpus: new Map(s.gpus.map((g) => [g.gpuId, g])),
    vms: new Map(s.vms.map((v) => [v.vmId, withVmDefaults(v)])),
    workloads: new Map(s.workloads.map((w) => [w.workload, w])),
    stats: { ...s.stats },
    recentIds: {
      previous: new Set(s.recentIds.previous),
      current: new Set(s.recentIds.current),
      generation: s.recentIds.generation,
    },
    modelError: { ...s.modelError },
    modelStaleAlert: s.modelStaleAlert,
  };
}

/**
 * Fields a VM gained after a snapshot was written (the scheduler-model twin: revealed demand, the
 * prediction's components, `predicted_interference`): an older snapshot's VM starts them empty,
 * as a VM just placed would, and its next prediction fills them.
 */
function withVmDefaults(v: VmState): VmState {
  const old = v as Partial<VmState> & VmState;
  return {
    ...v,
    demandPct: old.demandPct ?? null,
    utilWindow: old.utilWindow ?? [],
    utilOff: old.utilOff ?? 0,
    prediction: old.prediction ?? null,
    unprofiled: old.unprofiled ?? false,
    predictedAlert: old.predictedAlert ?? null,
  };
}

/** Version 1 kept the dedupe window as a ring of ids. */
type SerializedV1 = Omit<SerializedTwinState, 'version' | 'recentIds'> & {
  readonly version: 1;
  readonly recentIds: { readonly ring: (string | null)[]; readonly next: number };
};

function upgrade(s: SerializedTwinState | SerializedV1): SerializedTwinState {
  if (s.version === 2) return s;
  if (s.version !== 1)
    throw new Error(`unknown twin snapshot version ${String((s as { version: unknown }).version)}`);
  // the ring's ids, oldest first from `next`, all into the older generation
  const { ring, next } = s.recentIds;
  const ids = [...ring.slice(next), ...ring.slice(0, next)].filter((x): x is string => x !== null);
  return {
    ...s,
    version: 2,
    recentIds: { previous: ids, current: [], generation: Math.max(1, Math.ceil(ring.length / 2)) },
  };
}

/**
 * A hash of what the twin knows about the cluster — hosts, GPUs, VMs (with their windows, streaks
 * and alerts), workloads and counters — in a canonical order, so two runs that applied the same
 * events agree even if partitions interleaved differently. The dedupe window's bookkeeping is
 * left out: its order follows the interleaving; so are the cluster-wide model error's last bits and
 * which event tipped it (per-VM state is exact).
 */
export function stateHash(state: TwinState): string {
  const sorted = <T>(m: Map<string, T>) =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  const canonical = JSON.stringify({
    hosts: sorted(state.hosts),
    gpus: sorted(state.gpus),
    vms: sorted(state.vms),
    workloads: sorted(state.workloads),
    stats: state.stats,
    // Running float sums over every VM: their last bits follow the order partitions interleaved in.
    modelError: {
      ...state.modelError,
      sumAbs: round9(state.modelError.sumAbs),
      sumSigned: round9(state.modelError.sumSigned),
    },
    // Which sample tipped the cluster-wide error over the bound depends on the interleaving too: keep only whether it did.
    modelStale: state.modelStaleAlert !== null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

function round9(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
