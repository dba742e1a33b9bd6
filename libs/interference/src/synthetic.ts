import {
  DEFAULT_PCIE_LINK_MBPS,
  mulberry32,
  normal,
  normalCdf,
  simulate,
  type ActiveWorkload,
} from '@vgpu-twin/scheduler';
import type { PairRow, Profiles } from './csv';

/**
 * SYNTHETIC training data in the shape of Xu et al.'s (HotCloud 2019): 7 deep-learning model
 * types × 2 batch sizes = 14 workloads, all 196 ordered pairs (a workload next to a copy of
 * itself included), best effort, two 8Q vGPUs on a 16 GB GPU.
 *
 * Each workload is a scheduler-lib loop with lognormal kernel lengths, exponential CPU steps and
 * occasional host phases (data loading, optimizer). Its solo profile is computed from that
 * loop's distributions, as a profiler would measure it, with 2% measurement noise; the pair
 * slowdowns come from the discrete-event `simulate` (3 s per pair) times 3% log-normal
 * measurement noise. The profile is a lossy summary of the loop (no kernel-length spread beyond
 * the long/short split, no host-phase period), so no model sees the ground truth's parameters.
 * The workload shapes are ours, plausible for their model types, not measured traces.
 */
interface ModelType {
  readonly name: string;
  readonly batches: readonly [number, number];
  /** Median kernel at the small batch, ms; the large batch scales it by `batchScale`. */
  readonly kernelMs: number;
  readonly sigma: number;
  readonly cpuMs: number;
  readonly pcieMs: number;
  readonly mem: number;
  readonly hostEvery: number;
  readonly hostMs: number;
  readonly threads: number;
  readonly vmMemPct: number;
}

const MODEL_TYPES: readonly ModelType[] = [
  {
    name: 'resnet50',
    batches: [32, 128],
    kernelMs: 0.35,
    sigma: 0.8,
    cpuMs: 0.03,
    pcieMs: 0.03,
    mem: 0.5,
    hostEvery: 150,
    hostMs: 6,
    threads: 256,
    vmMemPct: 45,
  },
  {
    name: 'vgg16',
    batches: [32, 128],
    kernelMs: 0.9,
    sigma: 0.7,
    cpuMs: 0.02,
    pcieMs: 0.04,
    mem: 0.35,
    hostEvery: 120,
    hostMs: 8,
    threads: 512,
    vmMemPct: 55,
  },
  {
    name: 'mobilenet',
    batches: [16, 64],
    kernelMs: 0.08,
    sigma: 0.6,
    cpuMs: 0.06,
    pcieMs: 0.02,
    mem: 0.6,
    hostEvery: 100,
    hostMs: 3,
    threads: 128,
    vmMemPct: 30,
  },
  {
    name: 'inception3',
    batches: [32, 128],
    kernelMs: 0.25,
    sigma: 1.0,
    cpuMs: 0.04,
    pcieMs: 0.03,
    mem: 0.45,
    hostEvery: 200,
    hostMs: 7,
    threads: 256,
    vmMemPct: 50,
  },
  {
    name: 'lstm',
    batches: [16, 64],
    kernelMs: 0.05,
    sigma: 0.5,
    cpuMs: 0.08,
    pcieMs: 0.01,
    mem: 0.7,
    hostEvery: 80,
    hostMs: 2,
    threads: 64,
    vmMemPct: 25,
  },
  {
    name: 'bert',
    batches: [8, 32],
    kernelMs: 0.6,
    sigma: 1.1,
    cpuMs: 0.02,
    pcieMs: 0.01,
    mem: 0.65,
    hostEvery: 300,
    hostMs: 10,
    threads: 384,
    vmMemPct: 65,
  },
  {
    name: 'gpt2',
    batches: [4, 16],
    kernelMs: 1.2,
    sigma: 0.9,
    cpuMs: 0.015,
    pcieMs: 0.01,
    mem: 0.75,
    hostEvery: 400,
    hostMs: 12,
    threads: 512,
    vmMemPct: 70,
  },
];

/** Large batch: longer kernels and host phases, more data over PCIe per kernel. */
const BATCH_KERNEL_SCALE = 2.2;
const BATCH_HOST_SCALE = 1.8;
const BATCH_PCIE_SCALE = 2.5;

export interface SyntheticWorkload {
  readonly name: string;
  readonly workload: ActiveWorkload;
}

export function syntheticWorkloads(): SyntheticWorkload[] {
  return MODEL_TYPES.flatMap((m) =>
    m.batches.map((b, bi) => {
      const k = bi === 0 ? 1 : BATCH_KERNEL_SCALE;
      const h = bi === 0 ? 1 : BATCH_HOST_SCALE;
      const p = bi === 0 ? 1 : BATCH_PCIE_SCALE;
      const name = `${m.name}-bs${b}`;
      return {
        name,
        workload: {
          kind: 'active',
          name,
          kernel: { kind: 'lognormal', medianMs: m.kernelMs * k, sigma: m.sigma },
          cpu: { kind: 'exponential', meanMs: m.cpuMs },
          pcie: { kind: 'fixed', ms: m.pcieMs * p },
          memoryIntensity: m.mem,
          hostPhase: { everyKernels: m.hostEvery, ms: { kind: 'exponential', meanMs: m.hostMs * h } },
        },
      } satisfies SyntheticWorkload;
    }),
  );
}

/** A "long" kernel runs > 1 ms (the study's class boundary, DESIGN.md). */
const LONG_KERNEL_MS = 1;

export const SYNTHETIC_COLUMNS = [
  'gpu_util',
  'mem_util',
  'fb_mib',
  'pcie_rx_mbps',
  'pcie_tx_mbps',
  'vcpu_util',
  'vm_mem_util',
  'threads_per_kernel',
  'kernel_ms',
  'long_kernel_ms',
  'long_short_ratio',
] as const;

/** The solo profile a profiler would report for the loop (noise-free). */
function soloProfile(
  w: SyntheticWorkload,
  m: ModelType,
  batch: number,
): Record<(typeof SYNTHETIC_COLUMNS)[number], number> {
  const wl = w.workload;
  const kd = wl.kernel as { medianMs: number; sigma: number };
  const mu = Math.log(kd.medianMs);
  const s = kd.sigma;
  const meanK = kd.medianMs * Math.exp((s * s) / 2);
  const pLong = 1 - normalCdf((Math.log(LONG_KERNEL_MS) - mu) / s);
  // E[K | K > c] for a lognormal: e^{μ+σ²/2} Φ((μ + σ² − ln c)/σ) / P(K > c)
  const longMean =
    pLong > 1e-9 ? (meanK * normalCdf((mu + s * s - Math.log(LONG_KERNEL_MS)) / s)) / pLong : 0;
  const cpu = (wl.cpu as { meanMs: number }).meanMs;
  const pcie = (wl.pcie as { ms: number }).ms;
  const host = wl.hostPhase!;
  const hostPerKernel = (host.ms as { meanMs: number }).meanMs / host.everyKernels;
  const cycle = meanK + cpu + pcie + hostPerKernel;
  const pcieMBps = (pcie / cycle) * DEFAULT_PCIE_LINK_MBPS;
  return {
    gpu_util: (100 * meanK) / cycle,
    mem_util: (100 * wl.memoryIntensity * meanK) / cycle,
    fb_mib: Math.round(1024 * (1 + (m.vmMemPct / 100) * 6 * (batch / m.batches[0]) ** 0.5)),
    pcie_rx_mbps: pcieMBps * 0.85,
    pcie_tx_mbps: pcieMBps * 0.15,
    vcpu_util: (100 * (cpu + hostPerKernel)) / cycle,
    vm_mem_util: m.vmMemPct * (batch === m.batches[0] ? 1 : 1.3),
    threads_per_kernel: m.threads * (batch === m.batches[0] ? 1 : 2),
    kernel_ms: meanK,
    long_kernel_ms: longMean,
    long_short_ratio: pLong / (1 - pLong),
  };
}

const round = (v: number, digits: number) => Number(v.toPrecision(digits));

export interface SyntheticData {
  readonly profiles: Profiles;
  readonly pairs: PairRow[];
  readonly comment: string;
}

export interface SyntheticOptions {
  readonly seed?: number;
  /** Simulated time per pair; default 3 s. */
  readonly durationMs?: number;
  readonly featureNoise?: number;
  readonly slowdownNoise?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export function generateSynthetic(o: SyntheticOptions = {}): SyntheticData {
  const seed = o.seed ?? 1;
  const rng = mulberry32(seed);
  const featureNoise = o.featureNoise ?? 0.02;
  const slowdownNoise = o.slowdownNoise ?? 0.03;
  const ws = syntheticWorkloads();
  const rows = new Map<string, number[]>();
  MODEL_TYPES.forEach((m, mi) =>
    m.batches.forEach((b, bi) => {
      const w = ws[mi * 2 + bi]!;
      const prof = soloProfile(w, m, b);
      rows.set(
        w.name,
        SYNTHETIC_COLUMNS.map((c) =>
          round(prof[c] * (c === 'fb_mib' ? 1 : Math.exp(featureNoise * normal(rng))), 4),
        ),
      );
    }),
  );
  const pairs: PairRow[] = [];
  const total = ws.length * ws.length;
  for (const a of ws) {
    for (const b of ws) {
      const sim = simulate(
        {
          policy: 'best_effort',
          gpuFramebufferMib: 16_384,
          vms: [
            { framebufferMib: 8192, workload: a.workload },
            { framebufferMib: 8192, workload: b.workload },
          ],
        },
        { durationMs: o.durationMs ?? 3000, seed: Math.floor(rng() * 2 ** 31) },
      );
      const slowdown = round(sim.vms[0]!.slowdown * Math.exp(slowdownNoise * normal(rng)), 4);
      pairs.push({ workload: a.name, coRunner: b.name, slowdown, gpu: 'V100-16GB', policy: 'best_effort' });
      o.onProgress?.(pairs.length, total);
    }
  }
  return {
    profiles: { columns: [...SYNTHETIC_COLUMNS], rows },
    pairs,
    comment:
      `SYNTHETIC data (vgpu-twin model generate, seed ${seed}): 14 workloads (7 model types x 2 batch sizes) ` +
      `in the style of Xu et al. HotCloud 2019; slowdowns from libs/scheduler simulate + noise, not measurements.`,
  };
}
