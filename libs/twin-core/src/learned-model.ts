import type { WorkloadFeatures } from '@vgpu-twin/contracts';
import type { Regressor } from '@vgpu-twin/interference';

/** The profile column (libs/interference's CSV names) each `workload.profiled` feature fills. */
export const PROFILE_COLUMN_OF = {
  gpuUtilPct: 'gpu_util',
  memUtilPct: 'mem_util',
  fbMib: 'fb_mib',
  pcieRxMBps: 'pcie_rx_mbps',
  pcieTxMBps: 'pcie_tx_mbps',
  vcpuUtilPct: 'vcpu_util',
  vmMemUtilPct: 'vm_mem_util',
  threadsPerKernel: 'threads_per_kernel',
  kernelMs: 'kernel_ms',
  longKernelMs: 'long_kernel_ms',
  longShortRatio: 'long_short_ratio',
} as const satisfies Record<keyof WorkloadFeatures, string>;

const FEATURE_OF = new Map<string, keyof WorkloadFeatures>(
  Object.entries(PROFILE_COLUMN_OF).map(([feature, column]) => [column, feature as keyof WorkloadFeatures]),
);

/** A loaded interference model artifact the twin predicts with (libs/interference). */
export interface LearnedModel {
  /** Recorded on every prediction, e.g. `hybrid@3f2a9c1b0d4e` (kind @ the artifact's sha256). */
  readonly name: string;
  readonly regressor: Regressor;
  /**
   * The `workload.profiled` feature behind each of the model's input columns, worked out once at
   * load; undefined where a column has no such feature (no profile can then feed the model).
   */
  readonly featureKeys: readonly (keyof WorkloadFeatures | undefined)[];
}

export function learnedModel(name: string, regressor: Regressor): LearnedModel {
  return { name, regressor, featureKeys: regressor.features.map((c) => FEATURE_OF.get(c)) };
}
