import type { AnyVmSample } from '@vgpu-twin/contracts';
import * as drift from '@vgpu-twin/drift';
import { likelyAggressor } from '../aggressor';
import type { TwinConfig, TwinState, VmState } from '../state';
import { raised, resolved, round, type Out } from './events';
import { decideModelStale } from './model-stale';

// Bound once: compiled re-exports are getters, and these run for every sample (libs/drift's bench).
const { updateDriftMonitor, updateModelError } = drift;

/**
 * Drift: observed − predicted through the drift monitor (CUSUM by default), and into the cluster's
 * model error ("model stale — retrain"). `slower`: unmodelled interference or a changed workload;
 * `faster`: a stale model. Raised even while an interference alert is open on the VM: whether that
 * one explains it is the notifier's call (it marks the drift alert inhibited).
 */
export function decideDrift(
  state: TwinState,
  vm: VmState,
  event: AnyVmSample,
  observed: number,
  predicted: number,
  config: TwinConfig,
  out: Out,
): void {
  const t = updateDriftMonitor(vm.drift, observed - predicted, config.drift);
  if (t?.type === 'raised') {
    if (vm.driftAlert) {
      out.push(
        resolved(
          state,
          vm,
          vm.driftAlert,
          event,
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
        event,
        config,
        `${vm.vmId} back in line with the model (residual ${t.level.toFixed(2)}×)`,
        t.activeSamples,
        { direction: t.direction, residual: round(t.level) },
      ),
    );
    vm.driftAlert = null;
  }
  const flip = updateModelError(state.modelError, vm.modelError, observed, predicted, config.modelError);
  if (flip) decideModelStale(state, vm, flip, event, config, out);
}
