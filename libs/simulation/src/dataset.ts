import { SYNTHETIC_COLUMNS, type PairRow, type Profiles, type SyntheticData } from '@vgpu-twin/interference';
import { WORKLOAD_CATALOGUE, type CatalogueWorkload } from './catalogue';
import { profileWorkload } from './profile';
import { createGroundTruth } from './truth';

/**
 * Training data for the interference model from the simulator's own catalogue: what an operator
 * would collect by profiling each workload alone and running every ordered pair on one GPU.
 *
 * - profiles: `profileWorkload` of every catalogue workload but `idle` (nothing to profile), in
 *   libs/interference's SYNTHETIC_COLUMNS, so the synthetic and the catalogue sets train alike;
 * - pairs: every ordered pair (a workload next to a copy of itself included) as two 8Q vGPUs
 *   (8192 MiB each) on a 16 GB GPU, best effort, 1 ms slice; the slowdown of the first from the
 *   ground truth (`createGroundTruth`, libs/scheduler `simulate`). A and B next to each other is
 *   one co-location set, so each unordered pair is simulated once and gives both rows.
 * Slowdowns carry no measurement noise (they are the simulator's truth) and are rounded to 4
 * significant digits like the profiles. The same seed gives the same data.
 */

export interface CatalogueDatasetOptions {
  readonly seed?: number;
  /** Simulated time per pair and per solo profile; default: the ground truth's and the profiler's. */
  readonly durationMs?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** The GPU the pairs are simulated on: V100-16GB, two 8Q vGPUs (DESIGN.md: 8Q, 2 per GPU). */
const GPU = { model: 'V100-16GB', framebufferMib: 16_384, vgpuMib: 8192, timeSliceMs: 1 } as const;

const COLUMN_OF = {
  gpu_util: 'gpuUtilPct',
  mem_util: 'memUtilPct',
  fb_mib: 'fbMib',
  pcie_rx_mbps: 'pcieRxMBps',
  pcie_tx_mbps: 'pcieTxMBps',
  vcpu_util: 'vcpuUtilPct',
  vm_mem_util: 'vmMemUtilPct',
  threads_per_kernel: 'threadsPerKernel',
  kernel_ms: 'kernelMs',
  long_kernel_ms: 'longKernelMs',
  long_short_ratio: 'longShortRatio',
} as const satisfies Record<(typeof SYNTHETIC_COLUMNS)[number], string>;

const sig4 = (v: number): number => Number(v.toPrecision(4));

/** The catalogue workloads the data set covers: all but those that launch nothing. */
export function datasetWorkloads(): CatalogueWorkload[] {
  return WORKLOAD_CATALOGUE.filter((w) => w.workload.kind !== 'idle');
}

export function catalogueDataset(o: CatalogueDatasetOptions = {}): SyntheticData {
  const seed = o.seed ?? 1;
  const ws = datasetWorkloads();
  const rows = new Map<string, number[]>();
  for (const w of ws) {
    const f = profileWorkload(w, {
      seed,
      ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}),
    }).features;
    rows.set(
      w.name,
      SYNTHETIC_COLUMNS.map((c) => f[COLUMN_OF[c]] ?? 0),
    );
  }
  const profiles: Profiles = { columns: [...SYNTHETIC_COLUMNS], rows };
  const truth = createGroundTruth({
    seed,
    ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}),
  });
  const gpu = {
    policy: 'best_effort',
    framebufferMib: GPU.framebufferMib,
    timeSliceMs: GPU.timeSliceMs,
  } as const;
  const pairs: PairRow[] = [];
  const total = ws.length * ws.length;
  for (const a of ws) {
    for (const b of ws) {
      const [first] = truth.run(gpu, [
        { framebufferMib: GPU.vgpuMib, workload: a.name },
        { framebufferMib: GPU.vgpuMib, workload: b.name },
      ]);
      pairs.push({
        workload: a.name,
        coRunner: b.name,
        slowdown: sig4(first!.slowdown),
        gpu: GPU.model,
        policy: 'best_effort',
      });
      o.onProgress?.(pairs.length, total);
    }
  }
  return {
    profiles,
    pairs,
    comment:
      `SIMULATED data (vgpu-twin model generate --dataset catalogue, seed ${seed}): ${ws.length} libs/simulation ` +
      `catalogue workloads, all ${total} ordered pairs as two 8Q vGPUs on a ${GPU.model}, best effort; ` +
      `slowdowns are the simulator's ground truth (libs/scheduler simulate, no noise), not measurements.`,
  };
}
