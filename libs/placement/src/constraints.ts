import { findGpu, findProfile, type VgpuProfile } from '@vgpu-twin/scheduler';
import type { ClusterView, GpuView, VmView } from './cluster';

/**
 * Whether a VM may move to (or be placed on) a GPU. The rules (DESIGN.md, libs/scheduler catalog):
 * - `profile`: the GPU's model offers the VM's vGPU type (by short name: `8Q` on a V100 is
 *   V100-8Q, on a T4 it is T4-8Q);
 * - `mixed-type`: one vGPU type per GPU (time-sliced vGPU has no mixed-size mode);
 * - `capacity`: no more VMs than the type allows per GPU (V100-16GB: 8Q → 2, 4Q → 4 …);
 * - `framebuffer`: the vGPUs' framebuffer fits the GPU's;
 * - `host-homogeneity`: a host whose GPUs must share one profile size takes only that size;
 * - `model`, `policy`: the VM's own requirements.
 */
export type IssueCode =
  | 'same-gpu'
  | 'unknown-model'
  | 'profile'
  | 'mixed-type'
  | 'capacity'
  | 'framebuffer'
  | 'host-homogeneity'
  | 'model'
  | 'policy';

export interface PlacementIssue {
  readonly code: IssueCode;
  readonly message: string;
}

/** Profile size in use on each homogeneous host, with how many VMs pin it. */
export interface HostLock {
  mib: number;
  vms: number;
}

/**
 * Caches catalog look-ups and host profile sizes for many checks against one cluster. `occupancy`
 * overrides the GPUs' VM lists (a plan under construction); absent GPUs read `gpu.vms`.
 */
export class PlacementRules {
  private readonly profiles = new Map<string, Map<string, VgpuProfile | null>>();
  readonly hostLocks = new Map<string, HostLock>();

  /**
   * `deferLocks`: the caller (a `TargetIndex`, which walks every GPU anyway) records the host
   * locks with `recordLocks` before any check, saving a pass over the cluster.
   */
  constructor(
    readonly cluster: ClusterView,
    readonly occupancy: Map<string, readonly string[]> = new Map(),
    deferLocks = false,
  ) {
    if (deferLocks) return;
    for (const g of cluster.gpus.values()) this.recordLocks(g, this.vmsOn(g));
  }

  /** Pins `g`'s host to the size of the VMs `ids` on it (homogeneous hosts only). */
  recordLocks(g: GpuView, ids: readonly string[]): void {
    if (ids.length === 0 || !this.cluster.hosts.get(g.hostId)?.homogeneousProfiles) return;
    const first = this.cluster.vms.get(ids[0]!);
    if (!first) return;
    const lock = this.hostLocks.get(g.hostId);
    if (lock) lock.vms += ids.length;
    else this.hostLocks.set(g.hostId, { mib: first.framebufferMib, vms: ids.length });
  }

  /**
   * Whether `vm` may go to `target` (never its own GPU): the hot path of every suggestion, run
   * once per GPU of the cluster, so it allocates nothing. A GPU's current VMs are assumed valid
   * (one type, within the host's size), so host homogeneity only needs checking on empty GPUs.
   */
  fits(vm: VmView, target: GpuView): boolean {
    if (target.gpuId === vm.gpuId) return false;
    const p = this.profile(target.model, vm.profile);
    if (!p) return false;
    const here = this.vmsOn(target);
    const n = here.length;
    if (n >= p.maxPerGpu) return false;
    let fb = p.framebufferMib;
    for (let i = 0; i < n; i++) {
      const o = this.cluster.vms.get(here[i]!);
      if (!o) return false;
      fb += o.framebufferMib;
      if (i === 0 && o.profile !== vm.profile) {
        const op = this.profile(target.model, o.profile);
        if (!op || op.name !== p.name) return false;
      }
    }
    if (fb > target.framebufferMib) return false;
    if (n === 0 && this.hostRejects(vm, target, p.framebufferMib)) return false;
    const req = vm.requires;
    if (req) {
      if (req.policy && req.policy !== target.policy) return false;
      if (req.models && !req.models.some((m) => m.toUpperCase() === target.model.toUpperCase())) return false;
    }
    return true;
  }

  private hostRejects(vm: VmView, target: GpuView, mib: number): boolean {
    if (!this.cluster.hosts.get(target.hostId)?.homogeneousProfiles) return false;
    const lock = this.hostLocks.get(target.hostId);
    if (!lock || lock.mib === mib) return false;
    // The mover's own VM does not pin its host against itself.
    const own = this.cluster.gpus.get(vm.gpuId)?.hostId === target.hostId ? 1 : 0;
    return lock.vms - own > 0;
  }

  vmsOn(g: GpuView): readonly string[] {
    return this.occupancy.get(g.gpuId) ?? g.vms;
  }

  /** The catalog's profile for `name` on `model`, or null where the model or type is unknown. */
  profile(model: string, name: string): VgpuProfile | null {
    let byName = this.profiles.get(model);
    if (!byName) this.profiles.set(model, (byName = new Map<string, VgpuProfile | null>()));
    let p = byName.get(name);
    if (p === undefined) {
      try {
        p = findProfile(findGpu(model), name);
      } catch {
        p = null;
      }
      byName.set(name, p);
    }
    return p;
  }

  lockHost(hostId: string, mib: number): void {
    const lock = this.hostLocks.get(hostId);
    if (lock) lock.vms++;
    else this.hostLocks.set(hostId, { mib, vms: 1 });
  }

  unlockHost(hostId: string): void {
    const lock = this.hostLocks.get(hostId);
    if (lock && --lock.vms === 0) this.hostLocks.delete(hostId);
  }

  /**
   * The first reason `vm` cannot go to `target`, or null when it can; with `all`, every reason
   * (for messages). The general form of `fits`, for tests, the CLI and explanations.
   */
  check(vm: VmView, target: GpuView, all?: PlacementIssue[]): IssueCode | null {
    let first: IssueCode | null = null;
    const fail = (code: IssueCode, message: () => string): boolean => {
      first ??= code;
      all?.push({ code, message: message() });
      return all === undefined;
    };
    const here = this.vmsOn(target);
    if (target.gpuId === vm.gpuId && here.includes(vm.vmId)) {
      if (fail('same-gpu', () => `${vm.vmId} already runs on ${target.gpuId}`)) return first;
    }
    const p = this.profile(target.model, vm.profile);
    if (!p) {
      const code: IssueCode = this.knownModel(target.model) ? 'profile' : 'unknown-model';
      if (
        fail(code, () =>
          code === 'profile'
            ? `GPU ${target.gpuId} (${target.model}) offers no vGPU type '${vm.profile}'`
            : `GPU ${target.gpuId} has model '${target.model}', not in the vGPU catalog`,
        )
      )
        return first;
    }
    if (p) {
      if (here.length >= p.maxPerGpu) {
        if (
          fail(
            'capacity',
            () =>
              `GPU ${target.gpuId} already holds ${here.length} of the ${p.maxPerGpu} ${p.name} it allows`,
          )
        )
          return first;
      }
      let fb = p.framebufferMib;
      let mixed: string | null = null;
      for (const id of here) {
        const o = this.cluster.vms.get(id)!;
        fb += o.framebufferMib;
        if (mixed === null) {
          const op = this.profile(target.model, o.profile);
          if (!op || op.name !== p.name) mixed = o.profile;
        }
      }
      if (mixed !== null) {
        if (
          fail(
            'mixed-type',
            () =>
              `GPU ${target.gpuId} runs ${mixed} vGPUs; ${p.name} cannot share it (one vGPU type per GPU)`,
          )
        )
          return first;
      }
      if (fb > target.framebufferMib) {
        if (
          fail(
            'framebuffer',
            () => `${fb} MiB of vGPUs would exceed GPU ${target.gpuId}'s ${target.framebufferMib} MiB`,
          )
        )
          return first;
      }
      if (this.hostRejects(vm, target, p.framebufferMib)) {
        const lock = this.hostLocks.get(target.hostId)!;
        if (
          fail(
            'host-homogeneity',
            () =>
              `host ${target.hostId} runs ${lock.mib} MiB vGPUs on every GPU; ${p.name} has ${p.framebufferMib} MiB`,
          )
        )
          return first;
      }
    }
    const models = vm.requires?.models;
    if (models && !models.some((m) => m.toUpperCase() === target.model.toUpperCase())) {
      if (
        fail(
          'model',
          () => `${vm.vmId} requires a GPU model in ${models.join(', ')}; ${target.gpuId} is ${target.model}`,
        )
      )
        return first;
    }
    const policy = vm.requires?.policy;
    if (policy && policy !== target.policy) {
      if (fail('policy', () => `${vm.vmId} requires ${policy}; ${target.gpuId} runs ${target.policy}`))
        return first;
    }
    return first;
  }

  private knownModel(model: string): boolean {
    try {
      findGpu(model);
      return true;
    } catch {
      return false;
    }
  }
}

/** Every reason `vm` cannot move to `target` in `cluster` (empty: it can). */
export function moveIssues(cluster: ClusterView, vm: VmView, target: GpuView): PlacementIssue[] {
  const all: PlacementIssue[] = [];
  new PlacementRules(cluster).check(vm, target, all);
  return all;
}
