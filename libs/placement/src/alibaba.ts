import { ValidationError, type SchedulingPolicy } from '@vgpu-twin/contracts';
import { findGpu, mulberry32, type VgpuProfile } from '@vgpu-twin/scheduler';
import type { ClusterView, GpuView, HostView, VmView } from './cluster';

/**
 * The Alibaba GPU-sharing cluster (cluster-trace-gpu-v2023, Weng et al., "Beware of
 * Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent", ATC 2023)
 * as a vGPU cluster, for the scale benchmark. Pure: the caller reads the CSV files.
 *
 * Mapping (ours, since the trace shares GPUs by compute fraction, not by vGPU profile):
 * - node GPU models → catalog: P100 → P100-16GB, T4 → T4, V100M16 → V100-16GB, V100M32 →
 *   V100-32GB, A10 → A10; the undisclosed G1, G2, G3 → T4 as a 16 GB stand-in;
 * - a pod asking for `gpu_milli` < 1000 of one GPU gets the smallest Q profile of the GPU's model
 *   whose framebuffer is at least that fraction of the GPU's (460 milli on 16 GB → 7.4 GB → 8Q,
 *   230 → 4Q, 810 → 16Q); a pod asking for whole GPUs gets one full-size VM per GPU;
 * - every host keeps one profile size on all its GPUs (`homogeneousProfiles`, DESIGN.md);
 * - pods are placed in creation order by first fit over hosts (an open GPU of the same type first,
 *   else the next empty host); a pod that finds no room is counted, not placed.
 */
export const ALIBABA_MODEL_MAP: Readonly<Record<string, string>> = {
  P100: 'P100-16GB',
  T4: 'T4',
  V100M16: 'V100-16GB',
  V100M32: 'V100-32GB',
  A10: 'A10',
  G1: 'T4',
  G2: 'T4',
  G3: 'T4',
};

export interface AlibabaNode {
  readonly sn: string;
  readonly gpus: number;
  readonly model: string;
}

export interface AlibabaPod {
  readonly name: string;
  readonly numGpu: number;
  readonly gpuMilli: number;
  readonly phase: string;
  readonly creationTime: number;
}

function rows(text: string, file: string, required: readonly string[]): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new ValidationError(`${file}: missing column(s) ${missing.join(', ')}`);
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== header.length) {
      throw new ValidationError(`${file} line ${i + 2}: ${cells.length} values for ${header.length} columns`);
    }
    return Object.fromEntries(header.map((h, j) => [h, cells[j]!.trim()]));
  });
}

function int(v: string | undefined, file: string, what: string): number {
  const x = Number(v);
  if (v === undefined || v === '' || !Number.isInteger(x) || x < 0) {
    throw new ValidationError(`${file}: ${what} '${v}' is not an integer ≥ 0`);
  }
  return x;
}

export function parseAlibabaNodes(text: string, file = 'openb_node_list_gpu_node.csv'): AlibabaNode[] {
  return rows(text, file, ['sn', 'gpu', 'model']).map((r) => ({
    sn: r['sn']!,
    gpus: int(r['gpu'], file, `gpu of ${r['sn']}`),
    model: r['model']!,
  }));
}

export function parseAlibabaPods(text: string, file = 'openb_pod_list_default.csv'): AlibabaPod[] {
  return rows(text, file, ['name', 'num_gpu', 'gpu_milli', 'pod_phase', 'creation_time']).map((r) => ({
    name: r['name']!,
    numGpu: int(r['num_gpu'], file, `num_gpu of ${r['name']}`),
    gpuMilli: int(r['gpu_milli'], file, `gpu_milli of ${r['name']}`),
    phase: r['pod_phase']!,
    creationTime: int(r['creation_time'], file, `creation_time of ${r['name']}`),
  }));
}

export interface AlibabaFillOptions {
  /** Workload names drawn (seeded, uniformly) for the VMs. */
  readonly workloads: readonly string[];
  readonly seed?: number;
  readonly policy?: SchedulingPolicy;
  /** Pod phases to place; default only `Running` (the trace's snapshot of live pods). */
  readonly phases?: readonly string[];
}

export interface AlibabaCluster {
  readonly cluster: ClusterView;
  readonly placedPods: number;
  readonly unplacedPods: number;
  readonly sharedGpus: number;
}

/** The smallest Q type of `model` with at least `fraction` of its framebuffer. */
export function profileForShare(model: string, fraction: number): VgpuProfile {
  const g = findGpu(model);
  const q = g.profiles.filter((p) => p.series === 'Q').sort((a, b) => a.framebufferMib - b.framebufferMib);
  return q.find((p) => p.framebufferMib >= fraction * g.framebufferMib - 1e-9) ?? q[q.length - 1]!;
}

export function alibabaCluster(
  nodes: readonly AlibabaNode[],
  pods: readonly AlibabaPod[],
  o: AlibabaFillOptions,
): AlibabaCluster {
  if (o.workloads.length === 0) throw new ValidationError('alibabaCluster needs at least one workload name');
  const policy = o.policy ?? 'best_effort';
  const phases = new Set(o.phases ?? ['Running']);
  const rng = mulberry32(o.seed ?? 1);
  const hosts = new Map<string, HostView>();
  const gpuList: { gpuId: string; hostId: string; model: string; fb: number; vms: string[] }[] = [];
  const hostGpus: number[][] = [];
  for (const n of nodes) {
    const model = ALIBABA_MODEL_MAP[n.model];
    if (!model) throw new ValidationError(`node ${n.sn}: unknown GPU model '${n.model}'`);
    hosts.set(n.sn, { hostId: n.sn, homogeneousProfiles: true });
    const idx: number[] = [];
    for (let i = 0; i < n.gpus; i++) {
      idx.push(gpuList.length);
      gpuList.push({
        gpuId: `${n.sn}/gpu${i}`,
        hostId: n.sn,
        model,
        fb: findGpu(model).framebufferMib,
        vms: [],
      });
    }
    hostGpus.push(idx);
  }
  const vms = new Map<string, VmView>();
  // Open GPUs per "model/profile": GPUs of hosts already locked to that type with a free slot.
  const open = new Map<string, number[]>();
  let nextHost = 0;
  const models = [...new Set(gpuList.map((g) => g.model))];
  const place = (gi: number, vmId: string, p: VgpuProfile) => {
    const g = gpuList[gi]!;
    g.vms.push(vmId);
    vms.set(vmId, {
      vmId,
      gpuId: g.gpuId,
      profile: p.shortName,
      framebufferMib: p.framebufferMib,
      workload: o.workloads[Math.floor(rng() * o.workloads.length)]!,
    });
  };
  /** A GPU for one VM of `fraction`: an open GPU of its type, else the next empty host. */
  const take = (fraction: number): { gi: number; p: VgpuProfile } | null => {
    for (const m of models) {
      const p = profileForShare(m, fraction);
      const list = open.get(`${m}/${p.name}`);
      while (list && list.length > 0) {
        const gi = list[0]!;
        if (gpuList[gi]!.vms.length < p.maxPerGpu) return { gi, p };
        list.shift();
      }
    }
    while (nextHost < hostGpus.length) {
      const idx = hostGpus[nextHost++]!;
      if (idx.length === 0) continue;
      const m = gpuList[idx[0]!]!.model;
      const p = profileForShare(m, fraction);
      open.set(`${m}/${p.name}`, [...(open.get(`${m}/${p.name}`) ?? []), ...idx]);
      return { gi: idx[0]!, p };
    }
    return null;
  };
  let placed = 0;
  let unplaced = 0;
  const live = pods
    .filter((p) => p.numGpu > 0 && phases.has(p.phase))
    .sort((a, b) => a.creationTime - b.creationTime || (a.name < b.name ? -1 : 1));
  for (const pod of live) {
    const fraction = pod.gpuMilli < 1000 ? pod.gpuMilli / 1000 : 1;
    const count = pod.gpuMilli < 1000 ? 1 : pod.numGpu;
    const got: { gi: number; p: VgpuProfile }[] = [];
    for (let i = 0; i < count; i++) {
      const t = take(fraction);
      if (!t) break;
      got.push(t);
      // Reserve the slot now so the next GPU of the same pod goes elsewhere.
      gpuList[t.gi]!.vms.push('\u0000reserved');
    }
    got.forEach((t) => gpuList[t.gi]!.vms.pop());
    if (got.length < count) {
      unplaced++;
      continue;
    }
    got.forEach((t, i) => place(t.gi, count === 1 ? pod.name : `${pod.name}/${i}`, t.p));
    placed++;
  }
  const gpus = new Map<string, GpuView>();
  let shared = 0;
  for (const g of gpuList) {
    if (g.vms.length > 1) shared++;
    gpus.set(g.gpuId, {
      gpuId: g.gpuId,
      hostId: g.hostId,
      model: g.model,
      framebufferMib: g.fb,
      policy,
      vms: g.vms.sort(),
    });
  }
  return { cluster: { hosts, gpus, vms }, placedPods: placed, unplacedPods: unplaced, sharedGpus: shared };
}
