import { NotFoundError } from '@vgpu-twin/contracts';
import { fixed, meanMs, WORKLOAD_PRESETS, type Dist, type Workload } from '@vgpu-twin/scheduler';

/**
 * The simulator's workload catalogue: what each simulated VM runs, as a kernel-level loop for
 * libs/scheduler's `simulate` (the ground truth), plus the VM-level numbers an inventory carries
 * (framebuffer, vCPU and VM memory use, threads per kernel) and how fast it progresses alone.
 *
 * Sources. The deep-learning entries follow libs/scheduler's DL presets (`dl-train-cnn`,
 * `dl-train-transformer`, `dl-infer-cnn`, `dl-infer-transformer`: lognormal kernels, exponential
 * CPU steps, a host phase every so many kernels) and keep the solo GPU and memory utilisation,
 * kernel length, PCIe rate, framebuffer, vCPU use and progress rate that apps/simulator's
 * share-model WORKLOADS gave the same names. Those numbers are ours, plausible, not measured
 * (DESIGN.md publishes classes, not traces), and so are VM memory, threads per kernel, the loop
 * shapes and everything about the new entries; the loop parameters were chosen so that
 * `profileWorkload` reads the utilisations back (within a point). The microbenchmarks are libs/scheduler's
 * WORKLOAD_PRESETS unchanged (short < 1 ms, long > 1 ms kernels, memory-bound, PCIe-bound: the
 * two-VM P100 study in DESIGN.md; SPEC ACCEL and HPL tuned there to the fixed-share figures).
 */
export interface CatalogueWorkload {
  readonly name: string;
  /** One line: what it models, which preset it follows. */
  readonly description: string;
  /** Kernel-level loop (libs/scheduler ActiveWorkload), durations alone on a full GPU. */
  readonly workload: Workload;
  /** Framebuffer it uses. */
  readonly fbMib: number;
  readonly vcpuUtilPct: number;
  readonly vmMemUtilPct: number;
  readonly threadsPerKernel: number;
  /**
   * Progress (steps/s, requests/s …) alone on a full-GPU vGPU; progress under contention = this ÷
   * the true slowdown.
   */
  readonly soloProgressRate: number;
  readonly progressUnit: string;
}

const lognormal = (medianMs: number, sigma: number): Dist => ({ kind: 'lognormal', medianMs, sigma });
const exponential = (mean: number): Dist => ({ kind: 'exponential', meanMs: mean });
/**
 * Host phases (input pipeline, optimizer step) as uniform ±50% around their mean rather than the
 * DL presets' exponential: rare, highly variable phases dominated the seed-to-seed spread of the
 * ground truth. Measured over 10 seeds, 3 s per pair: exponential host phases every 20–200
 * kernels left a 1.0–5.6% standard deviation of the slowdown, frequent uniform ones 0.4–1.1%.
 */
const around = (mean: number): Dist => ({ kind: 'uniform', minMs: mean / 2, maxMs: (mean * 3) / 2 });

/** Iterations per second of a loop alone: 1000 ms ÷ its mean iteration (host phase spread over its kernels). */
function loopRate(w: Workload): number {
  if (w.kind === 'idle') return 0;
  const host = w.hostPhase ? meanMs(w.hostPhase.ms) / w.hostPhase.everyKernels : 0;
  return Number((1000 / (meanMs(w.kernel) + meanMs(w.cpu) + meanMs(w.pcie) + host)).toPrecision(4));
}

/**
 * A microbenchmark preset as a catalogue entry. The VM-level numbers (framebuffer, vCPU, VM
 * memory, threads) are ours, plausible, not measured; progress is the loop's own unit: iterations
 * (kernels, or copies for the PCIe loop) per second alone, from its fixed durations.
 */
function microbenchmark(
  name: 'short-kernel' | 'long-kernel' | 'memory-bound' | 'pcie-bound' | 'spec-accel' | 'hpl',
  description: string,
  vm: { fbMib: number; vcpuUtilPct: number; vmMemUtilPct: number; threadsPerKernel: number },
): CatalogueWorkload {
  const workload = WORKLOAD_PRESETS[name];
  return {
    name,
    description,
    workload,
    ...vm,
    soloProgressRate: loopRate(workload),
    progressUnit: name === 'pcie-bound' ? 'copies' : 'iterations',
  };
}

export const WORKLOAD_CATALOGUE: readonly CatalogueWorkload[] = [
  // ── The seven workloads apps/simulator places (its WORKLOADS, share model): same names, same
  // solo GPU util / kernel length / PCIe / framebuffer / vCPU / progress rate, now as loops.
  {
    // Solo util 0.345 / (0.345 + 0.016 + 0.0053 + 0.5/50) = 0.92 (WORKLOADS: 92%). PCIe: 168 MB/s
    // of a 12,000 MB/s link over a 0.376 ms iteration = 0.0053 ms. Memory intensity 45/92.
    name: 'resnet50-train',
    description: 'ResNet-50 training, batch 32: dl-train-cnn shape, 0.35 ms mean kernels, 92% GPU alone',
    workload: {
      kind: 'active',
      name: 'resnet50-train',
      kernel: lognormal(0.27, 0.7), // mean 0.27 e^{0.245} = 0.345 ms
      cpu: exponential(0.016),
      pcie: fixed(0.0053),
      memoryIntensity: 0.49,
      hostPhase: { everyKernels: 50, ms: around(0.5) },
    },
    fbMib: 6200,
    vcpuUtilPct: 40,
    vmMemUtilPct: 45,
    threadsPerKernel: 256,
    soloProgressRate: 9.6,
    progressUnit: 'steps',
  },
  {
    // Solo util 0.60 / (0.60 + 0.03 + 0.0027 + 3.65/50) = 0.85. Memory intensity 55/85.
    name: 'transformer-train',
    description: 'Transformer training: dl-train-transformer shape, 0.6 ms mean kernels, 85% GPU alone',
    workload: {
      kind: 'active',
      name: 'transformer-train',
      kernel: lognormal(0.4, 0.9), // mean 0.4 e^{0.405} = 0.60 ms
      cpu: exponential(0.03),
      pcie: fixed(0.0027),
      memoryIntensity: 0.65,
      hostPhase: { everyKernels: 50, ms: around(3.65) },
    },
    fbMib: 7000,
    vcpuUtilPct: 30,
    vmMemUtilPct: 60,
    threadsPerKernel: 512,
    soloProgressRate: 5.2,
    progressUnit: 'steps',
  },
  {
    // Solo util 0.12 / (0.12 + 0.05 + 0.0005 + 2/85) = 0.62. Memory intensity 30/62.
    name: 'lstm-train',
    description: 'LSTM training: short recurrent kernels (0.12 ms) between CPU steps, 62% GPU alone',
    workload: {
      kind: 'active',
      name: 'lstm-train',
      kernel: lognormal(0.1, 0.6), // mean 0.1 e^{0.18} = 0.12 ms
      cpu: exponential(0.05),
      pcie: fixed(0.0005),
      memoryIntensity: 0.48,
      hostPhase: { everyKernels: 85, ms: around(2) },
    },
    fbMib: 3100,
    vcpuUtilPct: 55,
    vmMemUtilPct: 30,
    threadsPerKernel: 64,
    soloProgressRate: 14,
    progressUnit: 'steps',
  },
  {
    // Solo util 0.2 / (0.2 + 0.12 + 0.004 + 4/20) = 0.38. PCIe 90 MB/s over a 0.526 ms iteration.
    name: 'bert-infer',
    description: 'BERT inference service: dl-infer-transformer shape, 0.2 ms kernels, 38% GPU alone',
    workload: {
      kind: 'active',
      name: 'bert-infer',
      kernel: lognormal(0.15, 0.75), // mean 0.15 e^{0.281} = 0.199 ms
      cpu: exponential(0.12),
      pcie: fixed(0.004),
      memoryIntensity: 0.53,
      hostPhase: { everyKernels: 20, ms: around(4) },
    },
    fbMib: 2600,
    vcpuUtilPct: 35,
    vmMemUtilPct: 35,
    threadsPerKernel: 384,
    soloProgressRate: 120,
    progressUnit: 'requests',
  },
  {
    // Solo util 0.079 / (0.079 + 0.15 + 0.0037 + 1/10) = 0.24. PCIe 135 MB/s over 0.333 ms.
    name: 'recsys-infer',
    description:
      'Recommender inference: tiny embedding kernels (0.08 ms), CPU- and PCIe-heavy, 24% GPU alone',
    workload: {
      kind: 'active',
      name: 'recsys-infer',
      kernel: lognormal(0.07, 0.5), // mean 0.07 e^{0.125} = 0.079 ms
      cpu: exponential(0.15),
      pcie: fixed(0.0037),
      memoryIntensity: 0.62,
      hostPhase: { everyKernels: 10, ms: around(1) },
    },
    fbMib: 1800,
    vcpuUtilPct: 60,
    vmMemUtilPct: 25,
    threadsPerKernel: 128,
    soloProgressRate: 900,
    progressUnit: 'requests',
  },
  {
    // Solo util 0.05 / (0.05 + 0.1 + 0.0003 + 1.5/20) = 0.22: a reinforcement learner that
    // spends most of its time in the CPU-side environments.
    name: 'a3c-train',
    description: 'A3C reinforcement learning: CPU-bound environments, tiny kernels (0.05 ms), 22% GPU alone',
    workload: {
      kind: 'active',
      name: 'a3c-train',
      kernel: lognormal(0.045, 0.45), // mean 0.045 e^{0.101} = 0.050 ms
      cpu: exponential(0.1),
      pcie: fixed(0.0003),
      memoryIntensity: 0.45,
      hostPhase: { everyKernels: 20, ms: around(1.5) },
    },
    fbMib: 1200,
    vcpuUtilPct: 85,
    vmMemUtilPct: 20,
    threadsPerKernel: 128,
    soloProgressRate: 48,
    progressUnit: 'steps',
  },
  {
    // Long kernels (> 1 ms, the study's long class): solo util 2.04 / (2.04 + 0.1 + 0.0085 +
    // 2/5) = 0.80 (WORKLOADS: 78%). Memory intensity 50/80.
    name: 'cyclegan-train',
    description: 'CycleGAN training: long convolution kernels (median 1.8 ms, > 1 ms), 80% GPU alone',
    workload: {
      kind: 'active',
      name: 'cyclegan-train',
      kernel: lognormal(1.8, 0.5), // mean 1.8 e^{0.125} = 2.04 ms
      cpu: exponential(0.1),
      pcie: fixed(0.0085),
      memoryIntensity: 0.62,
      hostPhase: { everyKernels: 5, ms: around(2) },
    },
    fbMib: 5200,
    vcpuUtilPct: 25,
    vmMemUtilPct: 50,
    threadsPerKernel: 512,
    soloProgressRate: 3.1,
    progressUnit: 'steps',
  },

  // ── New workloads for scenarios the share model cannot express.
  {
    // The victim the share model misses: solo util 0.1 / (0.1 + 0.15 + 0.002) = 0.40, so
    // water-filling next to cyclegan-train (0.80) grants it all it asks (0.40 < 1/2) → 1.0×, while
    // in `simulate` each of its kernels waits out cyclegan-train's whole 1 ms slice.
    name: 'resnet50-infer',
    description:
      'ResNet-50 inference service: dl-infer-cnn shape, 0.1 ms kernels after a 0.15 ms CPU step, 40% GPU alone',
    workload: {
      kind: 'active',
      name: 'resnet50-infer',
      kernel: lognormal(0.1, 0.3), // mean 0.1 e^{0.045} = 0.105 ms
      cpu: exponential(0.15),
      pcie: fixed(0.002),
      memoryIntensity: 0.4,
    },
    fbMib: 2000,
    vcpuUtilPct: 45,
    vmMemUtilPct: 30,
    threadsPerKernel: 256,
    soloProgressRate: 400,
    progressUnit: 'requests',
  },
  {
    // resnet50-train at twice the batch: every kernel, copy and host phase handles twice the data,
    // so all three are 2× longer (kernel median 0.54 ms; solo util 0.69 / (0.69 + 0.016 + 0.0106 +
    // 1/50) = 0.94). A bs64 step does twice the samples in 1.38× the time (larger batches use the
    // GPU better), so 9.6 / 1.38 = 6.96 steps/s: a twin that still believes the VM runs
    // resnet50-train (9.6 steps/s) reads 1.38× slowdown even alone. Framebuffer 7400 MiB: more
    // activations, still inside an 8Q vGPU below the 95% cap (7782 MiB, DESIGN.md).
    name: 'resnet50-train-bs64',
    description: 'ResNet-50 training, batch 64: resnet50-train with kernels 2x longer, 6.96 steps/s alone',
    workload: {
      kind: 'active',
      name: 'resnet50-train-bs64',
      kernel: lognormal(0.54, 0.7), // mean 0.54 e^{0.245} = 0.69 ms
      cpu: exponential(0.016),
      pcie: fixed(0.0106),
      memoryIntensity: 0.49,
      hostPhase: { everyKernels: 50, ms: around(1) },
    },
    fbMib: 7400,
    vcpuUtilPct: 40,
    vmMemUtilPct: 55,
    threadsPerKernel: 512,
    soloProgressRate: 6.96,
    progressUnit: 'steps',
  },
  {
    // The aggressor phase of apps/simulator's incident (there: 98% demand): a3c-train after a
    // switch to large batched policy updates on the GPU. Solo util 0.96 / (0.96 + 0.02 + 0.0008 +
    // 1.5/100) = 0.96. Progress in the same unit as a3c-train; ours, plausible, not measured.
    name: 'a3c-train-heavy',
    description: 'A3C turned GPU-heavy (batched policy updates): 0.96 ms mean kernels, 96% GPU alone',
    workload: {
      kind: 'active',
      name: 'a3c-train-heavy',
      kernel: lognormal(0.8, 0.6), // mean 0.8 e^{0.18} = 0.96 ms
      cpu: exponential(0.02),
      pcie: fixed(0.0008),
      memoryIntensity: 0.4,
      hostPhase: { everyKernels: 100, ms: around(1.5) },
    },
    fbMib: 3000,
    vcpuUtilPct: 60,
    vmMemUtilPct: 25,
    threadsPerKernel: 256,
    soloProgressRate: 30,
    progressUnit: 'steps',
  },

  {
    // A batch-inference service at low load: ~1 ms kernels (one batched forward pass each),
    // 0.94 / (0.94 + 8.5 + 0.002) = 10% GPU alone, the rest waiting for requests. Ours, plausible.
    name: 'llm-infer',
    description:
      'Batched LLM inference at low load: ~1 ms kernels, long idle gaps between requests, 10% GPU alone',
    workload: {
      kind: 'active',
      name: 'llm-infer',
      kernel: lognormal(0.9, 0.3), // mean 0.9 e^{0.045} = 0.94 ms
      cpu: exponential(8.5),
      pcie: fixed(0.002),
      memoryIntensity: 0.5,
    },
    fbMib: 6000,
    vcpuUtilPct: 15,
    vmMemUtilPct: 40,
    threadsPerKernel: 256,
    soloProgressRate: 100,
    progressUnit: 'requests',
  },
  {
    // The same service at peak load: the same kernels back to back, 0.94 / (0.94 + 0.05 + 0.002)
    // = 95% GPU alone. Its kernels do not change, only the gaps between them: exactly what the
    // twin can recover from utilisation telemetry (the demand under contention).
    name: 'llm-infer-peak',
    description: 'llm-infer at peak load: the same ~1 ms kernels back to back, 95% GPU alone',
    workload: {
      kind: 'active',
      name: 'llm-infer-peak',
      kernel: lognormal(0.9, 0.3),
      cpu: exponential(0.05),
      pcie: fixed(0.002),
      memoryIntensity: 0.5,
    },
    fbMib: 6000,
    vcpuUtilPct: 60,
    vmMemUtilPct: 40,
    threadsPerKernel: 256,
    soloProgressRate: 950,
    progressUnit: 'requests',
  },

  // ── libs/scheduler's microbenchmark presets (the two-VM P100 study, DESIGN.md).
  microbenchmark('short-kernel', 'Microbenchmark: 0.1 ms kernels after 0.1 ms CPU steps (scheduler preset)', {
    fbMib: 1024,
    vcpuUtilPct: 50,
    vmMemUtilPct: 10,
    threadsPerKernel: 256,
  }),
  microbenchmark('long-kernel', 'Microbenchmark: 5 ms kernels back to back (scheduler preset)', {
    fbMib: 1024,
    vcpuUtilPct: 5,
    vmMemUtilPct: 10,
    threadsPerKernel: 1024,
  }),
  microbenchmark(
    'memory-bound',
    'Microbenchmark: 2 ms memory-bound kernels back to back (scheduler preset)',
    {
      fbMib: 4096,
      vcpuUtilPct: 5,
      vmMemUtilPct: 10,
      threadsPerKernel: 1024,
    },
  ),
  microbenchmark(
    'pcie-bound',
    'Microbenchmark: cudaMemcpy of 1 ms in a loop, no kernels (scheduler preset)',
    {
      fbMib: 2048,
      vcpuUtilPct: 10,
      vmMemUtilPct: 30,
      threadsPerKernel: 0,
    },
  ),
  microbenchmark(
    'spec-accel',
    'SPEC ACCEL: 0.5 ms kernels, 85% GPU-bound (scheduler preset, tuned to 0.54x at 8Q fixed share)',
    {
      fbMib: 4096,
      vcpuUtilPct: 15,
      vmMemUtilPct: 20,
      threadsPerKernel: 256,
    },
  ),
  microbenchmark(
    'hpl',
    'HPL (Linpack): 2 ms kernels, 61% GPU-bound (scheduler preset, tuned to 0.62x at 8Q fixed share)',
    {
      fbMib: 7000,
      vcpuUtilPct: 40,
      vmMemUtilPct: 60,
      threadsPerKernel: 512,
    },
  ),
  {
    // A VM that holds a vGPU and runs nothing (a desktop left idle). Under equal share it still
    // owns its slices; under best effort it gives them away. Its solo profile is all zeros — an
    // operator can measure that too — and its "progress" a nominal heartbeat of 1/s, so the twin
    // knows it (and its neighbours stay predictable) rather than marking it unprofiled.
    name: 'idle',
    description: 'Idle VM: holds its vGPU, launches nothing (scheduler idle preset)',
    workload: WORKLOAD_PRESETS.idle,
    fbMib: 300,
    vcpuUtilPct: 2,
    vmMemUtilPct: 10,
    threadsPerKernel: 0,
    soloProgressRate: 1,
    progressUnit: 'heartbeats',
  },
];

const byName = new Map(WORKLOAD_CATALOGUE.map((w) => [w.name, w]));

export const CATALOGUE_NAMES: readonly string[] = WORKLOAD_CATALOGUE.map((w) => w.name);

export function catalogueWorkload(name: string): CatalogueWorkload {
  const w = byName.get(name);
  if (!w)
    throw new NotFoundError(`unknown catalogue workload '${name}'; known: ${CATALOGUE_NAMES.join(', ')}`);
  return w;
}
