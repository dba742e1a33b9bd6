import type { InventoryEvent, SchedulingPolicy, TelemetryEvent, VmSample } from '@vgpu-twin/contracts';
import type { AlibabaNode } from '@vgpu-twin/placement';
import { findGpu, findProfile, mulberry32, type Rng } from '@vgpu-twin/scheduler';
import { catalogueWorkload } from '../catalogue';
import { profileWorkload, type WorkloadProfile } from '../profile';
import { seedFor } from '../seed';
import { createGroundTruth, type GroundTruth } from '../truth';
import { buildCluster, orderedTimeline, type SimCluster, type SimGpu, type SimVm } from './cluster';
import type { Scenario, TimelineAction } from './schema';

/**
 * Runs a scenario as a fleet of host agents would report it: the inventory once, then per tick
 * the timeline's changes and one sample per VM and per GPU. Pure and deterministic: time is
 * `startMs + tick × stepMs`, randomness comes from the seed, so the same scenario and seed give
 * the same events, byte for byte.
 *
 * All telemetry derives from the ground truth (libs/scheduler's discrete-event `simulate` of each
 * GPU's current co-location set, through `GroundTruth`), never from the twin's own models: the
 * true slowdown s and GPU-time share g of each VM give
 * - gpuUtilPct = 100 g, memUtilPct = 100 g × the workload's memory intensity;
 * - PCIe rates and vCPU = the workload's solo profile ÷ s (the loop runs s times slower);
 * - progressRate = the solo progress rate of what the VM really runs ÷ s (null when it exports none);
 * - fbUsedMib = the workload's framebuffer use, or a `framebuffer` action's linear growth;
 * - VM memory = the catalogue's, unchanged by contention;
 * each times (1 ± noise), uniform, with the scenario's `noise` fractions (default 2% on
 * utilisations and progress, 1% on framebuffer: small next to the twin's 1.5× SLO and 95% headroom
 * thresholds, so the twin sees the truth rather than the noise).
 *
 * A `phase` action changes what a VM runs but not its inventory (`vm.placed` still names the old
 * workload): the twin has to notice from the telemetry alone.
 */

export interface ScenarioRunOptions {
  /** Event time of the inventory and of tick 0, ms since the epoch. */
  readonly startMs: number;
  /** Event time per tick, ms. */
  readonly stepMs: number;
  /** Default the scenario's seed. */
  readonly seed?: number;
  /** Default `createGroundTruth({ seed })`; pass one to share its memo between runs. */
  readonly truth?: GroundTruth;
  /** The Alibaba topology, for a `cluster.alibaba` scenario. */
  readonly alibabaNodes?: readonly AlibabaNode[];
  /** The events' `source`; default `simulator`. */
  readonly source?: string;
}

/** One VM's ground truth at one tick. */
export interface VmTruth {
  readonly vmId: string;
  readonly gpuId: string;
  /** The inventory's workload, and what the VM really runs (they differ after a `phase` action). */
  readonly workload: string;
  readonly runs: string;
  readonly slowdown: number;
  readonly share: number;
  readonly fbUsedMib: number;
  readonly framebufferMib: number;
}

export interface ScenarioTick {
  readonly tick: number;
  /** Seconds of event time since the start. */
  readonly elapsedS: number;
  readonly ts: string;
  /** Timeline actions applied at this tick, in the order applied. */
  readonly applied: readonly TimelineAction[];
  readonly inventory: InventoryEvent[];
  readonly telemetry: TelemetryEvent[];
  readonly truth: readonly VmTruth[];
}

/** A VM as it is now: its inventory, and what it really runs (they differ after a `phase` action). */
export interface LiveVm extends SimVm {
  readonly runs: string;
}

export interface LiveGpu extends Omit<SimGpu, 'vms'> {
  readonly vms: readonly LiveVm[];
}

export interface ScenarioRun {
  readonly scenario: Scenario;
  /** The cluster at the start (sampled, for an Alibaba scenario). */
  readonly cluster: SimCluster;
  /** The scenario's `durationS`, else its last timeline action + 60 s. */
  readonly durationS: number;
  /** Events at the start: workload profiles, hosts, GPUs, placements. */
  inventory(): InventoryEvent[];
  /** The next tick: due timeline actions first, then the samples. */
  tick(): ScenarioTick;
  /** The cluster as it is now (after the ticks run so far). */
  gpus(): readonly LiveGpu[];
  /** Ticks run so far; the next tick's number. */
  readonly ticks: number;
  /** Whether the next tick would start at or after `durationS`. */
  readonly done: boolean;
}

/**
 * Solo profiles are a pure function of (workload, seed), and each is a 10 s simulation: remembered
 * across runs, as an operator measures a workload once.
 */
const profiles = new Map<string, WorkloadProfile>();
function soloProfile(name: string, seed: number): WorkloadProfile {
  const key = `${name}@${seed}`;
  let p = profiles.get(key);
  if (!p) profiles.set(key, (p = profileWorkload(catalogueWorkload(name), { seed })));
  return p;
}

/** Seconds after the last timeline action that a run lasts by default: time to see the aftermath. */
export const AFTERMATH_S = 60;

export function scenarioDurationS(scenario: Scenario): number {
  return scenario.durationS ?? Math.max(0, ...scenario.timeline.map((a) => a.atS)) + AFTERMATH_S;
}

interface Vm {
  vmId: string;
  gpuId: string;
  profile: string;
  framebufferMib: number;
  workload: string;
  runs: string;
  sloSlowdown?: number;
  progress: boolean;
  /** A framebuffer action's linear ramp, when one applies. */
  ramp: { fromMib: number; toMib: number; startS: number; overS: number } | null;
}
interface Gpu {
  gpuId: string;
  hostId: string;
  model: string;
  framebufferMib: number;
  policy: SchedulingPolicy;
  timeSliceMs: number;
  vms: string[];
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const sig4 = (x: number): number => Number(x.toPrecision(4));
const pct = (x: number): number => round2(Math.min(100, Math.max(0, x)));

export function createScenarioRun(scenario: Scenario, options: ScenarioRunOptions): ScenarioRun {
  const cluster = buildCluster(scenario, options.alibabaNodes ? { alibabaNodes: options.alibabaNodes } : {});
  const seed = options.seed ?? scenario.seed;
  const truth = options.truth ?? createGroundTruth({ seed });
  const source = options.source ?? 'simulator';
  const noise = scenario.noise;
  const rng: Rng = mulberry32(seedFor('measurement-noise', seed));
  const jitter = (scale: number): number => 1 + (rng() * 2 - 1) * scale;
  const timeline = orderedTimeline(scenario.timeline);
  const durationS = scenarioDurationS(scenario);

  const profileOf = (name: string) => soloProfile(name, seed);

  const gpus = new Map<string, Gpu>();
  const vms = new Map<string, Vm>();
  for (const g of cluster.gpus) {
    gpus.set(g.gpuId, { ...g, vms: g.vms.map((v) => v.vmId) });
    for (const v of g.vms) vms.set(v.vmId, { ...v, runs: v.workload, ramp: null });
  }

  let tick = 0;
  let next = 0; // the next timeline action to apply
  const envelope = (id: string, ts: string) => ({ id, ts, version: 1 as const, source });
  const iso = (t: number) => new Date(options.startMs + t * options.stepMs).toISOString();
  const elapsedOf = (t: number) => (t * options.stepMs) / 1000;

  const fbUse = (vm: Vm, atS: number): number => {
    if (!vm.ramp) return catalogueWorkload(vm.runs).fbMib;
    const { fromMib, toMib, startS, overS } = vm.ramp;
    const f = overS > 0 ? Math.min(1, Math.max(0, (atS - startS) / overS)) : 1;
    return fromMib + (toMib - fromMib) * f;
  };

  const placed = (vm: Vm, id: string, ts: string): InventoryEvent => ({
    ...envelope(id, ts),
    type: 'vm.placed',
    data: {
      vmId: vm.vmId,
      gpuId: vm.gpuId,
      profile: vm.profile,
      framebufferMib: vm.framebufferMib,
      workload: vm.workload,
      ...(vm.sloSlowdown !== undefined ? { sloSlowdown: vm.sloSlowdown } : {}),
    },
  });

  /** Applies one timeline action; its inventory event, if it has one (phases and growth have none). */
  const apply = (a: TimelineAction, index: number, ts: string): InventoryEvent | null => {
    const id = `sim:t${index}:${a.action}:${a.action === 'policy' ? a.gpu : a.vm}`;
    switch (a.action) {
      case 'place': {
        const gpu = gpus.get(a.gpu)!;
        const p = findProfile(findGpu(gpu.model), a.profile);
        const vm: Vm = {
          vmId: a.vm,
          gpuId: gpu.gpuId,
          profile: p.shortName,
          framebufferMib: p.framebufferMib,
          workload: a.workload,
          runs: a.workload,
          ...(a.sloSlowdown !== undefined ? { sloSlowdown: a.sloSlowdown } : {}),
          progress: a.progress,
          ramp: null,
        };
        vms.set(vm.vmId, vm);
        gpu.vms.push(vm.vmId);
        return placed(vm, id, ts);
      }
      case 'remove': {
        const vm = vms.get(a.vm)!;
        const gpu = gpus.get(vm.gpuId)!;
        gpu.vms = gpu.vms.filter((v) => v !== vm.vmId);
        vms.delete(vm.vmId);
        return { ...envelope(id, ts), type: 'vm.removed', data: { vmId: vm.vmId, gpuId: gpu.gpuId } };
      }
      case 'migrate': {
        const vm = vms.get(a.vm)!;
        const from = gpus.get(vm.gpuId)!;
        const to = gpus.get(a.to)!;
        const p = findProfile(findGpu(to.model), a.profile ?? vm.profile);
        from.vms = from.vms.filter((v) => v !== vm.vmId);
        to.vms.push(vm.vmId);
        Object.assign(vm, { gpuId: to.gpuId, profile: p.shortName, framebufferMib: p.framebufferMib });
        return {
          ...envelope(id, ts),
          type: 'vm.migrated',
          data: {
            vmId: vm.vmId,
            fromGpuId: from.gpuId,
            toGpuId: to.gpuId,
            profile: p.shortName,
            framebufferMib: p.framebufferMib,
          },
        };
      }
      case 'phase': {
        const vm = vms.get(a.vm)!;
        vm.runs = a.workload;
        vm.ramp = null; // a new job: its own framebuffer use
        return null;
      }
      case 'framebuffer': {
        const vm = vms.get(a.vm)!;
        vm.ramp = { fromMib: a.fromMib ?? fbUse(vm, a.atS), toMib: a.toMib, startS: a.atS, overS: a.overS };
        return null;
      }
      case 'policy': {
        const gpu = gpus.get(a.gpu)!;
        gpu.policy = a.policy;
        if (a.timeSliceMs !== undefined) gpu.timeSliceMs = a.timeSliceMs;
        return {
          ...envelope(id, ts),
          type: 'gpu.policy_changed',
          data: {
            gpuId: gpu.gpuId,
            policy: a.policy,
            ...(a.timeSliceMs !== undefined ? { timeSliceMs: a.timeSliceMs } : {}),
          },
        };
      }
      default: {
        const _exhaustive: never = a;
        return _exhaustive;
      }
    }
  };

  const samples = (tickNo: number, elapsedS: number, ts: string) => {
    const telemetry: TelemetryEvent[] = [];
    const truths: VmTruth[] = [];
    for (const gpu of gpus.values()) {
      const members = gpu.vms.map((v) => vms.get(v)!);
      const results =
        members.length > 0
          ? truth.run(
              gpu,
              members.map((v) => ({ framebufferMib: v.framebufferMib, workload: v.runs })),
            )
          : [];
      let util = 0;
      let mem = 0;
      let fb = 0;
      members.forEach((vm, i) => {
        const { slowdown, share } = results[i]!;
        const w = catalogueWorkload(vm.runs);
        const solo = profileOf(vm.runs);
        const speed = Number.isFinite(slowdown) && slowdown > 0 ? 1 / slowdown : 0;
        const intensity = w.workload.kind === 'active' ? w.workload.memoryIntensity : 0;
        const used = fbUse(vm, elapsedS);
        const data: VmSample['data'] = {
          vmId: vm.vmId,
          gpuId: gpu.gpuId,
          gpuUtilPct: pct(100 * share * jitter(noise.util)),
          memUtilPct: pct(100 * share * intensity * jitter(noise.util)),
          fbUsedMib: Math.round(Math.min(vm.framebufferMib, used * jitter(noise.framebuffer))),
          pcieRxMBps: round2(solo.features.pcieRxMBps * speed * jitter(noise.util)),
          pcieTxMBps: round2(solo.features.pcieTxMBps * speed * jitter(noise.util)),
          vcpuUtilPct: pct(w.vcpuUtilPct * speed * jitter(noise.util)),
          vmMemUtilPct: pct(w.vmMemUtilPct * jitter(noise.util)),
          progressRate: null,
        };
        const progress = sig4(w.soloProgressRate * speed * jitter(noise.progress));
        if (vm.progress) data.progressRate = progress;
        util += data.gpuUtilPct;
        mem += data.memUtilPct;
        fb += data.fbUsedMib;
        telemetry.push({ ...envelope(`sim:${vm.vmId}:${tickNo}`, ts), type: 'telemetry.vm_sample', data });
        truths.push({
          vmId: vm.vmId,
          gpuId: gpu.gpuId,
          workload: vm.workload,
          runs: vm.runs,
          slowdown,
          share,
          fbUsedMib: used,
          framebufferMib: vm.framebufferMib,
        });
      });
      telemetry.push({
        ...envelope(`sim:${gpu.gpuId}:${tickNo}`, ts),
        type: 'telemetry.gpu_sample',
        data: {
          gpuId: gpu.gpuId,
          hostId: gpu.hostId,
          gpuUtilPct: pct(util),
          memUtilPct: pct(mem),
          fbUsedMib: fb,
          fbTotalMib: gpu.framebufferMib,
        },
      });
    }
    return { telemetry, truths };
  };

  return {
    scenario,
    cluster,
    durationS,
    get ticks() {
      return tick;
    },
    get done() {
      return elapsedOf(tick) >= durationS;
    },
    inventory() {
      const ts = iso(0);
      const out: InventoryEvent[] = [];
      for (const name of workloadsUsed(scenario, cluster)) {
        const p = profileOf(name);
        // A workload that makes no progress (idle) has no solo rate to report: the contract needs one > 0.
        if (!(p.soloProgressRate > 0)) continue;
        out.push({
          ...envelope(`sim:workload:${name}`, ts),
          type: 'workload.profiled',
          data: {
            workload: name,
            features: p.features,
            soloProgressRate: p.soloProgressRate,
            progressUnit: p.progressUnit,
          },
        });
      }
      for (const h of cluster.hosts) {
        out.push({
          ...envelope(`sim:host:${h.hostId}`, ts),
          type: 'host.registered',
          data: {
            hostId: h.hostId,
            clusterId: cluster.clusterId,
            ...(h.cpuCores !== undefined ? { cpuCores: h.cpuCores } : {}),
            ...(h.memoryMib !== undefined ? { memoryMib: h.memoryMib } : {}),
            homogeneousProfiles: h.homogeneousProfiles,
          },
        });
      }
      for (const g of cluster.gpus) {
        out.push({
          ...envelope(`sim:gpu:${g.gpuId}`, ts),
          type: 'gpu.registered',
          data: {
            gpuId: g.gpuId,
            hostId: g.hostId,
            model: g.model,
            framebufferMib: g.framebufferMib,
            policy: g.policy,
            timeSliceMs: g.timeSliceMs,
          },
        });
        for (const v of g.vms)
          out.push(placed({ ...v, runs: v.workload, ramp: null }, `sim:placed:${v.vmId}`, ts));
      }
      return out;
    },
    tick() {
      const t = tick++;
      const elapsedS = elapsedOf(t);
      const ts = iso(t);
      const inventory: InventoryEvent[] = [];
      const applied: TimelineAction[] = [];
      while (next < timeline.length && timeline[next]!.action.atS <= elapsedS) {
        const { action, index } = timeline[next++]!;
        applied.push(action);
        const e = apply(action, index, ts);
        if (e) inventory.push(e);
      }
      const { telemetry, truths } = samples(t, elapsedS, ts);
      return { tick: t, elapsedS, ts, applied, inventory, telemetry, truth: truths };
    },
    gpus() {
      return [...gpus.values()].map((g) => ({
        gpuId: g.gpuId,
        hostId: g.hostId,
        model: g.model,
        framebufferMib: g.framebufferMib,
        policy: g.policy,
        timeSliceMs: g.timeSliceMs,
        vms: g.vms.map((id) => {
          const { ramp: _ramp, ...vm } = vms.get(id)!;
          return vm;
        }),
      }));
    },
  };
}

/** Catalogue workloads a scenario mentions anywhere, in order of first mention. */
export function workloadsUsed(scenario: Scenario, cluster: SimCluster): string[] {
  const names = new Set<string>();
  for (const g of cluster.gpus) for (const v of g.vms) names.add(v.workload);
  for (const a of scenario.timeline) if (a.action === 'place' || a.action === 'phase') names.add(a.workload);
  return [...names];
}

export interface RecordedRun {
  /** The inventory at the start, then the timeline's inventory events in order. */
  readonly inventory: InventoryEvent[];
  readonly telemetry: TelemetryEvent[];
}

/** Runs `ticks` ticks of `run` and returns everything it emitted, split by stream. */
export function recordRun(run: ScenarioRun, ticks: number): RecordedRun {
  const inventory = run.inventory();
  const telemetry: TelemetryEvent[] = [];
  for (let i = 0; i < ticks; i++) {
    const t = run.tick();
    inventory.push(...t.inventory);
    telemetry.push(...t.telemetry);
  }
  return { inventory, telemetry };
}
