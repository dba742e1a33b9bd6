import { ValidationError, type FieldIssue, type SchedulingPolicy } from '@vgpu-twin/contracts';
import { ALIBABA_MODEL_MAP, type AlibabaNode } from '@vgpu-twin/placement';
import {
  findGpu,
  findProfile,
  mulberry32,
  placementIssues,
  WORKLOAD_PRESET_NAMES,
  type GpuModel,
  type VgpuProfile,
} from '@vgpu-twin/scheduler';
import { WORKLOAD_CATALOGUE } from '../catalogue';
import type { AlibabaClusterSpec, ExplicitCluster, Scenario, TimelineAction } from './schema';

/** A VM as the scenario places it: its inventory (profile, framebuffer, workload name). */
export interface SimVm {
  readonly vmId: string;
  readonly gpuId: string;
  /** Short vGPU type name, e.g. `8Q`. */
  readonly profile: string;
  readonly framebufferMib: number;
  /** The catalogue workload its inventory names. */
  readonly workload: string;
  readonly sloSlowdown?: number;
  readonly progress: boolean;
}

export interface SimGpu {
  readonly gpuId: string;
  readonly hostId: string;
  /** libs/scheduler catalog id, e.g. `V100-16GB`. */
  readonly model: string;
  readonly framebufferMib: number;
  readonly policy: SchedulingPolicy;
  readonly timeSliceMs: number;
  readonly vms: readonly SimVm[];
}

export interface SimHost {
  readonly hostId: string;
  readonly homogeneousProfiles: boolean;
  readonly cpuCores?: number;
  readonly memoryMib?: number;
}

/** The cluster at the start of a scenario, written out or sampled. */
export interface SimCluster {
  readonly clusterId: string;
  readonly hosts: readonly SimHost[];
  readonly gpus: readonly SimGpu[];
  /** What sampling skipped or adjusted (unknown GPU models, workloads too big for a profile). */
  readonly notes: readonly string[];
}

export interface BuildClusterOptions {
  /** The Alibaba topology's nodes (libs/placement `parseAlibabaNodes`), for `cluster.alibaba`. */
  readonly alibabaNodes?: readonly AlibabaNode[];
}

const catalogue = new Map(WORKLOAD_CATALOGUE.map((w) => [w.name, w]));
const presets = new Set<string>(WORKLOAD_PRESET_NAMES);

export const isCatalogueWorkload = (name: string): boolean => catalogue.has(name);

function workloadFbMib(name: string): number {
  return catalogue.get(name)?.fbMib ?? 0;
}

export function unknownWorkload(name: string): string {
  return `unknown workload '${name}'; the catalogue has ${[...catalogue.keys()].join(', ')}`;
}

/** The cluster a scenario starts from; throws a ValidationError naming each bad path. */
export function buildCluster(scenario: Scenario, options: BuildClusterOptions = {}): SimCluster {
  let cluster: SimCluster;
  if ('alibaba' in scenario.cluster) {
    if (!options.alibabaNodes) {
      throw new ValidationError(
        `scenario '${scenario.name}': cluster.alibaba needs the Alibaba node list (openb_node_list_gpu_node.csv)`,
        [{ path: 'cluster.alibaba', message: 'needs the Alibaba node list' }],
      );
    }
    cluster = sampleAlibaba(scenario.cluster, options.alibabaNodes);
  } else {
    throwIfAny(scenario.name, clusterIssues(scenario.cluster));
    cluster = resolveCluster(scenario.cluster);
  }
  throwIfAny(scenario.name, timelineIssues(cluster, scenario.timeline));
  return cluster;
}

function throwIfAny(name: string, issues: readonly FieldIssue[]): void {
  if (issues.length === 0) return;
  throw new ValidationError(
    `scenario '${name}': ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

/**
 * What the shape cannot say about a written-out cluster: unique ids, known GPU models and
 * profiles, placements the vGPU rules allow (libs/scheduler `placementIssues`), workloads in the
 * catalogue that fit their VM's framebuffer.
 */
export function clusterIssues(c: ExplicitCluster): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Map<string, string>();
  const unique = (id: string, path: string) => {
    const first = seen.get(id);
    if (first !== undefined) issues.push({ path, message: `'${id}' is already used by ${first}` });
    else seen.set(id, path.slice(0, path.lastIndexOf('.')));
  };
  c.hosts.forEach((h, hi) => {
    const hp = `cluster.hosts[${hi}]`;
    unique(h.hostId, `${hp}.hostId`);
    h.gpus.forEach((g, gi) => {
      const gp = `${hp}.gpus[${gi}]`;
      unique(g.gpuId, `${gp}.gpuId`);
      let model: GpuModel | undefined;
      try {
        model = findGpu(g.model);
      } catch (e) {
        issues.push({ path: `${gp}.model`, message: (e as Error).message });
      }
      g.vms.forEach((vm, vi) => {
        const vp = `${gp}.vms[${vi}]`;
        unique(vm.vmId, `${vp}.vmId`);
        if (!isCatalogueWorkload(vm.workload)) {
          issues.push({ path: `${vp}.workload`, message: unknownWorkload(vm.workload) });
          return;
        }
        if (!model) return;
        const p = profileOf(model, vm.profile);
        if (typeof p === 'string') issues.push({ path: `${vp}.profile`, message: p });
        else {
          const fit = fbFit(vm.workload, p);
          if (fit) issues.push({ path: `${vp}.workload`, message: fit });
        }
      });
    });
    // Placement rules per host; their paths (`gpus[1].profiles[0]`) map onto the scenario's.
    const placement = placementIssues({
      homogeneousProfiles: h.homogeneousProfiles,
      gpus: h.gpus.map((g) => ({ model: g.model, profiles: g.vms.map((v) => v.profile) })),
    });
    for (const i of placement) {
      // Unknown models and types are reported above, per VM.
      if (i.path.endsWith('.model') || i.message.includes('has no vGPU type')) continue;
      issues.push({
        path: `${hp}.${i.path.replace(/\.profiles\[(\d+)\]$/, '.vms[$1].profile').replace(/\.profiles$/, '.vms')}`,
        message: i.message,
      });
    }
  });
  return issues;
}

function profileOf(model: GpuModel, profile: string): VgpuProfile | string {
  try {
    return findProfile(model, profile);
  } catch (e) {
    return (e as Error).message;
  }
}

function fbFit(workload: string, p: VgpuProfile): string | null {
  const need = workloadFbMib(workload);
  return need > p.framebufferMib
    ? `${workload} uses ${need} MiB of framebuffer, more than the ${p.framebufferMib} MiB of ${p.shortName}`
    : null;
}

function resolveCluster(c: ExplicitCluster): SimCluster {
  return {
    clusterId: c.clusterId,
    hosts: c.hosts.map((h) => ({
      hostId: h.hostId,
      homogeneousProfiles: h.homogeneousProfiles,
      cpuCores: h.cpuCores,
      memoryMib: h.memoryMib,
    })),
    gpus: c.hosts.flatMap((h) =>
      h.gpus.map((g) => {
        const model = findGpu(g.model);
        return {
          gpuId: g.gpuId,
          hostId: h.hostId,
          model: model.id,
          framebufferMib: model.framebufferMib,
          policy: g.policy,
          timeSliceMs: g.timeSliceMs,
          vms: g.vms.map((vm) => {
            const p = findProfile(model, vm.profile);
            return {
              vmId: vm.vmId,
              gpuId: g.gpuId,
              profile: p.shortName,
              framebufferMib: p.framebufferMib,
              workload: vm.workload,
              ...(vm.sloSlowdown !== undefined ? { sloSlowdown: vm.sloSlowdown } : {}),
              progress: vm.progress,
            };
          }),
        };
      }),
    ),
    notes: [],
  };
}

/** Timeline actions in the order they happen: by `atS`, ties in file order. */
export function orderedTimeline(
  timeline: readonly TimelineAction[],
): { readonly action: TimelineAction; readonly index: number }[] {
  return timeline
    .map((action, index) => ({ action, index }))
    .sort((a, b) => a.action.atS - b.action.atS || a.index - b.index);
}

interface LiveVm {
  gpuId: string;
  profile: string;
  framebufferMib: number;
  runs: string;
}

/**
 * Replays the timeline over the cluster's ids and placements: every action must name VMs and GPUs
 * that exist at its time, and every placement or migration must satisfy the vGPU rules there.
 */
export function timelineIssues(cluster: SimCluster, timeline: readonly TimelineAction[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const gpus = new Map(cluster.gpus.map((g) => [g.gpuId, g]));
  const hostIds = new Set(cluster.hosts.map((h) => h.hostId));
  const hosts = new Map(cluster.hosts.map((h) => [h.hostId, h]));
  const onGpu = new Map(cluster.gpus.map((g) => [g.gpuId, g.vms.map((v) => v.vmId)]));
  const live = new Map<string, LiveVm>();
  for (const g of cluster.gpus)
    for (const v of g.vms)
      live.set(v.vmId, {
        gpuId: g.gpuId,
        profile: v.profile,
        framebufferMib: v.framebufferMib,
        runs: v.workload,
      });
  const removedAt = new Map<string, { atS: number; index: number }>();
  const order = orderedTimeline(timeline);
  const placedLater = new Map<string, { atS: number; index: number }>();
  for (const { action, index } of order)
    if (action.action === 'place' && !placedLater.has(action.vm))
      placedLater.set(action.vm, { atS: action.atS, index });

  const missingVm = (vm: string, atS: number): string => {
    const r = removedAt.get(vm);
    if (r) return `VM '${vm}' was removed at +${r.atS} s (timeline[${r.index}])`;
    const p = placedLater.get(vm);
    if (p && p.atS >= atS) return `VM '${vm}' is not placed until +${p.atS} s (timeline[${p.index}])`;
    return `unknown VM '${vm}'`;
  };
  /** The vGPU rules on the host of `gpuId` with `vmId` there as `profile` (and gone from wherever it was). */
  const fitIssue = (vmId: string, gpuId: string, profile: string): string | null => {
    const target = gpus.get(gpuId)!;
    const host = hosts.get(target.hostId)!;
    const hostGpus = cluster.gpus.filter((g) => g.hostId === target.hostId);
    const found = placementIssues({
      homogeneousProfiles: host.homogeneousProfiles,
      gpus: hostGpus.map((g) => ({
        model: g.model,
        profiles: [
          ...onGpu
            .get(g.gpuId)!
            .filter((v) => v !== vmId)
            .map((v) => live.get(v)!.profile),
          ...(g.gpuId === gpuId ? [profile] : []),
        ],
      })),
    });
    return found.length > 0 ? `on GPU ${gpuId}: ${found.map((i) => i.message).join('; ')}` : null;
  };

  for (const { action: a, index } of order) {
    const p = `timeline[${index}]`;
    switch (a.action) {
      case 'place': {
        const gpu = gpus.get(a.gpu);
        if (live.has(a.vm)) {
          issues.push({
            path: `${p}.vm`,
            message: `VM '${a.vm}' is already placed, on GPU ${live.get(a.vm)!.gpuId}`,
          });
          break;
        }
        if (gpus.has(a.vm) || hostIds.has(a.vm)) {
          issues.push({
            path: `${p}.vm`,
            message: `'${a.vm}' is already the id of a ${gpus.has(a.vm) ? 'GPU' : 'host'}`,
          });
          break;
        }
        if (!gpu) {
          issues.push({ path: `${p}.gpu`, message: `unknown GPU '${a.gpu}'` });
          break;
        }
        if (!isCatalogueWorkload(a.workload)) {
          issues.push({ path: `${p}.workload`, message: unknownWorkload(a.workload) });
          break;
        }
        const prof = profileOf(findGpu(gpu.model), a.profile);
        if (typeof prof === 'string') {
          issues.push({ path: `${p}.profile`, message: prof });
          break;
        }
        const fit = fitIssue(a.vm, gpu.gpuId, prof.shortName) ?? fbFit(a.workload, prof);
        if (fit) {
          issues.push({ path: `${p}.profile`, message: fit });
          break;
        }
        live.set(a.vm, {
          gpuId: gpu.gpuId,
          profile: prof.shortName,
          framebufferMib: prof.framebufferMib,
          runs: a.workload,
        });
        onGpu.get(gpu.gpuId)!.push(a.vm);
        removedAt.delete(a.vm);
        break;
      }
      case 'remove': {
        const vm = live.get(a.vm);
        if (!vm) {
          issues.push({ path: `${p}.vm`, message: missingVm(a.vm, a.atS) });
          break;
        }
        onGpu.set(
          vm.gpuId,
          onGpu.get(vm.gpuId)!.filter((v) => v !== a.vm),
        );
        live.delete(a.vm);
        removedAt.set(a.vm, { atS: a.atS, index });
        break;
      }
      case 'migrate': {
        const vm = live.get(a.vm);
        if (!vm) {
          issues.push({ path: `${p}.vm`, message: missingVm(a.vm, a.atS) });
          break;
        }
        const gpu = gpus.get(a.to);
        if (!gpu) {
          issues.push({ path: `${p}.to`, message: `unknown GPU '${a.to}'` });
          break;
        }
        if (gpu.gpuId === vm.gpuId) {
          issues.push({ path: `${p}.to`, message: `VM '${a.vm}' is already on GPU ${a.to}` });
          break;
        }
        const prof = profileOf(findGpu(gpu.model), a.profile ?? vm.profile);
        if (typeof prof === 'string') {
          issues.push({ path: a.profile ? `${p}.profile` : `${p}.to`, message: prof });
          break;
        }
        const fit = fitIssue(a.vm, gpu.gpuId, prof.shortName) ?? fbFit(vm.runs, prof);
        if (fit) {
          issues.push({ path: `${p}.to`, message: fit });
          break;
        }
        onGpu.set(
          vm.gpuId,
          onGpu.get(vm.gpuId)!.filter((v) => v !== a.vm),
        );
        onGpu.get(gpu.gpuId)!.push(a.vm);
        live.set(a.vm, {
          ...vm,
          gpuId: gpu.gpuId,
          profile: prof.shortName,
          framebufferMib: prof.framebufferMib,
        });
        break;
      }
      case 'phase': {
        const vm = live.get(a.vm);
        if (!vm) {
          issues.push({ path: `${p}.vm`, message: missingVm(a.vm, a.atS) });
          break;
        }
        if (!isCatalogueWorkload(a.workload)) {
          issues.push({ path: `${p}.workload`, message: unknownWorkload(a.workload) });
          break;
        }
        const fit = fbFit(a.workload, {
          shortName: vm.profile,
          framebufferMib: vm.framebufferMib,
        } as VgpuProfile);
        if (fit) {
          issues.push({ path: `${p}.workload`, message: fit });
          break;
        }
        vm.runs = a.workload;
        break;
      }
      case 'framebuffer': {
        const vm = live.get(a.vm);
        if (!vm) {
          issues.push({ path: `${p}.vm`, message: missingVm(a.vm, a.atS) });
          break;
        }
        for (const key of ['fromMib', 'toMib'] as const) {
          const v = a[key];
          if (v !== undefined && v > vm.framebufferMib)
            issues.push({
              path: `${p}.${key}`,
              message: `${v} MiB is more than the ${vm.framebufferMib} MiB of VM ${a.vm}'s ${vm.profile}`,
            });
        }
        break;
      }
      case 'policy': {
        if (!gpus.has(a.gpu)) issues.push({ path: `${p}.gpu`, message: `unknown GPU '${a.gpu}'` });
        break;
      }
      default: {
        const _exhaustive: never = a;
        return _exhaustive;
      }
    }
  }
  return issues;
}

/**
 * A seeded sample of the Alibaba GPU-sharing cluster (cluster-trace-gpu-v2023; Weng et al., ATC
 * 2023) as a vGPU cluster: whole nodes, drawn without replacement, until the GPU count is reached
 * (the last node may overshoot it). GPU models map to the catalog as libs/placement's
 * `ALIBABA_MODEL_MAP` does; nodes of other models are skipped and counted in `notes`. Each GPU
 * gets a seeded number of VMs in `vmsPerGpu`; each host one Q profile size for all its GPUs (the
 * largest whose per-GPU limit takes the host's busiest GPU); each VM a seeded workload among those
 * listed that fit the profile's framebuffer.
 */
export function sampleAlibaba(spec: AlibabaClusterSpec, nodes: readonly AlibabaNode[]): SimCluster {
  const o = spec.alibaba;
  const notes: string[] = [];
  const skipped = new Map<string, { nodes: number; gpus: number }>();
  const eligible: { node: AlibabaNode; model: GpuModel }[] = [];
  for (const node of nodes) {
    if (node.gpus === 0) continue;
    const mapped = ALIBABA_MODEL_MAP[node.model];
    let model: GpuModel | undefined;
    try {
      model = mapped ? findGpu(mapped) : undefined;
    } catch {
      model = undefined;
    }
    if (!model) {
      const s = skipped.get(node.model) ?? { nodes: 0, gpus: 0 };
      skipped.set(node.model, { nodes: s.nodes + 1, gpus: s.gpus + node.gpus });
    } else eligible.push({ node, model });
  }
  for (const [m, s] of skipped)
    notes.push(`skipped ${s.nodes} node(s) with ${s.gpus} GPU(s) of unknown GPU model '${m}'`);
  const total = eligible.reduce((n, e) => n + e.node.gpus, 0);
  if (total < o.gpus) {
    throw new ValidationError(`cluster.alibaba.gpus: asks for ${o.gpus} GPUs; the node list has ${total}`, [
      { path: 'cluster.alibaba.gpus', message: `asks for ${o.gpus} GPUs; the node list has ${total}` },
    ]);
  }
  const names = o.workloads ?? WORKLOAD_CATALOGUE.map((w) => w.name).filter((n) => !presets.has(n));
  const bad = names.findIndex((n) => !isCatalogueWorkload(n));
  if (bad >= 0) {
    const path = `cluster.alibaba.workloads[${bad}]`;
    throw new ValidationError(`${path}: ${unknownWorkload(names[bad]!)}`, [
      { path, message: unknownWorkload(names[bad]!) },
    ]);
  }
  const rng = mulberry32(o.seed);
  // Fisher–Yates over the eligible nodes, then whole nodes in that order.
  const order = eligible.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const hosts: SimHost[] = [];
  const gpus: SimGpu[] = [];
  let vmCount = 0;
  const tooBig = new Set<string>();
  const [lo, hi] = o.vmsPerGpu;
  for (const k of order) {
    if (gpus.length >= o.gpus) break;
    const { node, model } = eligible[k]!;
    hosts.push({ hostId: node.sn, homogeneousProfiles: true });
    const qs = model.profiles
      .filter((p) => p.series === 'Q')
      .sort((a, b) => b.framebufferMib - a.framebufferMib);
    const most = Math.max(...qs.map((p) => p.maxPerGpu));
    const counts = Array.from({ length: node.gpus }, () =>
      Math.min(most, lo + Math.floor(rng() * (hi - lo + 1))),
    );
    const busiest = Math.max(...counts);
    const profile = qs.find((p) => p.maxPerGpu >= busiest)!;
    const fits = names.filter((n) => workloadFbMib(n) <= profile.framebufferMib);
    for (const n of names) if (!fits.includes(n)) tooBig.add(`${n} on ${model.id}-${profile.shortName}`);
    counts.forEach((count, i) => {
      const gpuId = `${node.sn}-gpu-${i}`;
      const vms: SimVm[] = [];
      for (let v = 0; v < count && fits.length > 0; v++) {
        vms.push({
          vmId: `vm-${String(++vmCount).padStart(5, '0')}`,
          gpuId,
          profile: profile.shortName,
          framebufferMib: profile.framebufferMib,
          workload: fits[Math.floor(rng() * fits.length)]!,
          progress: true,
        });
      }
      gpus.push({
        gpuId,
        hostId: node.sn,
        model: model.id,
        framebufferMib: model.framebufferMib,
        policy: o.policy,
        timeSliceMs: o.timeSliceMs,
        vms,
      });
    });
  }
  if (tooBig.size > 0)
    notes.push(`not drawn where their framebuffer does not fit: ${[...tooBig].sort().join(', ')}`);
  return { clusterId: spec.clusterId, hosts, gpus, notes };
}
