import type { AlertRaised, AlertResolved, PlacementSuggested, AnyVmSample } from '@vgpu-twin/contracts';
import { likelyAggressor } from '../aggressor';
import type { TwinConfig, TwinState, VmState } from '../state';
import { suggestFor } from '../suggestions';
import { raised, resolved, sloOf, type Cause } from './events';

type Out = { push(...e: (AlertRaised | AlertResolved | PlacementSuggested)[]): number };

/**
 * Interference: the observed slowdown above the VM's SLO for `sustainSamples` samples raises an
 * alert naming the likely aggressor, with a re-placement suggestion where a move helps; as many
 * samples back under it resolve it.
 */
export function decideInterference(
  state: TwinState,
  vm: VmState,
  event: AnyVmSample,
  observed: number,
  config: TwinConfig,
  out: Out,
): void {
  const threshold = sloOf(vm, config);
  if (observed > threshold) {
    if (vm.above === 0) vm.streakStart = event.ts;
    vm.above++;
    vm.below = 0;
    if (vm.alert || vm.above < config.sustainSamples) return;
    const alert = raiseInterference(state, vm, event, threshold, config);
    out.push(alert);
    const suggestion = suggestFor(state, vm, alert.data.aggressorVmId, alert.data.alertId, event, config);
    if (suggestion) out.push(suggestion);
    return;
  }
  if (vm.below === 0) vm.streakStart = event.ts;
  vm.below++;
  vm.above = 0;
  if (vm.alert && vm.below >= config.sustainSamples)
    out.push(
      resolveInterference(
        state,
        vm,
        event,
        config,
        `${vm.vmId} back at ${observed.toFixed(2)}× (SLO ${threshold.toFixed(2)}×) for ${vm.below} samples`,
      ),
    );
}

function raiseInterference(
  state: TwinState,
  vm: VmState,
  event: AnyVmSample,
  threshold: number,
  config: TwinConfig,
): AlertRaised {
  const alertId = `interference:${vm.vmId}:${event.id}`;
  vm.alert = { alertId, raisedAt: event.ts };
  const observed = vm.observedSlowdown!;
  const aggressor = likelyAggressor(state, vm, config);
  const confirms = vm.predictedAlert ? `; confirms ${vm.predictedAlert.alertId}` : '';
  return raised(state, vm, 'interference', alertId, event, config, {
    severity: observed >= 2 * threshold ? 'critical' : 'warning',
    message:
      `${vm.vmId} runs ${observed.toFixed(2)}× slower than alone (SLO ${threshold.toFixed(2)}×) for ${vm.above} samples` +
      (aggressor ? `; likely aggressor ${aggressor}` : '') +
      confirms,
    details: vm.predictedAlert ? { confirms: vm.predictedAlert.alertId } : {},
    windowStart: vm.streakStart ?? event.ts,
    samples: vm.above,
    threshold,
    aggressorVmId: aggressor,
  });
}

export function resolveInterference(
  state: TwinState,
  vm: VmState,
  cause: Cause,
  config: TwinConfig,
  message: string,
): AlertResolved {
  const active = vm.alert!;
  vm.alert = null;
  const r = resolved(state, vm, active, cause, config, message, vm.below);
  const evidence = {
    ...r.data.evidence,
    threshold: sloOf(vm, config),
    windowStart: vm.streakStart ?? cause.ts,
  };
  return { ...r, data: { ...r.data, evidence } };
}
