import type { AlertEvent, DomainEvent } from '@vgpu-twin/contracts';

export interface VmView {
  vmId: string;
  gpuId: string;
  profile: string;
  workload: string;
  predictedSlowdown: number | null;
  observedSlowdown: number | null;
  share: number | null;
  alert: { alertId: string; severity: string; message: string } | null;
}
export interface GpuView {
  gpuId: string;
  hostId: string;
  clusterId: string;
  model: string;
  policy: string;
  vms: string[];
}

/** Where an event is delivered: the socket.io rooms of its cluster, host, GPU and VM. */
export interface Routed {
  readonly rooms: string[];
  readonly channel: 'alert' | 'twin' | 'inventory';
  readonly event: DomainEvent;
}

/**
 * What the dashboard shows, folded from inventory, twin and alert events. Also decides which
 * rooms each event goes to.
 */
export class DashboardReadModel {
  private readonly hosts = new Map<string, string>();
  private readonly gpus = new Map<string, GpuView>();
  private readonly vms = new Map<string, VmView>();
  private readonly feed: AlertEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly seenRing: (string | undefined)[] = new Array<string | undefined>(100_000);
  private seenNext = 0;

  constructor(private readonly feedSize: number) {}

  /** Applies an event; returns where to push it, or null (nothing to push, or a duplicate id). */
  apply(event: DomainEvent): Routed | null {
    if (this.isDuplicate(event.id)) return null;
    switch (event.type) {
      case 'host.registered':
        this.hosts.set(event.data.hostId, event.data.clusterId);
        return null;
      case 'gpu.registered':
        this.gpus.set(event.data.gpuId, {
          gpuId: event.data.gpuId,
          hostId: event.data.hostId,
          clusterId: this.hosts.get(event.data.hostId) ?? 'unknown',
          model: event.data.model,
          policy: event.data.policy,
          vms: this.gpus.get(event.data.gpuId)?.vms ?? [],
        });
        return this.route('inventory', event, event.data.gpuId);
      case 'gpu.policy_changed': {
        const gpu = this.gpus.get(event.data.gpuId);
        if (gpu) gpu.policy = event.data.policy;
        return this.route('inventory', event, event.data.gpuId);
      }
      case 'vm.placed': {
        this.detach(event.data.vmId);
        this.vms.set(event.data.vmId, {
          vmId: event.data.vmId,
          gpuId: event.data.gpuId,
          profile: event.data.profile,
          workload: event.data.workload,
          predictedSlowdown: null,
          observedSlowdown: null,
          share: null,
          alert: null,
        });
        this.attach(event.data.vmId, event.data.gpuId);
        return this.route('inventory', event, event.data.gpuId, event.data.vmId);
      }
      case 'vm.migrated': {
        const vm = this.vms.get(event.data.vmId);
        if (!vm) return null;
        this.detach(vm.vmId);
        vm.gpuId = event.data.toGpuId;
        vm.profile = event.data.profile;
        this.attach(vm.vmId, vm.gpuId);
        return this.route('inventory', event, event.data.toGpuId, vm.vmId);
      }
      case 'vm.removed':
        this.detach(event.data.vmId);
        this.vms.delete(event.data.vmId);
        return this.route('inventory', event, event.data.gpuId, event.data.vmId);
      case 'twin.prediction': {
        const vm = this.vms.get(event.data.vmId);
        if (vm) {
          vm.predictedSlowdown = event.data.predictedSlowdown;
          vm.share = event.data.share;
        }
        return this.route('twin', event, event.data.gpuId, event.data.vmId);
      }
      case 'twin.observation': {
        const vm = this.vms.get(event.data.vmId);
        if (vm) vm.observedSlowdown = event.data.observedSlowdown;
        return this.route('twin', event, event.data.gpuId, event.data.vmId);
      }
      case 'alert.raised': {
        const vm = this.vms.get(event.data.vmId);
        if (vm)
          vm.alert = {
            alertId: event.data.alertId,
            severity: event.data.severity,
            message: event.data.message,
          };
        this.pushFeed(event);
        return this.route('alert', event, event.data.gpuId, event.data.vmId);
      }
      case 'alert.resolved': {
        const vm = this.vms.get(event.data.vmId);
        if (vm?.alert?.alertId === event.data.alertId) vm.alert = null;
        this.pushFeed(event);
        return this.route('alert', event, event.data.gpuId, event.data.vmId);
      }
      case 'placement.suggested':
        this.pushFeed(event);
        return this.route('alert', event, event.data.fromGpuId, event.data.vmId);
      case 'workload.profiled':
      case 'telemetry.vm_sample':
      case 'telemetry.gpu_sample':
        return null;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  }

  snapshot(): { gpus: GpuView[]; vms: VmView[]; feed: AlertEvent[]; clusters: string[] } {
    const gpus = [...this.gpus.values()].sort((a, b) =>
      a.gpuId.localeCompare(b.gpuId, 'en', { numeric: true }),
    );
    return {
      clusters: [...new Set(this.hosts.values())].sort(),
      gpus,
      vms: [...this.vms.values()].sort((a, b) => a.vmId.localeCompare(b.vmId, 'en', { numeric: true })),
      feed: [...this.feed],
    };
  }

  private route(channel: Routed['channel'], event: DomainEvent, gpuId: string, vmId?: string): Routed {
    const gpu = this.gpus.get(gpuId);
    const rooms = [`gpu:${gpuId}`];
    if (gpu) rooms.push(`host:${gpu.hostId}`, `cluster:${gpu.clusterId}`);
    if (vmId) rooms.push(`vm:${vmId}`);
    return { rooms, channel, event };
  }

  private pushFeed(event: AlertEvent): void {
    this.feed.unshift(event);
    if (this.feed.length > this.feedSize) this.feed.pop();
  }

  private attach(vmId: string, gpuId: string): void {
    const gpu = this.gpus.get(gpuId);
    if (gpu && !gpu.vms.includes(vmId)) gpu.vms = [...gpu.vms, vmId].sort();
  }

  private detach(vmId: string): void {
    const vm = this.vms.get(vmId);
    const gpu = vm ? this.gpus.get(vm.gpuId) : undefined;
    if (gpu) gpu.vms = gpu.vms.filter((v) => v !== vmId);
  }

  /** Events are delivered at least once: remember recent ids so a redelivery is not pushed twice. */
  private isDuplicate(id: string): boolean {
    if (this.seen.has(id)) return true;
    this.seen.add(id);
    const evicted = this.seenRing[this.seenNext];
    if (evicted !== undefined) this.seen.delete(evicted);
    this.seenRing[this.seenNext] = id;
    this.seenNext = (this.seenNext + 1) % this.seenRing.length;
    return false;
  }
}
