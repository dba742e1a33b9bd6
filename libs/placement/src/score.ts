import { ValidationError } from '@vgpu-twin/contracts';
import type { ClusterView, GpuView, SlowdownModel, VmView } from './cluster';

/**
 * Sums of predicted slowdowns of the VMs sharing one GPU, memoised by what the model may read:
 * the GPU's model, policy and framebuffer and each VM's workload, framebuffer and profile. In a
 * cluster of thousands of GPUs drawn from a few workloads most candidate GPUs repeat a handful of
 * co-locations, so a suggestion calls the model a few hundred times, not once per GPU.
 *
 * Those attributes are interned to small integers (nested maps over the cluster's own strings, so
 * no string is built per look-up) and a co-location's key is a short string of char codes.
 */
export class Scorer {
  private readonly memo = new Map<string, number>();
  private readonly items = new Map<string, Map<number, Map<string, number>>>();
  private readonly classes = new Map<string, Map<string, Map<number, number>>>();
  private readonly vmItem = new Map<string, number>();
  private nextItem = 1;
  private nextClass = 1;
  private readonly scratch: number[] = [];
  calls = 0;

  constructor(
    readonly cluster: ClusterView,
    readonly model: SlowdownModel,
  ) {}

  /** Interned (workload, framebuffer, profile) of a VM. */
  itemOf(vm: VmView): number {
    let byFb = this.items.get(vm.workload);
    if (!byFb) this.items.set(vm.workload, (byFb = new Map<number, Map<string, number>>()));
    let byProfile = byFb.get(vm.framebufferMib);
    if (!byProfile) byFb.set(vm.framebufferMib, (byProfile = new Map<string, number>()));
    let id = byProfile.get(vm.profile);
    if (id === undefined) byProfile.set(vm.profile, (id = this.nextItem++));
    return id;
  }

  /** Interned (model, policy, framebuffer) of a GPU. */
  classOf(gpu: GpuView): number {
    let byPolicy = this.classes.get(gpu.model);
    if (!byPolicy) this.classes.set(gpu.model, (byPolicy = new Map<string, Map<number, number>>()));
    let byFb = byPolicy.get(gpu.policy);
    if (!byFb) byPolicy.set(gpu.policy, (byFb = new Map<number, number>()));
    let id = byFb.get(gpu.framebufferMib);
    if (id === undefined) byFb.set(gpu.framebufferMib, (id = this.nextClass++));
    return id;
  }

  private itemOfId(id: string): number {
    let item = this.vmItem.get(id);
    if (item === undefined) {
      const vm = this.cluster.vms.get(id);
      if (!vm) throw new ValidationError(`GPU lists unknown VM '${id}'`);
      this.vmItem.set(id, (item = this.itemOf(vm)));
    }
    return item;
  }

  /** Order-free key of the VMs `ids` (plus `extra`, a VM not placed there yet) on `gpu`. */
  key(gpu: GpuView, ids: readonly string[], extra?: VmView): string {
    const s = this.scratch;
    s.length = 0;
    for (const id of ids) s.push(this.itemOfId(id));
    if (extra) s.push(this.itemOf(extra));
    // Insertion sort: a GPU holds at most a few dozen vGPUs.
    for (let i = 1; i < s.length; i++) {
      const v = s[i]!;
      let j = i - 1;
      while (j >= 0 && s[j]! > v) {
        s[j + 1] = s[j]!;
        j--;
      }
      s[j + 1] = v;
    }
    return String.fromCharCode(this.classOf(gpu), ...s);
  }

  /** Each member's predicted slowdown next to the others on `gpu` (not memoised). */
  slowdowns(gpu: GpuView, members: readonly VmView[]): number[] {
    return members.map((vm, i) => {
      const others = members.filter((_, j) => j !== i);
      this.calls++;
      const s = this.model(vm, others, gpu);
      if (!Number.isFinite(s)) {
        throw new ValidationError(
          `slowdown model returned ${s} for ${vm.vmId} (${vm.workload}) with ${others.map((o) => o.workload).join(', ') || 'nobody'} on ${gpu.gpuId}`,
        );
      }
      return s;
    });
  }

  /** Σ predicted slowdowns of the VMs `ids` (+ `extra`) on `gpu`, memoised. */
  total(gpu: GpuView, ids: readonly string[], extra?: VmView): number {
    if (ids.length === 0 && !extra) return 0;
    const k = this.key(gpu, ids, extra);
    let t = this.memo.get(k);
    if (t === undefined) {
      const members = this.vmsOf(ids);
      if (extra) members.push(extra);
      t = 0;
      for (const s of this.slowdowns(gpu, members)) t += s;
      this.memo.set(k, t);
    }
    return t;
  }

  vmsOf(ids: readonly string[]): VmView[] {
    return ids.map((id) => {
      const vm = this.cluster.vms.get(id);
      if (!vm) throw new ValidationError(`GPU lists unknown VM '${id}'`);
      return vm;
    });
  }
}
