import type { AlertRaised, AlertResolved } from '@vgpu-twin/contracts';
import type { TwinConfig, TwinState, VmState } from '../state';

/** What a decider adds to: the step's output events (the fold's outputs, in order). */
export type Out = { push(...events: (AlertRaised | AlertResolved)[]): number };

export type ActiveRef = { readonly alertId: string; readonly raisedAt: string };
export type Kind = AlertRaised['data']['kind'];
export type Details = Record<string, number | string | null>;
export type Cause = { readonly id: string; readonly ts: string };

/** Four decimals: keeps reports byte-stable across platforms' float printing. */
export function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

export function scope(state: TwinState, vm: VmState) {
  const gpu = state.gpus.get(vm.gpuId);
  const host = gpu ? state.hosts.get(gpu.hostId) : undefined;
  return {
    clusterId: host?.clusterId ?? 'unknown',
    hostId: gpu?.hostId ?? 'unknown',
    gpuId: vm.gpuId,
    vmId: vm.vmId,
  };
}

export function raised(
  state: TwinState,
  vm: VmState,
  kind: Kind,
  alertId: string,
  event: Cause,
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

export function resolved(
  state: TwinState,
  vm: VmState,
  active: ActiveRef,
  cause: Cause,
  config: TwinConfig,
  message: string,
  samples: number,
  details: Details = {},
): AlertResolved {
  const kind = active.alertId.slice(0, active.alertId.indexOf(':')) as Kind;
  return {
    id: `resolved:${active.alertId}:${cause.id}`,
    type: 'alert.resolved',
    version: 1,
    ts: cause.ts,
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
        windowEnd: cause.ts,
        details,
      },
    },
  };
}

/** The SLO that applies to a VM: its own (`sloSlowdown` on `vm.placed`) or the twin's default. */
export const sloOf = (vm: VmState, config: TwinConfig): number => vm.sloSlowdown ?? config.sloSlowdown;
