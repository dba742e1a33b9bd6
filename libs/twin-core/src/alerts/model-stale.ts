import type { TwinConfig, TwinState, VmState } from '../state';
import { raised, resolved, round, type Cause, type Out } from './events';

export interface ModelErrorFlip {
  readonly type: 'model.stale' | 'model.fresh';
  readonly error: number;
  readonly bias: number;
  readonly vms: number;
}

/** "Model stale — retrain": the cluster-wide model error crossed its bound (libs/drift), or came back. */
export function decideModelStale(
  state: TwinState,
  vm: VmState,
  flip: ModelErrorFlip,
  cause: Cause,
  config: TwinConfig,
  out: Out,
): void {
  const details = { error: round(flip.error), bias: round(flip.bias), vms: flip.vms };
  if (flip.type === 'model.stale' && !state.modelStaleAlert) {
    const alertId = `model_stale:${cause.id}`;
    state.modelStaleAlert = { alertId, raisedAt: cause.ts };
    out.push(
      raised(state, vm, 'model_stale', alertId, cause, config, {
        severity: 'warning',
        message:
          `model stale — retrain: predictions are off by ${(flip.error * 100).toFixed(1)}% on average across ${flip.vms} VMs ` +
          `(bias ${flip.bias >= 0 ? '+' : ''}${(flip.bias * 100).toFixed(1)}%)`,
        details,
        windowStart: cause.ts,
        samples: flip.vms,
        threshold: config.modelError.staleAbove,
      }),
    );
  } else if (flip.type === 'model.fresh' && state.modelStaleAlert) {
    const active = state.modelStaleAlert;
    state.modelStaleAlert = null;
    out.push(
      resolved(
        state,
        vm,
        active,
        cause,
        config,
        `model error back to ${(flip.error * 100).toFixed(1)}% across ${flip.vms} VMs`,
        flip.vms,
        details,
      ),
    );
  }
}
