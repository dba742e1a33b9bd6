import type { InventoryEvent, TelemetryEvent, SchedulingPolicy } from '@vgpu-twin/contracts';
import { mulberry32 } from '@vgpu-twin/scheduler';
import { gpuShares, slowdownFromShare } from '@vgpu-twin/twin-core';

export { mulberry32 };

export interface WorkloadSpec {
  readonly name: string;
  /** Solo GPU utilisation on a full GPU, %: the demand the scheduler must serve. */
  readonly gpuUtilPct: number;
  readonly memUtilPct: number;
  readonly fbMib: number;
  readonly pcieRxMBps: number;
  readonly pcieTxMBps: number;
  readonly vcpuUtilPct: number;
  readonly kernelMs: number;
  /** Steps per second alone. */
  readonly soloProgressRate: number;
}

/**
 * Deep-learning workloads in the spirit of Xu et al. (HotCloud 2019) and Gavel's job types.
 * Utilisations and rates are illustrative, not measured: the simulator's ground truth is the
 * share model, so only their relative sizes matter.
 */
export const WORKLOADS: readonly WorkloadSpec[] = [
  {
    name: 'resnet50-train',
    gpuUtilPct: 92,
    memUtilPct: 45,
    fbMib: 6200,
    pcieRxMBps: 160,
    pcieTxMBps: 8,
    vcpuUtilPct: 40,
    kernelMs: 0.35,
    soloProgressRate: 9.6,
  },
  {
    name: 'transformer-train',
    gpuUtilPct: 85,
    memUtilPct: 55,
    fbMib: 7000,
    pcieRxMBps: 40,
    pcieTxMBps: 6,
    vcpuUtilPct: 30,
    kernelMs: 0.6,
    soloProgressRate: 5.2,
  },
  {
    name: 'lstm-train',
    gpuUtilPct: 62,
    memUtilPct: 30,
    fbMib: 3100,
    pcieRxMBps: 25,
    pcieTxMBps: 4,
    vcpuUtilPct: 55,
    kernelMs: 0.12,
    soloProgressRate: 14.0,
  },
  {
    name: 'bert-infer',
    gpuUtilPct: 38,
    memUtilPct: 20,
    fbMib: 2600,
    pcieRxMBps: 60,
    pcieTxMBps: 30,
    vcpuUtilPct: 35,
    kernelMs: 0.2,
    soloProgressRate: 120.0,
  },
  {
    name: 'recsys-infer',
    gpuUtilPct: 24,
    memUtilPct: 15,
    fbMib: 1800,
    pcieRxMBps: 90,
    pcieTxMBps: 45,
    vcpuUtilPct: 60,
    kernelMs: 0.08,
    soloProgressRate: 900.0,
  },
  {
    name: 'a3c-train',
    gpuUtilPct: 22,
    memUtilPct: 10,
    fbMib: 1200,
    pcieRxMBps: 15,
    pcieTxMBps: 3,
    vcpuUtilPct: 85,
    kernelMs: 0.05,
    soloProgressRate: 48.0,
  },
  {
    name: 'cyclegan-train',
    gpuUtilPct: 78,
    memUtilPct: 50,
    fbMib: 5200,
    pcieRxMBps: 35,
    pcieTxMBps: 5,
    vcpuUtilPct: 25,
    kernelMs: 1.4,
    soloProgressRate: 3.1,
  },
];

export interface SimVm {
  readonly vmId: string;
  readonly gpuId: string;
  readonly profile: string;
  readonly framebufferMib: number;
  readonly workload: WorkloadSpec;
  /** A batch job tolerates more slowdown than the default SLO. */
  readonly sloSlowdown?: number;
}
export interface SimGpu {
  readonly gpuId: string;
  readonly hostId: string;
  readonly policy: SchedulingPolicy;
  readonly vms: readonly SimVm[];
}
export interface SimCluster {
  readonly clusterId: string;
  readonly hosts: readonly string[];
  readonly gpus: readonly SimGpu[];
  /** The injected incident: `aggressor` turns GPU-heavy and slows `victim`, on the same GPU. */
  readonly incident: { readonly gpuId: string; readonly victim: string; readonly aggressor: string };
}

export interface ClusterOptions {
  readonly seed: number;
  readonly hosts: number;
  readonly gpusPerHost: number;
}

const V100_FB_MIB = 16384; // V100-16GB
const MODEL = 'V100-16GB';
/** Placements whose predicted slowdown exceeds this are redrawn: a healthy cluster before the incident. */
const CALM_SLOWDOWN = 1.3;
/** The incident's aggressor is a batch job: it is slowed too, but tolerates up to 3× by its SLO. */
const BATCH_SLO = 3;
const byName = (n: string) => WORKLOADS.find((w) => w.name === n)!;
/**
 * The lone VM beside the free 8Q slot: light (24% of the GPU), so either of the incident's pair
 * would run next to it at ≤ 1.2× — a move the twin can suggest.
 */
const SPARE_SLOT_WORKLOAD = 'recsys-infer';

/**
 * A cluster of `hosts` × `gpusPerHost` V100-16GB under best effort, 2–4 VMs per GPU (8Q for two,
 * 4Q for three or four; one profile size per host, as the vGPU releases studied require), drawn so
 * that nobody is slowed much until the incident. The first GPU holds the incident's pair; the
 * first host's second GPU (where there is one) holds a single light 8Q VM, so the incident's
 * alert has somewhere to send one of the pair: the only free 8Q slot in the cluster, on a host
 * already pinned to 8Q (the other hosts' GPUs are full, or run 4Q, which an 8Q VM cannot join).
 */
export function buildCluster(o: ClusterOptions): SimCluster {
  const rng = mulberry32(o.seed);
  const hosts = Array.from({ length: o.hosts }, (_, h) => `host-${h + 1}`);
  const gpus: SimGpu[] = [];
  let vmCount = 0;
  const nextVm = () => `vm-${String(++vmCount).padStart(3, '0')}`;
  hosts.forEach((hostId, h) => {
    const perGpu = h === 0 ? 2 : 2 + Math.floor(rng() * 3);
    const profile = perGpu === 2 ? '8Q' : '4Q';
    const fb = perGpu === 2 ? 8192 : 4096;
    for (let g = 0; g < o.gpusPerHost; g++) {
      const gpuId = `${hostId}-gpu-${g}`;
      let names: string[];
      if (h === 0 && g === 0) {
        names = ['resnet50-train', 'a3c-train']; // 92% + 22%: resnet50 keeps ~0.78 of the GPU, 1.18×
      } else if (h === 0 && g === 1) {
        names = [SPARE_SLOT_WORKLOAD];
      } else {
        do
          names = Array.from({ length: perGpu }, () => WORKLOADS[Math.floor(rng() * WORKLOADS.length)]!.name);
        while (worstSlowdown(names.map(byName)) > CALM_SLOWDOWN);
      }
      gpus.push({
        gpuId,
        hostId,
        policy: 'best_effort',
        vms: names.map((n) => ({
          vmId: nextVm(),
          gpuId,
          profile,
          framebufferMib: fb,
          workload: byName(n),
          ...(h === 0 && g === 0 && n === 'a3c-train' ? { sloSlowdown: BATCH_SLO } : {}),
        })),
      });
    }
  });
  const first = gpus[0]!;
  return {
    clusterId: 'sim-cluster',
    hosts,
    gpus,
    incident: { gpuId: first.gpuId, victim: first.vms[0]!.vmId, aggressor: first.vms[1]!.vmId },
  };
}

function worstSlowdown(ws: readonly WorkloadSpec[]): number {
  const shares = gpuShares(
    'best_effort',
    ws.map((w) => ({ demand: w.gpuUtilPct / 100, framebufferMib: 0 })),
    V100_FB_MIB,
  );
  return Math.max(...ws.map((w, i) => slowdownFromShare(w.gpuUtilPct / 100, shares[i]!)));
}

const envelope = (id: string, ts: string) => ({ id, ts, version: 1 as const, source: 'simulator' });

export function inventoryEvents(c: SimCluster, ts: string): InventoryEvent[] {
  const out: InventoryEvent[] = [];
  for (const w of WORKLOADS) {
    out.push({
      ...envelope(`sim:workload:${w.name}`, ts),
      type: 'workload.profiled',
      data: {
        workload: w.name,
        features: {
          gpuUtilPct: w.gpuUtilPct,
          memUtilPct: w.memUtilPct,
          fbMib: w.fbMib,
          pcieRxMBps: w.pcieRxMBps,
          pcieTxMBps: w.pcieTxMBps,
          vcpuUtilPct: w.vcpuUtilPct,
          kernelMs: w.kernelMs,
        },
        soloProgressRate: w.soloProgressRate,
        progressUnit: 'steps',
      },
    });
  }
  for (const hostId of c.hosts) {
    out.push({
      ...envelope(`sim:host:${hostId}`, ts),
      type: 'host.registered',
      data: {
        hostId,
        clusterId: c.clusterId,
        cpuCores: 64,
        memoryMib: 512 * 1024,
        homogeneousProfiles: true,
      },
    });
  }
  for (const g of c.gpus) {
    out.push({
      ...envelope(`sim:gpu:${g.gpuId}`, ts),
      type: 'gpu.registered',
      data: {
        gpuId: g.gpuId,
        hostId: g.hostId,
        model: MODEL,
        framebufferMib: V100_FB_MIB,
        policy: g.policy,
        timeSliceMs: 1,
      },
    });
    for (const vm of g.vms) {
      out.push({
        ...envelope(`sim:placed:${vm.vmId}`, ts),
        type: 'vm.placed',
        data: {
          vmId: vm.vmId,
          gpuId: g.gpuId,
          profile: vm.profile,
          framebufferMib: vm.framebufferMib,
          workload: vm.workload.name,
          ...(vm.sloSlowdown !== undefined ? { sloSlowdown: vm.sloSlowdown } : {}),
        },
      });
    }
  }
  return out;
}

export interface IncidentWindow {
  /** Seconds of event time after the start when the aggressor turns heavy, and when it calms down (0: never). */
  readonly startS: number;
  readonly endS: number;
}

/** What the aggressor asks for during the incident, % of the GPU. */
const INCIDENT_DEMAND_PCT = 98;
/** Ground truth beyond the share model: a small context-switch cost whenever the GPU is shared (DESIGN.md: up to ~30% for simple kernels). */
const SWITCH_OVERHEAD = 0.03;

/**
 * One tick of telemetry: every VM's sample and every GPU's, with seeded noise. Ground truth is the
 * share model on the VMs' true demands — including the aggressor's during the incident, which the
 * inventory's workload profile does not know about.
 */
export function telemetryAt(
  c: SimCluster,
  tick: number,
  elapsedS: number,
  ts: string,
  rng: () => number,
  incident: IncidentWindow,
): TelemetryEvent[] {
  const out: TelemetryEvent[] = [];
  const inIncident = elapsedS >= incident.startS && (incident.endS === 0 || elapsedS < incident.endS);
  const noise = (scale: number) => 1 + (rng() * 2 - 1) * scale;
  for (const g of c.gpus) {
    const demands = g.vms.map(
      (vm) =>
        (inIncident && vm.vmId === c.incident.aggressor ? INCIDENT_DEMAND_PCT : vm.workload.gpuUtilPct) / 100,
    );
    const shares = gpuShares(
      g.policy,
      g.vms.map((vm, i) => ({ demand: demands[i]!, framebufferMib: vm.framebufferMib })),
      V100_FB_MIB,
    );
    const active = demands.filter((d) => d > 0).length;
    let gpuUtil = 0;
    let fbUsed = 0;
    g.vms.forEach((vm, i) => {
      const slowdown = slowdownFromShare(demands[i]!, shares[i]!) * (active > 1 ? 1 + SWITCH_OVERHEAD : 1);
      const util = Math.min(100, Math.max(0, shares[i]! * 100 * noise(0.02)));
      const fb = Math.min(vm.framebufferMib, vm.workload.fbMib * noise(0.01));
      gpuUtil += util;
      fbUsed += fb;
      out.push({
        ...envelope(`sim:${vm.vmId}:${tick}`, ts),
        type: 'telemetry.vm_sample',
        data: {
          vmId: vm.vmId,
          gpuId: g.gpuId,
          gpuUtilPct: round(util),
          memUtilPct: round(Math.min(100, vm.workload.memUtilPct * noise(0.05))),
          fbUsedMib: Math.round(fb),
          pcieRxMBps: round(vm.workload.pcieRxMBps * noise(0.1)),
          pcieTxMBps: round(vm.workload.pcieTxMBps * noise(0.1)),
          vcpuUtilPct: round(Math.min(100, vm.workload.vcpuUtilPct * noise(0.05))),
          vmMemUtilPct: round(Math.min(100, 40 * noise(0.05))),
          progressRate: round((vm.workload.soloProgressRate / slowdown) * noise(0.02)),
        },
      });
    });
    out.push({
      ...envelope(`sim:${g.gpuId}:${tick}`, ts),
      type: 'telemetry.gpu_sample',
      data: {
        gpuId: g.gpuId,
        hostId: g.hostId,
        gpuUtilPct: round(Math.min(100, gpuUtil)),
        memUtilPct: round(Math.min(100, gpuUtil * 0.5)),
        fbUsedMib: Math.round(fbUsed),
        fbTotalMib: V100_FB_MIB,
      },
    });
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
