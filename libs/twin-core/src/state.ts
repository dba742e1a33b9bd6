import type { SchedulingPolicy, WorkloadFeatures } from '@vgpu-twin/contracts';
import {
  createModelError,
  DEFAULT_DRIFT_MONITOR,
  DEFAULT_MODEL_ERROR,
  type DriftDirection,
  type DriftMonitorConfig,
  type DriftMonitorState,
  type ModelErrorConfig,
  type ModelErrorState,
  type VmModelErrorState,
} from '@vgpu-twin/drift';
import type { LearnedModel } from './learned-model';

export interface HostState {
  readonly hostId: string;
  readonly clusterId: string;
  readonly homogeneousProfiles: boolean;
}

export interface GpuState {
  readonly gpuId: string;
  readonly hostId: string;
  readonly model: string;
  readonly framebufferMib: number;
  policy: SchedulingPolicy;
  timeSliceMs: number;
  /** VM ids on this GPU, kept sorted so predictions do not depend on arrival order. */
  vms: string[];
  lastUtilPct: number | null;
}

export interface ActiveAlert {
  readonly alertId: string;
  readonly raisedAt: string;
}

export interface VmState {
  readonly vmId: string;
  gpuId: string;
  profile: string;
  framebufferMib: number;
  readonly workload: string;
  readonly sloSlowdown: number | null;
  /** Recent progress rates, newest last (the smoothing window). */
  rates: number[];
  /** The last GPU utilisation telemetry reported. */
  measuredUtilPct: number | null;
  /**
   * The solo GPU utilisation telemetry has revealed, where it differs from the profile's:
   * estimated against the scheduler model of the VM's co-location set, so a VM held back by its
   * neighbours never reads as a light one (demand.ts). Null: the profile's.
   */
  demandPct: number | null;
  /** Recent GPU utilisation samples (newest last) and how many in a row sat off the prediction (signed: + above, − below). */
  utilWindow: number[];
  utilOff: number;
  /** Whether the VM exports a progress signal; null until its first sample. */
  hasProgressSignal: boolean | null;
  observedSlowdown: number | null;
  predictedSlowdown: number | null;
  /** The GPU-time share the prediction implies (solo utilisation ÷ predicted slowdown). */
  share: number | null;
  /** How the current prediction was reached; null before the first (or while unprofiled). */
  prediction: {
    readonly model: string;
    readonly scheduler: number;
    readonly residual: number;
    readonly shareArithmetic: number;
  } | null;
  /** The VM's workload (or a co-runner's) was never profiled: no prediction, never a guess. */
  unprofiled: boolean;
  /** Consecutive samples above / at-or-below the SLO, and when the current run started. */
  above: number;
  below: number;
  streakStart: string | null;
  samplesSinceObservation: number;
  lastObservedEmitted: number | null;
  alert: ActiveAlert | null;
  /** The scheduler predicts this VM over its SLO in its new co-location (raised at placement). */
  predictedAlert: ActiveAlert | null;
  /** Residual observed − predicted, watched for drift (libs/drift). */
  drift: DriftMonitorState;
  driftAlert: (ActiveAlert & { readonly direction: DriftDirection }) | null;
  /** This VM's share of the cluster's model error. */
  modelError: VmModelErrorState;
  /** Framebuffer above the headroom bound (vGPUs can report more memory than they have). */
  fbAlert: ActiveAlert | null;
}

export interface WorkloadState {
  readonly workload: string;
  readonly features: WorkloadFeatures;
  readonly soloProgressRate: number;
}

export interface TwinStats {
  events: number;
  /** Telemetry for a VM the inventory does not (yet) know: counted, never guessed. */
  unknownVmSamples: number;
  /** Events whose id was already applied (a client's retry, a redelivery): skipped. */
  duplicateEvents: number;
}

/**
 * The ids of recent events, so a redelivered event is applied once: two generations of
 * `generation` ids each. An id is looked up in both; a full `current` becomes `previous` (the old
 * `previous` is dropped whole), so the last `generation` to `2 × generation` ids are remembered at
 * the cost of one look-up and one insert per event — no per-event eviction.
 */
export interface RecentIds {
  current: Set<string>;
  previous: Set<string>;
  readonly generation: number;
}

/**
 * The cluster twin. It is the fold of the inventory and telemetry events; `step` updates it in
 * place (the twin owns it exclusively) because the hot path applies hundreds of thousands of
 * events per second.
 */
export interface TwinState {
  readonly hosts: Map<string, HostState>;
  readonly gpus: Map<string, GpuState>;
  readonly vms: Map<string, VmState>;
  readonly workloads: Map<string, WorkloadState>;
  readonly stats: TwinStats;
  readonly recentIds: RecentIds;
  /** The model's rolling error across VMs, and the "model stale — retrain" alert it holds. */
  readonly modelError: ModelErrorState;
  modelStaleAlert: ActiveAlert | null;
}

export function initialState(dedupeWindow = defaultTwinConfig.dedupeWindow): TwinState {
  return {
    hosts: new Map(),
    gpus: new Map(),
    vms: new Map(),
    workloads: new Map(),
    stats: { events: 0, unknownVmSamples: 0, duplicateEvents: 0 },
    recentIds: {
      current: new Set(),
      previous: new Set(),
      generation: Math.max(1, Math.ceil(dedupeWindow / 2)),
    },
    modelError: createModelError(),
    modelStaleAlert: null,
  };
}

export interface TwinConfig {
  /** Default SLO: an interference alert fires above this observed slowdown. */
  readonly sloSlowdown: number;
  /** Samples the slowdown must stay above (below) the SLO before an alert is raised (resolved). */
  readonly sustainSamples: number;
  /** Progress-rate samples averaged into one observation. */
  readonly smoothingSamples: number;
  /** Emit an observation at least every N samples, or sooner when it moves by more than 5%. */
  readonly observationEvery: number;
  /** Recorded on every output event. */
  readonly source: string;
  /** How many recent event ids are remembered (at least half of it, at most all) to skip redeliveries (at-least-once logs, client retries). */
  readonly dedupeWindow: number;
  /** Drift detection on observed − predicted (CUSUM by default). */
  readonly drift: DriftMonitorConfig;
  /** Cluster-wide model error bound for the "model stale — retrain" alert. */
  readonly modelError: ModelErrorConfig;
  /** Framebuffer use (fraction of the profile) above which a headroom alert fires, and below which it clears. */
  readonly framebufferAlertAbove: number;
  readonly framebufferClearBelow: number;
  /**
   * The interference model artifact whose learned residual corrects libs/scheduler's prediction
   * (libs/interference; the hybrid). Without one, or where it cannot read a GPU's profiles or was
   * trained under another policy, the scheduler model alone predicts (`scheduler@<version>`).
   */
  readonly model?: LearnedModel;
  /**
   * Telemetry that sits off the prediction by more than this many points of GPU utilisation (or
   * `demandTolerance` of it, if more) for `demandSamples` samples in a row re-estimates the VM's demand.
   */
  readonly demandTolerancePct: number;
  readonly demandTolerance: number;
  readonly demandSamples: number;
}

export const defaultTwinConfig: TwinConfig = {
  sloSlowdown: 1.5,
  sustainSamples: 5,
  smoothingSamples: 3,
  observationEvery: 10,
  source: 'twin',
  dedupeWindow: 200_000,
  drift: DEFAULT_DRIFT_MONITOR,
  modelError: DEFAULT_MODEL_ERROR,
  // DESIGN.md: jobs on a vGPU that over-reports its framebuffer halt without an OOM error; capping use at 95% avoided it.
  framebufferAlertAbove: 0.95,
  framebufferClearBelow: 0.9,
  // Measurement noise on utilisation is ~2% (dcgm-exporter's 1 s averages); the scheduler model's
  // share is within ~5% of the simulation (libs/scheduler README): 8 points or 20% is well outside both.
  demandTolerancePct: 8,
  demandTolerance: 0.2,
  demandSamples: 2,
};
