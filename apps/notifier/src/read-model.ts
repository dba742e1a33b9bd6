import { RecentIds } from '@vgpu-twin/alerting';
import { isNotifierEvent } from '@vgpu-twin/contracts';
import type {
  AlertEvent,
  AlertKind,
  AlertRaised,
  AlertResolved,
  DomainEvent,
  WorkloadProfiled,
} from '@vgpu-twin/contracts';
import { VmTimeline, type AlertMarker, type TimelineLimits, type TimelineView } from './vm-timeline';

export interface VmView {
  vmId: string;
  gpuId: string;
  profile: string;
  workload: string;
  predictedSlowdown: number | null;
  observedSlowdown: number | null;
  share: number | null;
  alert: { alertId: string; kind: AlertKind; severity: string; message: string } | null;
  /** The model named by this VM's latest prediction (`hybrid@<12 hex>`, `scheduler@<version>`). */
  model: string | null;
  /** The latest prediction's parts: libs/scheduler's slowdown and the learned residual added to it. */
  components: { scheduler: number; residual: number } | null;
  /** What the naive share arithmetic said for the same co-location, for comparison. */
  shareArithmetic: number | null;
}

/** A VM as `GET /v1/dashboard/state` shows it. */
export interface VmState extends VmView {
  /** Its workload has no `workload.profiled` event, so the twin makes no prediction for it. */
  unprofiled: boolean;
  timeline: TimelineView;
  markers: AlertMarker[];
}

export interface DashboardState {
  clusters: string[];
  gpus: GpuView[];
  vms: VmState[];
  feed: AlertEvent[];
  /** The model named by the latest prediction (by event time), or null before any. */
  model: string | null;
  /** The latest twin or alert event time seen: where every timeline's window ends. */
  eventTime: string | null;
  timelineMinutes: number;
}

export interface ReadModelOptions {
  readonly feedSize: number;
  /** How many minutes of event time each VM's timeline covers. */
  readonly timelineMinutes: number;
  /** Width of a timeline point in event time: at most one per bucket. */
  readonly timelineBucketMs?: number;
  readonly maxMarkersPerVm?: number;
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
  private readonly timelines = new Map<string, VmTimeline>();
  private readonly profiled = new Set<string>();
  private readonly limits: TimelineLimits;
  private readonly feedSize: number;
  private readonly timelineMinutes: number;
  /** Event time, never the wall clock: the latest ts of a twin or alert event. */
  private now = Number.NEGATIVE_INFINITY;
  private latestModel: { model: string; t: number } | null = null;
  /** Event ids already applied: delivery is at least once. */
  private readonly seen = new RecentIds(100_000);

  constructor(options: ReadModelOptions) {
    this.feedSize = options.feedSize;
    this.timelineMinutes = options.timelineMinutes;
    this.limits = {
      windowMs: options.timelineMinutes * 60_000,
      bucketMs: options.timelineBucketMs ?? 1000,
      maxMarkers: options.maxMarkersPerVm ?? 100,
    };
  }

  /** Applies an event; returns where to push it, or null (nothing to push, or a duplicate id). */
  apply(event: DomainEvent): Routed | null {
    if (!this.seen.add(event.id)) return null;
    // the lifecycle has its own fold (libs/alerting's book); operators' commands are its input
    if (isNotifierEvent(event)) return null;
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
          model: null,
          components: null,
          shareArithmetic: null,
        });
        this.timelines.set(event.data.vmId, new VmTimeline(this.limits));
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
        this.timelines.delete(event.data.vmId);
        return this.route('inventory', event, event.data.gpuId, event.data.vmId);
      case 'twin.prediction': {
        const t = this.advance(event.ts);
        if (!this.latestModel || t >= this.latestModel.t) this.latestModel = { model: event.data.model, t };
        const vm = this.vms.get(event.data.vmId);
        if (vm) {
          vm.predictedSlowdown = event.data.predictedSlowdown;
          vm.share = event.data.share;
          vm.model = event.data.model;
          vm.components = { ...event.data.components };
          vm.shareArithmetic = event.data.shareArithmetic ?? null;
          this.timelines.get(vm.vmId)?.predict(t, event.data.predictedSlowdown, this.now);
        }
        return this.route('twin', event, event.data.gpuId, event.data.vmId);
      }
      case 'twin.observation': {
        const t = this.advance(event.ts);
        const vm = this.vms.get(event.data.vmId);
        if (vm) {
          vm.observedSlowdown = event.data.observedSlowdown;
          this.timelines.get(vm.vmId)?.observe(t, event.data.observedSlowdown, this.now);
        }
        return this.route('twin', event, event.data.gpuId, event.data.vmId);
      }
      case 'alert.raised': {
        const t = this.advance(event.ts);
        const vm = this.vms.get(event.data.vmId);
        if (vm) {
          vm.alert = {
            alertId: event.data.alertId,
            kind: event.data.kind,
            severity: event.data.severity,
            message: event.data.message,
          };
          this.mark(vm.vmId, t, event, 'raised');
        }
        this.pushFeed(event);
        return this.route('alert', event, event.data.gpuId, event.data.vmId);
      }
      case 'alert.resolved': {
        const t = this.advance(event.ts);
        const vm = this.vms.get(event.data.vmId);
        if (vm) {
          if (vm.alert?.alertId === event.data.alertId) vm.alert = null;
          this.mark(vm.vmId, t, event, 'resolved');
        }
        this.pushFeed(event);
        return this.route('alert', event, event.data.gpuId, event.data.vmId);
      }
      case 'placement.suggested':
        this.advance(event.ts);
        this.pushFeed(event);
        return this.route('alert', event, event.data.fromGpuId, event.data.vmId);
      case 'workload.profiled':
        this.profiled.add(event.data.workload);
        return this.routeWorkload(event);
      case 'telemetry.vm_sample':
      case 'telemetry.gpu_sample':
        return null;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  }

  /** The clusters the inventory names. */
  clusterIds(): string[] {
    return [...new Set(this.hosts.values())].sort();
  }

  /** A VM's workload, from its placement (labels of its alerts). */
  workloadOf(vmId: string): string | undefined {
    return this.vms.get(vmId)?.workload;
  }

  /** The cluster a room belongs to (`cluster:`, `host:`, `gpu:` or `vm:`), or null when the inventory does not know it. */
  clusterOfRoom(room: string): string | null {
    const i = room.indexOf(':');
    const kind = room.slice(0, i);
    const id = room.slice(i + 1);
    switch (kind) {
      case 'cluster':
        return id;
      case 'host':
        return this.hosts.get(id) ?? null;
      case 'gpu':
        return this.gpus.get(id)?.clusterId ?? null;
      case 'vm': {
        const vm = this.vms.get(id);
        return vm ? (this.gpus.get(vm.gpuId)?.clusterId ?? null) : null;
      }
      default:
        return null;
    }
  }

  /** The socket.io rooms of a GPU (and VM): its own, its host's and its cluster's. */
  roomsFor(gpuId: string, vmId?: string): string[] {
    const gpu = this.gpus.get(gpuId);
    const rooms = [`gpu:${gpuId}`];
    if (gpu) rooms.push(`host:${gpu.hostId}`, `cluster:${gpu.clusterId}`);
    if (vmId) rooms.push(`vm:${vmId}`);
    return rooms;
  }

  snapshot(): DashboardState {
    const gpus = [...this.gpus.values()].sort((a, b) =>
      a.gpuId.localeCompare(b.gpuId, 'en', { numeric: true }),
    );
    const vms = [...this.vms.values()]
      .sort((a, b) => a.vmId.localeCompare(b.vmId, 'en', { numeric: true }))
      .map((vm): VmState => {
        const timeline = this.timelines.get(vm.vmId);
        return {
          ...vm,
          unprofiled: !this.profiled.has(vm.workload),
          timeline: timeline?.view(this.now) ?? { t: [], predicted: [], observed: [] },
          markers: timeline?.markers(this.now) ?? [],
        };
      });
    return {
      clusters: [...new Set(this.hosts.values())].sort(),
      gpus,
      vms,
      feed: [...this.feed],
      model: this.latestModel?.model ?? null,
      eventTime: Number.isFinite(this.now) ? new Date(this.now).toISOString() : null,
      timelineMinutes: this.timelineMinutes,
    };
  }

  /** Moves event time forward (never back: a late event does not rewind the window); returns the event's time. */
  private advance(ts: string): number {
    const t = Date.parse(ts);
    if (t > this.now) this.now = t;
    return t;
  }

  private mark(
    vmId: string,
    t: number,
    event: AlertRaised | AlertResolved,
    state: AlertMarker['state'],
  ): void {
    this.timelines
      .get(vmId)
      ?.mark({ t, ts: event.ts, state, kind: event.data.kind, alertId: event.data.alertId }, this.now);
  }

  /** A newly profiled workload changes the `unprofiled` badge of every VM running it. */
  private routeWorkload(event: WorkloadProfiled): Routed | null {
    const rooms = new Set<string>();
    for (const vm of this.vms.values()) {
      if (vm.workload !== event.data.workload) continue;
      for (const r of this.route('inventory', event, vm.gpuId, vm.vmId).rooms) rooms.add(r);
    }
    return rooms.size > 0 ? { rooms: [...rooms], channel: 'inventory', event } : null;
  }

  private route(channel: Routed['channel'], event: DomainEvent, gpuId: string, vmId?: string): Routed {
    return { rooms: this.roomsFor(gpuId, vmId), channel, event };
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
}
