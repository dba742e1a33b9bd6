import { SchedulingPolicy, ValidationError, WorkloadFeatures } from '@vgpu-twin/contracts';
import { z } from 'zod';

/**
 * What placement needs to know about a cluster. The shapes are the read-only subset of the twin's
 * own state (libs/twin-core `TwinState`: `hosts`, `gpus`, `vms` maps whose values carry these
 * fields), so the twin can pass its state as it is, without copying 6,000 GPUs per suggestion.
 */
export interface HostView {
  readonly hostId: string;
  /** vGPU releases studied need one profile size on every GPU of the host (DESIGN.md). */
  readonly homogeneousProfiles: boolean;
}

export interface GpuView {
  readonly gpuId: string;
  readonly hostId: string;
  /** Catalog id (libs/scheduler `GPU_CATALOG`), e.g. `V100-16GB`, `T4`. */
  readonly model: string;
  readonly framebufferMib: number;
  readonly policy: SchedulingPolicy;
  /** Ids of the VMs on this GPU (the twin keeps them sorted). */
  readonly vms: readonly string[];
}

/** Where a VM may run, beyond capacity (absent: anywhere its profile fits). */
export interface VmRequirements {
  /** GPU models it accepts (catalog ids, case-insensitive). */
  readonly models?: readonly string[];
  /** The scheduling policy it needs. */
  readonly policy?: SchedulingPolicy;
}

export interface VmView {
  readonly vmId: string;
  readonly gpuId: string;
  /** vGPU type, short (`8Q`) or full (`V100-8Q`) name. */
  readonly profile: string;
  readonly framebufferMib: number;
  /** Workload profile name: what the slowdown model reads. */
  readonly workload: string;
  readonly requires?: VmRequirements;
}

export interface ClusterView {
  readonly hosts: ReadonlyMap<string, HostView>;
  readonly gpus: ReadonlyMap<string, GpuView>;
  readonly vms: ReadonlyMap<string, VmView>;
}

/**
 * Predicted slowdown of `vm` when it shares `gpu` with `coRunners` (1 = as fast as alone on a
 * full-GPU vGPU). Placement memoises it per call, so it must depend only on the VMs' `workload`,
 * `profile` and `framebufferMib` and the GPU's `model`, `policy` and `framebufferMib` — not on
 * ids or on where the VMs are now.
 */
export type SlowdownModel = (vm: VmView, coRunners: readonly VmView[], gpu: GpuView) => number;

/**
 * `cluster.json`, the snapshot `vgpu-twin place suggest --state` reads: the twin's inventory
 * (hosts, GPUs, VM placements, workload profiles, as the `host.registered`, `gpu.registered`,
 * `vm.placed` and `workload.profiled` events carry them). GPUs list no VMs: a VM names its GPU.
 *
 *     { "clusterId": "lab",
 *       "hosts": [{ "hostId": "h1", "homogeneousProfiles": true }],
 *       "gpus": [{ "gpuId": "g1", "hostId": "h1", "model": "V100-16GB", "framebufferMib": 16384,
 *                  "policy": "best_effort" }],
 *       "vms": [{ "vmId": "vm1", "gpuId": "g1", "profile": "8Q", "framebufferMib": 8192,
 *                 "workload": "resnet50-bs32", "requires": { "models": ["V100-16GB"] } }],
 *       "workloads": [{ "workload": "resnet50-bs32",
 *                       "features": { "gpuUtilPct": 80, "memUtilPct": 40, "pcieRxMBps": 300,
 *                                     "pcieTxMBps": 50, "kernelMs": 0.5 } }] }
 */
const Id = z.string().min(1, 'must be a non-empty string');
export const ClusterSnapshot = z
  .object({
    clusterId: Id.default('cluster'),
    hosts: z.array(z.object({ hostId: Id, homogeneousProfiles: z.boolean() })),
    gpus: z.array(
      z.object({
        gpuId: Id,
        hostId: Id,
        model: Id,
        framebufferMib: z.number().positive(),
        policy: SchedulingPolicy,
      }),
    ),
    vms: z.array(
      z.object({
        vmId: Id,
        gpuId: Id,
        profile: Id,
        framebufferMib: z.number().positive(),
        workload: Id,
        requires: z
          .object({ models: z.array(Id).optional(), policy: SchedulingPolicy.optional() })
          .optional(),
      }),
    ),
    workloads: z.array(z.object({ workload: Id, features: WorkloadFeatures })),
  })
  .strict();
export type ClusterSnapshot = z.infer<typeof ClusterSnapshot>;

export interface ParsedCluster {
  readonly clusterId: string;
  readonly cluster: ClusterView;
  readonly workloads: ReadonlyMap<string, WorkloadFeatures>;
}

/** Parses and cross-checks a snapshot: unique ids, every reference known. */
export function parseClusterSnapshot(text: string, file = 'cluster.json'): ParsedCluster {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`${file}: not JSON (${(e as Error).message})`, [
      { path: file, message: 'not JSON' },
    ]);
  }
  const r = ClusterSnapshot.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(
      `${file}: ${issues
        .slice(0, 5)
        .map((i) => `${i.path}: ${i.message}`)
        .join('; ')}`,
      issues,
    );
  }
  return clusterFromSnapshot(r.data, file);
}

export function clusterFromSnapshot(s: ClusterSnapshot, file = 'cluster.json'): ParsedCluster {
  const fail = (path: string, message: string): never => {
    throw new ValidationError(`${file}: ${path}: ${message}`, [{ path, message }]);
  };
  const hosts = new Map<string, HostView>();
  s.hosts.forEach((h, i) => {
    if (hosts.has(h.hostId)) fail(`hosts.${i}.hostId`, `'${h.hostId}' appears twice`);
    hosts.set(h.hostId, h);
  });
  const workloads = new Map<string, WorkloadFeatures>();
  s.workloads.forEach((w, i) => {
    if (workloads.has(w.workload)) fail(`workloads.${i}.workload`, `'${w.workload}' appears twice`);
    workloads.set(w.workload, w.features);
  });
  const gpuVms = new Map<string, string[]>();
  s.gpus.forEach((g, i) => {
    if (gpuVms.has(g.gpuId)) fail(`gpus.${i}.gpuId`, `'${g.gpuId}' appears twice`);
    if (!hosts.has(g.hostId)) fail(`gpus.${i}.hostId`, `unknown host '${g.hostId}'`);
    gpuVms.set(g.gpuId, []);
  });
  const vms = new Map<string, VmView>();
  s.vms.forEach((v, i) => {
    if (vms.has(v.vmId)) fail(`vms.${i}.vmId`, `'${v.vmId}' appears twice`);
    const list = gpuVms.get(v.gpuId);
    if (!list) return fail(`vms.${i}.gpuId`, `unknown GPU '${v.gpuId}'`);
    if (!workloads.has(v.workload))
      fail(`vms.${i}.workload`, `unknown workload '${v.workload}' (not in workloads)`);
    list.push(v.vmId);
    vms.set(v.vmId, v);
  });
  const gpus = new Map<string, GpuView>();
  for (const g of s.gpus) gpus.set(g.gpuId, { ...g, vms: gpuVms.get(g.gpuId)!.sort() });
  return { clusterId: s.clusterId, cluster: { hosts, gpus, vms }, workloads };
}
