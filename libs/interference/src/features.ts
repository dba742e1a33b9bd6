import { NotFoundError, ValidationError, type SchedulingPolicy } from '@vgpu-twin/contracts';
import { simulateProfiles, workloadWithSpread, type SoloFeatures, type Workload } from '@vgpu-twin/scheduler';
import type { Profiles } from './csv';

/**
 * Feature sets of Xu et al. (HotCloud 2019), as quoted in DESIGN.md, over profile columns:
 * base = GPU util, GPU memory util, PCIe read and write bandwidth; extend = base + vCPU util, VM
 * memory, threads per kernel, kernel length, long-kernel length, long/short ratio; select = GPU
 * util, PCIe read, PCIe write, vCPU, VM memory, kernel length.
 */
const BASE = ['gpu_util', 'mem_util', 'pcie_rx_mbps', 'pcie_tx_mbps'] as const;
export const FEATURE_SETS = {
  base: BASE,
  extend: [
    ...BASE,
    'vcpu_util',
    'vm_mem_util',
    'threads_per_kernel',
    'kernel_ms',
    'long_kernel_ms',
    'long_short_ratio',
  ],
  select: ['gpu_util', 'pcie_rx_mbps', 'pcie_tx_mbps', 'vcpu_util', 'vm_mem_util', 'kernel_ms'],
} as const satisfies Record<string, readonly string[]>;

export type FeatureSetName = keyof typeof FEATURE_SETS;

/**
 * `base`, `extend`, `select`, `all` (every profile column) or a comma-separated list of columns;
 * every column must be in the profiles.
 */
export function resolveFeatures(spec: string, profiles: Profiles, file = 'profiles'): string[] {
  const s = spec.trim();
  const cols =
    s === 'all'
      ? [...profiles.columns]
      : s in FEATURE_SETS
        ? [...FEATURE_SETS[s as FeatureSetName]]
        : s.split(',').map((c) => c.trim());
  if (cols.length === 0 || cols.some((c) => c === '')) {
    throw new ValidationError(`feature set '${spec}' is empty or has an empty column name`, [
      { path: 'features', message: 'empty column' },
    ]);
  }
  const missing = cols.filter((c) => !profiles.columns.includes(c));
  if (missing.length > 0) {
    throw new ValidationError(
      `feature set '${spec}' needs column(s) ${missing.join(', ')} that ${file} lacks; it has ${profiles.columns.join(', ')}`,
      missing.map((c) => ({ path: `features.${c}`, message: `missing in ${file}` })),
    );
  }
  return cols;
}

export function profileOf(profiles: Profiles, workload: string, file = 'profiles'): readonly number[] {
  const row = profiles.rows.get(workload);
  if (!row) throw new NotFoundError(`unknown workload '${workload}': not in ${file}`);
  return row;
}

/** Column positions of `features` in the profiles (resolve them once, use per pair). */
export function featureIndex(profiles: Profiles, features: readonly string[]): number[] {
  return features.map((f) => {
    const i = profiles.columns.indexOf(f);
    if (i < 0)
      throw new ValidationError(`profiles lack feature column '${f}'`, [{ path: f, message: 'missing' }]);
    return i;
  });
}

/**
 * The model's input for "A next to B": A's features followed by B's (the paper's pair encoding),
 * so the vector has 2 × features entries.
 */
export function pairVector(
  profiles: Profiles,
  index: readonly number[],
  workload: string,
  coRunner: string,
  out: number[] = new Array<number>(2 * index.length),
): number[] {
  const a = profileOf(profiles, workload);
  const b = profileOf(profiles, coRunner);
  const n = index.length;
  for (let i = 0; i < n; i++) {
    out[i] = a[index[i]!]!;
    out[n + i] = b[index[i]!]!;
  }
  return out;
}

/** Profile columns the scheduler model can read, and the `SoloFeatures` field each feeds. */
export const SCHEDULER_COLUMNS = {
  gpu_util: 'gpuUtilPct',
  mem_util: 'memUtilPct',
  pcie_rx_mbps: 'pcieRxMBps',
  pcie_tx_mbps: 'pcieTxMBps',
  kernel_ms: 'kernelMs',
  long_kernel_ms: 'longKernelMs',
  long_short_ratio: 'longShortRatio',
} as const satisfies Record<string, keyof SoloFeatures>;

/** The columns of `features` the scheduler component of the hybrid reads. */
export function schedulerColumns(features: readonly string[]): string[] {
  return features.filter((f) => f in SCHEDULER_COLUMNS);
}

/**
 * A workload for the scheduler model from the profile columns it can read, via the scheduler's
 * own `workloadWithSpread` (`workloadFromFeatures` plus the kernel-length and CPU-step spread a
 * profile implies). Without `gpu_util` the workload is taken as always busy on the GPU
 * (100%): the scheduler then predicts the same slowdown for every pair, and the hybrid's forest
 * carries all the information (it degrades to the plain forest with a constant offset).
 */
export function schedulerWorkload(
  profiles: Profiles,
  columns: readonly string[],
  workload: string,
): Workload {
  const row = profileOf(profiles, workload);
  const f: Record<string, number> = { gpuUtilPct: 100, memUtilPct: 0, pcieRxMBps: 0, pcieTxMBps: 0 };
  for (const c of columns) {
    const i = profiles.columns.indexOf(c);
    const key = SCHEDULER_COLUMNS[c as keyof typeof SCHEDULER_COLUMNS];
    if (i >= 0 && key) f[key] = row[i]!;
  }
  return workloadWithSpread(f as unknown as SoloFeatures);
}

/** GPU the scheduler component assumes: 16 GB (V100-16GB / P100), one vGPU size for all VMs. */
export const SCHEDULER_GPU_MIB = 16_384;

/**
 * The scheduler model's slowdown of the first workload next to the others on one GPU (libs/scheduler's
 * `simulateProfiles`: the discrete-event model of the profile-built loops, as the twin predicts). The VMs get
 * the largest power-of-two vGPU size that fits them all (8Q for two, 4Q for three or four, …).
 */
export function schedulerSlowdown(workloads: readonly Workload[], policy: SchedulingPolicy): number {
  const slots = 2 ** Math.ceil(Math.log2(Math.max(workloads.length, 1)));
  const fb = SCHEDULER_GPU_MIB / slots;
  const vms = simulateProfiles({
    policy,
    gpuFramebufferMib: SCHEDULER_GPU_MIB,
    vms: workloads.map((w) => ({ framebufferMib: fb, workload: w })),
  });
  return vms[0]!.slowdown;
}
