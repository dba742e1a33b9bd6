import type {
  AlertRaised,
  AlertResolved,
  InventoryEvent,
  ObservationMade,
  PlacementSuggested,
  PredictionMade,
  TelemetryEvent,
  VmSample,
} from '@vgpu-twin/contracts';
import * as drift from '@vgpu-twin/drift';
import { gpuShares, slowdownFromShare, type VgpuDemand } from './share-model';
import { predictLearned } from './learned-model';
import { suggestFor } from './suggestions';

// Bound once: compiled re-exports are getters, and these run for every sample (libs/drift's bench).
const {
  createDriftMonitor,
  createVmModelError,
  removeVmFromModelError,
  updateDriftMonitor,
  updateModelError,
} = drift;
import type { GpuState, TwinConfig, TwinState, VmState } from './state';

export type TwinInput = InventoryEvent | TelemetryEvent;
export type TwinOutput = PredictionMade | ObservationMade | AlertRaised | AlertResolved | PlacementSuggested;

export const SHARE_MODEL = 'share-v1';
/** A stalled VM (progress 0) is reported at this slowdown rather than infinity, which JSON cannot carry. */
export const MAX_SLOWDOWN = 1000;

/**
 * Applies one event to the twin and returns what the twin says about it. Deterministic: output ids
 * derive from the input event id and output times are the input's event time.
 */
export function step(state: TwinState, event: TwinInput, config: TwinConfig): TwinOutput[] {
  if (alreadyApplied(state, event.id)) {
    state.stats.duplicateEvents++;
    return [];
  }
  state.stats.events++;
  const out: TwinOutput[] = [];
  switch (event.type) {
    case 'host.registered':
      state.hosts.set(event.data.hostId, {
        hostId: event.data.hostId,
        clusterId: event.data.clusterId,
        homogeneousProfiles: event.data.homogeneousProfiles,
      });
      break;
    case 'gpu.registered': {
      const existing = state.gpus.get(event.data.gpuId);
      state.gpus.set(event.data.gpuId, {
        gpuId: event.data.gpuId,
        hostId: event.data.hostId,
        model: event.data.model,
        framebufferMib: event.data.framebufferMib,
        policy: event.data.policy,
        timeSliceMs: event.data.timeSliceMs,
        vms: existing?.vms ?? [],
        lastUtilPct: null,
      });
      predictGpu(state, event.data.gpuId, event, config, out);
      break;
    }
    case 'gpu.policy_changed': {
      const gpu = state.gpus.get(event.data.gpuId);
      if (!gpu) break;
      gpu.policy = event.data.policy;
      if (event.data.timeSliceMs !== undefined) gpu.timeSliceMs = event.data.timeSliceMs;
      predictGpu(state, gpu.gpuId, event, config, out);
      break;
    }
    case 'vm.placed': {
      const d = event.data;
      const previous = state.vms.get(d.vmId);
      if (previous) detach(state, previous);
      state.vms.set(
        d.vmId,
        newVm(d.vmId, d.gpuId, d.profile, d.framebufferMib, d.workload, d.sloSlowdown ?? null, config.drift),
      );
      attach(state, d.vmId, d.gpuId);
      if (previous && previous.gpuId !== d.gpuId) predictGpu(state, previous.gpuId, event, config, out);
      predictGpu(state, d.gpuId, event, config, out);
      break;
    }
    case 'vm.migrated': {
      const vm = state.vms.get(event.data.vmId);
      if (!vm) break;
      detach(state, vm);
      vm.gpuId = event.data.toGpuId;
      vm.profile = event.data.profile;
      vm.framebufferMib = event.data.framebufferMib;
      vm.rates = [];
      attach(state, vm.vmId, vm.gpuId);
      predictGpu(state, event.data.fromGpuId, event, config, out);
      predictGpu(state, event.data.toGpuId, event, config, out);
      break;
    }
    case 'vm.removed': {
      const vm = state.vms.get(event.data.vmId);
      if (!vm) break;
      if (vm.alert) out.push(resolveAlert(state, vm, event.ts, event.id, config, `${vm.vmId} was removed`));
      for (const active of [vm.driftAlert, vm.fbAlert]) {
        if (active)
          out.push(resolved(state, vm, active, event.ts, event.id, config, `${vm.vmId} was removed`, 0));
      }
      const staleFlip = removeVmFromModelError(state.modelError, vm.modelError, config.modelError);
      if (staleFlip) out.push(...modelStaleTransition(state, vm, staleFlip, event.ts, event.id, config));
      detach(state, vm);
      state.vms.delete(vm.vmId);
      predictGpu(state, vm.gpuId, event, config, out);
      break;
    }
    case 'workload.profiled': {
      state.workloads.set(event.data.workload, {
        workload: event.data.workload,
        features: event.data.features,
        soloProgressRate: event.data.soloProgressRate,
      });
      const gpus = new Set<string>();
      for (const vm of state.vms.values()) if (vm.workload === event.data.workload) gpus.add(vm.gpuId);
      for (const g of [...gpus].sort()) predictGpu(state, g, event, config, out);
      break;
    }
    case 'telemetry.gpu_sample': {
      const gpu = state.gpus.get(event.data.gpuId);
      if (gpu) gpu.lastUtilPct = event.data.gpuUtilPct;
      break;
    }
    case 'telemetry.vm_sample':
      observe(state, event, config, out);
      break;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
  return out;
}

function alreadyApplied(state: TwinState, id: string): boolean {
  const recent = state.recentIds;
  if (recent.current.has(id) || recent.previous.has(id)) return true;
  if (recent.current.size >= recent.generation) {
    recent.previous = recent.current;
    recent.current = new Set();
  }
  recent.current.add(id);
  return false;
}

/** Applies an event without keeping what the twin says: the fold used to rebuild state. */
export function evolve(state: TwinState, event: TwinInput, config: TwinConfig): TwinState {
  step(state, event, config);
  return state;
}

function newVm(
  vmId: string,
  gpuId: string,
  profile: string,
  fb: number,
  workload: string,
  slo: number | null,
  driftConfig: TwinConfig['drift'],
): VmState {
  return {
    vmId,
    gpuId,
    profile,
    framebufferMib: fb,
    workload,
    sloSlowdown: slo,
    rates: [],
    measuredUtilPct: null,
    hasProgressSignal: null,
    observedSlowdown: null,
    predictedSlowdown: null,
    share: null,
    above: 0,
    below: 0,
    streakStart: null,
    samplesSinceObservation: 0,
    lastObservedEmitted: null,
    alert: null,
    drift: createDriftMonitor(driftConfig),
    driftAlert: null,
    modelError: createVmModelError(),
    fbAlert: null,
  };
}

function attach(state: TwinState, vmId: string, gpuId: string): void {
  const gpu = state.gpus.get(gpuId);
  if (!gpu) return;
  if (!gpu.vms.includes(vmId)) gpu.vms = [...gpu.vms, vmId].sort();
}

function detach(state: TwinState, vm: VmState): void {
  const gpu = state.gpus.get(vm.gpuId);
  if (gpu) gpu.vms = gpu.vms.filter((v) => v !== vm.vmId);
}

/** The demand the share model uses: the solo profile, or more if telemetry has shown more. */
function demandOf(state: TwinState, vm: VmState): number {
  const profiled = state.workloads.get(vm.workload)?.features.gpuUtilPct ?? null;
  const measured = vm.measuredUtilPct;
  const pct = Math.max(profiled ?? 0, measured ?? 0);
  return pct / 100;
}

export interface VmPrediction {
  readonly slowdown: number;
  /** The GPU-time share the scheduler grants (share arithmetic, whatever model predicts the slowdown). */
  readonly share: number;
  /** The scheduler model's part of `slowdown`; the rest is the learned residual. */
  readonly scheduler: number;
  /** `share-v1`, or the learned model's name when it could speak for this GPU. */
  readonly model: string;
}

/**
 * Predicted slowdown of each VM on a GPU, optionally without one of them (for aggressor search):
 * with the configured learned model (libs/interference, e.g. the hybrid: scheduler model + learned
 * residual) where it can read every member's profile under the GPU's policy, else the share
 * arithmetic.
 */
export function predictSlowdowns(
  state: TwinState,
  gpu: GpuState,
  config: TwinConfig,
  without?: string,
): Map<string, VmPrediction> {
  const members = gpu.vms.filter((v) => v !== without).map((v) => state.vms.get(v)!);
  const demands: VgpuDemand[] = members.map((vm) => ({
    demand: demandOf(state, vm),
    framebufferMib: vm.framebufferMib,
  }));
  const shares = gpuShares(gpu.policy, demands, gpu.framebufferMib);
  const learned = config.model
    ? predictLearned(
        config.model,
        gpu.policy,
        members.map((vm, i) => ({
          vmId: vm.vmId,
          features: state.workloads.get(vm.workload)?.features,
          gpuUtilPct: demands[i]!.demand * 100,
        })),
      )
    : null;
  const result = new Map<string, VmPrediction>();
  members.forEach((vm, i) => {
    const arithmetic = Math.min(MAX_SLOWDOWN, slowdownFromShare(demands[i]!.demand, shares[i]!));
    const l = learned?.[i];
    result.set(
      vm.vmId,
      l
        ? {
            slowdown: Math.min(MAX_SLOWDOWN, l.slowdown),
            share: shares[i]!,
            scheduler: Math.min(MAX_SLOWDOWN, l.scheduler ?? arithmetic),
            model: config.model!.name,
          }
        : { slowdown: arithmetic, share: shares[i]!, scheduler: arithmetic, model: SHARE_MODEL },
    );
  });
  return result;
}

function predictGpu(
  state: TwinState,
  gpuId: string,
  cause: { id: string; ts: string },
  config: TwinConfig,
  out: TwinOutput[],
): void {
  const gpu = state.gpus.get(gpuId);
  if (!gpu) return;
  for (const [vmId, p] of predictSlowdowns(state, gpu, config)) {
    const vm = state.vms.get(vmId)!;
    const slowdown = round(p.slowdown);
    if (vm.predictedSlowdown === slowdown && vm.share === round(p.share)) continue;
    vm.predictedSlowdown = slowdown;
    vm.share = round(p.share);
    const scheduler = round(p.scheduler);
    out.push({
      id: `prediction:${cause.id}:${vmId}`,
      type: 'twin.prediction',
      version: 1,
      ts: cause.ts,
      source: config.source,
      data: {
        vmId,
        gpuId,
        predictedSlowdown: slowdown,
        model: p.model,
        components: { scheduler, residual: round(slowdown - scheduler) },
        share: vm.share,
        coRunners: gpu.vms.filter((v) => v !== vmId),
      },
    });
  }
}

function observe(state: TwinState, event: VmSample, config: TwinConfig, out: TwinOutput[]): void {
  const vm = state.vms.get(event.data.vmId);
  if (!vm) {
    state.stats.unknownVmSamples++;
    return;
  }
  // Demand revealed by telemetry moves the prediction; small wiggles (< 5 points) do not.
  const util = event.data.gpuUtilPct;
  const workload = state.workloads.get(vm.workload);
  const profiled = workload?.features.gpuUtilPct ?? 0;
  const previousDemand = Math.max(profiled, vm.measuredUtilPct ?? 0);
  vm.measuredUtilPct = util;
  if (Math.abs(Math.max(profiled, util) - previousDemand) >= 5)
    predictGpu(state, vm.gpuId, event, config, out);

  checkFramebuffer(state, vm, event, config, out);

  const rate = event.data.progressRate;
  const solo = workload?.soloProgressRate ?? null;
  if (rate === null || solo === null) {
    vm.hasProgressSignal = rate !== null;
    vm.observedSlowdown = null;
    return;
  }
  vm.hasProgressSignal = true;
  vm.rates.push(rate);
  if (vm.rates.length > config.smoothingSamples) vm.rates.shift();
  let sum = 0;
  for (const r of vm.rates) sum += r;
  const mean = sum / vm.rates.length;
  const observed = round(Math.min(MAX_SLOWDOWN, mean > 0 ? solo / mean : MAX_SLOWDOWN));
  vm.observedSlowdown = observed;

  vm.samplesSinceObservation++;
  const last = vm.lastObservedEmitted;
  if (
    last === null ||
    vm.samplesSinceObservation >= config.observationEvery ||
    Math.abs(observed - last) > 0.05 * last
  ) {
    vm.samplesSinceObservation = 0;
    vm.lastObservedEmitted = observed;
    out.push({
      id: `observation:${event.id}`,
      type: 'twin.observation',
      version: 1,
      ts: event.ts,
      source: config.source,
      data: {
        vmId: vm.vmId,
        gpuId: vm.gpuId,
        observedSlowdown: observed,
        progressRate: round(mean),
        soloProgressRate: solo,
        windowSamples: vm.rates.length,
      },
    });
  }

  if (vm.predictedSlowdown !== null)
    watchDrift(state, vm, event, observed, vm.predictedSlowdown, config, out);

  const threshold = vm.sloSlowdown ?? config.sloSlowdown;
  if (observed > threshold) {
    if (vm.above === 0) vm.streakStart = event.ts;
    vm.above++;
    vm.below = 0;
    if (!vm.alert && vm.above >= config.sustainSamples) {
      const alert = raiseAlert(state, vm, event, threshold, config);
      out.push(alert);
      const suggestion = suggestFor(
        state,
        vm,
        alert.data.aggressorVmId,
        alert.data.alertId,
        event,
        config,
        (v) => demandOf(state, v),
      );
      if (suggestion) out.push(suggestion);
    }
  } else {
    if (vm.below === 0) vm.streakStart = event.ts;
    vm.below++;
    vm.above = 0;
    if (vm.alert && vm.below >= config.sustainSamples) {
      out.push(
        resolveAlert(
          state,
          vm,
          event.ts,
          event.id,
          config,
          `${vm.vmId} back at ${observed.toFixed(2)}× (SLO ${threshold.toFixed(2)}×) for ${vm.below} samples`,
        ),
      );
    }
  }
}

function scope(state: TwinState, vm: VmState) {
  const gpu = state.gpus.get(vm.gpuId);
  const host = gpu ? state.hosts.get(gpu.hostId) : undefined;
  return {
    clusterId: host?.clusterId ?? 'unknown',
    hostId: gpu?.hostId ?? 'unknown',
    gpuId: vm.gpuId,
    vmId: vm.vmId,
  };
}

/** The co-runner whose removal lowers this VM's predicted slowdown most (ties: smallest id). */
export function likelyAggressor(state: TwinState, vm: VmState, config: TwinConfig): string | null {
  const gpu = state.gpus.get(vm.gpuId);
  if (!gpu) return null;
  const base = predictSlowdowns(state, gpu, config).get(vm.vmId)?.slowdown ?? 1;
  let best: string | null = null;
  let bestGain = 0;
  for (const other of gpu.vms) {
    if (other === vm.vmId) continue;
    const without = predictSlowdowns(state, gpu, config, other).get(vm.vmId)?.slowdown ?? base;
    const gain = base - without;
    if (gain > bestGain + 1e-9) {
      best = other;
      bestGain = gain;
    }
  }
  if (best !== null) return best;
  // The model sees no culprit: name the co-runner using the most GPU, if any.
  const others = gpu.vms.filter((v) => v !== vm.vmId);
  others.sort(
    (a, b) => demandOf(state, state.vms.get(b)!) - demandOf(state, state.vms.get(a)!) || a.localeCompare(b),
  );
  return others[0] ?? null;
}

function raiseAlert(
  state: TwinState,
  vm: VmState,
  event: VmSample,
  threshold: number,
  config: TwinConfig,
): AlertRaised {
  const alertId = `interference:${vm.vmId}:${event.id}`;
  vm.alert = { alertId, raisedAt: event.ts };
  const observed = vm.observedSlowdown!;
  const aggressor = likelyAggressor(state, vm, config);
  return raised(state, vm, 'interference', alertId, event, config, {
    severity: observed >= 2 * threshold ? 'critical' : 'warning',
    message:
      `${vm.vmId} runs ${observed.toFixed(2)}× slower than alone (SLO ${threshold.toFixed(2)}×) for ${vm.above} samples` +
      (aggressor ? `; likely aggressor ${aggressor}` : ''),
    details: {},
    windowStart: vm.streakStart ?? event.ts,
    samples: vm.above,
    threshold,
    aggressorVmId: aggressor,
  });
}

function resolveAlert(
  state: TwinState,
  vm: VmState,
  ts: string,
  causeId: string,
  config: TwinConfig,
  message: string,
): AlertResolved {
  const active = vm.alert!;
  vm.alert = null;
  const r = resolved(state, vm, active, ts, causeId, config, message, vm.below);
  const evidence = {
    ...r.data.evidence,
    threshold: vm.sloSlowdown ?? config.sloSlowdown,
    windowStart: vm.streakStart ?? ts,
  };
  return { ...r, data: { ...r.data, evidence } };
}

/** Four significant decimals: keeps reports byte-stable across platforms' float printing. */
function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

type ActiveRef = { readonly alertId: string; readonly raisedAt: string };
type Kind = AlertRaised['data']['kind'];
type Details = Record<string, number | string | null>;

function raised(
  state: TwinState,
  vm: VmState,
  kind: Kind,
  alertId: string,
  event: { id: string; ts: string },
  config: TwinConfig,
  f: {
    severity: AlertRaised['data']['severity'];
    message: string;
    details: Details;
    windowStart: string;
    samples: number;
    threshold: number;
    aggressorVmId?: string | null;
  },
): AlertRaised {
  return {
    id: `alert:${alertId}`,
    type: 'alert.raised',
    version: 1,
    ts: event.ts,
    source: config.source,
    data: {
      alertId,
      kind,
      ...scope(state, vm),
      severity: f.severity,
      message: f.message,
      evidence: {
        observedSlowdown: vm.observedSlowdown,
        predictedSlowdown: vm.predictedSlowdown,
        threshold: f.threshold,
        samples: f.samples,
        windowStart: f.windowStart,
        windowEnd: event.ts,
        details: f.details,
      },
      aggressorVmId: f.aggressorVmId ?? null,
    },
  };
}

function resolved(
  state: TwinState,
  vm: VmState,
  active: ActiveRef,
  ts: string,
  causeId: string,
  config: TwinConfig,
  message: string,
  samples: number,
  details: Details = {},
): AlertResolved {
  const kind = active.alertId.slice(0, active.alertId.indexOf(':')) as Kind;
  return {
    id: `resolved:${active.alertId}:${causeId}`,
    type: 'alert.resolved',
    version: 1,
    ts,
    source: config.source,
    data: {
      alertId: active.alertId,
      kind,
      ...scope(state, vm),
      message,
      evidence: {
        observedSlowdown: vm.observedSlowdown,
        predictedSlowdown: vm.predictedSlowdown,
        threshold: 0,
        samples,
        windowStart: active.raisedAt,
        windowEnd: ts,
        details,
      },
    },
  };
}

/** DESIGN.md: a vGPU may report more framebuffer than it has; jobs then halt without an OOM error. */
function checkFramebuffer(
  state: TwinState,
  vm: VmState,
  event: VmSample,
  config: TwinConfig,
  out: TwinOutput[],
): void {
  const used = event.data.fbUsedMib / vm.framebufferMib;
  if (vm.fbAlert ? used >= config.framebufferClearBelow : used <= config.framebufferAlertAbove) return;
  const details = { fbUsedMib: event.data.fbUsedMib, fbProfileMib: vm.framebufferMib, fraction: round(used) };
  if (!vm.fbAlert) {
    const alertId = `framebuffer:${vm.vmId}:${event.id}`;
    vm.fbAlert = { alertId, raisedAt: event.ts };
    out.push(
      raised(state, vm, 'framebuffer', alertId, event, config, {
        severity: used >= 1 ? 'critical' : 'warning',
        message:
          `${vm.vmId} uses ${(used * 100).toFixed(1)}% of its ${vm.profile} framebuffer (${event.data.fbUsedMib} of ${vm.framebufferMib} MiB), ` +
          `above ${(config.framebufferAlertAbove * 100).toFixed(0)}%: jobs on a vGPU that over-reports memory can halt without an out-of-memory error`,
        details,
        windowStart: event.ts,
        samples: 1,
        threshold: config.framebufferAlertAbove,
      }),
    );
  } else {
    out.push(
      resolved(
        state,
        vm,
        vm.fbAlert,
        event.ts,
        event.id,
        config,
        `${vm.vmId} framebuffer back to ${(used * 100).toFixed(1)}%`,
        1,
        details,
      ),
    );
    vm.fbAlert = null;
  }
}

/** Observed − predicted through the drift monitor, and into the cluster's model error. */
function watchDrift(
  state: TwinState,
  vm: VmState,
  event: VmSample,
  observed: number,
  predicted: number,
  config: TwinConfig,
  out: TwinOutput[],
): void {
  const t = updateDriftMonitor(vm.drift, observed - predicted, config.drift);
  if (t?.type === 'raised') {
    if (vm.driftAlert) {
      out.push(
        resolved(
          state,
          vm,
          vm.driftAlert,
          event.ts,
          event.id,
          config,
          `${vm.vmId}: drift ${vm.driftAlert.direction} superseded`,
          vm.drift.activeSamples,
        ),
      );
      vm.driftAlert = null;
    }
    const { direction, level, magnitude, changeSamples, detector } = t.signal;
    const alertId = `drift:${vm.vmId}:${event.id}`;
    vm.driftAlert = { alertId, raisedAt: event.ts, direction };
    const why =
      direction === 'slower' ? 'unmodelled interference or a changed workload' : 'the model may be stale';
    out.push(
      raised(state, vm, 'drift', alertId, event, config, {
        severity: 'warning',
        message:
          `${vm.vmId} runs ${direction} than predicted: observed ${observed.toFixed(2)}× vs predicted ${predicted.toFixed(2)}× ` +
          `(${level >= 0 ? '+' : ''}${level.toFixed(2)}× for ~${changeSamples} samples) — ${why}`,
        details: { direction, residual: round(level), magnitude: round(magnitude), detector },
        windowStart: event.ts,
        samples: changeSamples,
        threshold: 0,
        // slower than predicted: a co-runner may be the unmodelled cause
        aggressorVmId: direction === 'slower' ? likelyAggressor(state, vm, config) : null,
      }),
    );
  } else if (t?.type === 'resolved' && vm.driftAlert) {
    out.push(
      resolved(
        state,
        vm,
        vm.driftAlert,
        event.ts,
        event.id,
        config,
        `${vm.vmId} back in line with the model (residual ${t.level.toFixed(2)}×)`,
        t.activeSamples,
        {
          direction: t.direction,
          residual: round(t.level),
        },
      ),
    );
    vm.driftAlert = null;
  }
  const flip = updateModelError(state.modelError, vm.modelError, observed, predicted, config.modelError);
  if (flip) out.push(...modelStaleTransition(state, vm, flip, event.ts, event.id, config));
}

function modelStaleTransition(
  state: TwinState,
  vm: VmState,
  flip: { type: 'model.stale' | 'model.fresh'; error: number; bias: number; vms: number },
  ts: string,
  causeId: string,
  config: TwinConfig,
): TwinOutput[] {
  const details = { error: round(flip.error), bias: round(flip.bias), vms: flip.vms };
  if (flip.type === 'model.stale' && !state.modelStaleAlert) {
    const alertId = `model_stale:${causeId}`;
    state.modelStaleAlert = { alertId, raisedAt: ts };
    return [
      raised(state, vm, 'model_stale', alertId, { id: causeId, ts }, config, {
        severity: 'warning',
        message:
          `model stale — retrain: predictions are off by ${(flip.error * 100).toFixed(1)}% on average across ${flip.vms} VMs ` +
          `(bias ${flip.bias >= 0 ? '+' : ''}${(flip.bias * 100).toFixed(1)}%)`,
        details,
        windowStart: ts,
        samples: flip.vms,
        threshold: config.modelError.staleAbove,
      }),
    ];
  }
  if (flip.type === 'model.fresh' && state.modelStaleAlert) {
    const active = state.modelStaleAlert;
    state.modelStaleAlert = null;
    return [
      resolved(
        state,
        vm,
        active,
        ts,
        causeId,
        config,
        `model error back to ${(flip.error * 100).toFixed(1)}% across ${flip.vms} VMs`,
        flip.vms,
        details,
      ),
    ];
  }
  return [];
}
