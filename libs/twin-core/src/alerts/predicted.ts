import { likelyAggressor } from '../aggressor';
import type { TwinConfig, TwinState, VmState } from '../state';
import { raised, resolved, sloOf, type Cause, type Out } from './events';

/**
 * `predicted_interference`: the moment a placement, migration or policy change puts a VM where the
 * model predicts it over its SLO — before any telemetry of the new co-location — an alert whose
 * evidence holds the scheduler's number, the learned residual and what the share arithmetic would
 * have said (short kernels next to long ones are where the two part: DESIGN.md's 2–11×). It resolves
 * when the prediction comes back under the SLO (a move, a removal, a re-estimated demand), and
 * telemetry confirms it through the interference alert, which it does not replace. Raised even while
 * an interference alert is open on the VM: the notifier marks it inhibited by that one.
 */
export function decidePredicted(
  state: TwinState,
  gpuId: string,
  cause: Cause,
  config: TwinConfig,
  out: Out,
  mayRaise: boolean,
): void {
  const gpu = state.gpus.get(gpuId);
  if (!gpu) return;
  for (const id of gpu.vms) {
    const vm = state.vms.get(id)!;
    const slo = sloOf(vm, config);
    const over = vm.predictedSlowdown !== null && vm.predictedSlowdown > slo;
    if (over && mayRaise && !vm.predictedAlert) raisePredicted(state, vm, slo, cause, config, out);
    else if (!over && vm.predictedAlert)
      resolvePredicted(state, vm, cause, config, out, describeBack(vm, slo));
  }
}

export function resolvePredicted(
  state: TwinState,
  vm: VmState,
  cause: Cause,
  config: TwinConfig,
  out: Out,
  message: string,
): void {
  const active = vm.predictedAlert;
  if (!active) return;
  vm.predictedAlert = null;
  out.push(resolved(state, vm, active, cause, config, message, 0));
}

function describeBack(vm: VmState, slo: number): string {
  return vm.predictedSlowdown === null
    ? `${vm.vmId} has no prediction any more`
    : `${vm.vmId} now predicted at ${vm.predictedSlowdown.toFixed(2)}× (SLO ${slo.toFixed(2)}×)`;
}

function raisePredicted(
  state: TwinState,
  vm: VmState,
  slo: number,
  cause: Cause,
  config: TwinConfig,
  out: Out,
): void {
  const p = vm.prediction!;
  const predicted = vm.predictedSlowdown!;
  const alertId = `predicted_interference:${vm.vmId}:${cause.id}`;
  vm.predictedAlert = { alertId, raisedAt: cause.ts };
  const aggressor = likelyAggressor(state, vm, config);
  const coRunners = state.gpus.get(vm.gpuId)!.vms.filter((v) => v !== vm.vmId);
  out.push(
    raised(state, vm, 'predicted_interference', alertId, cause, config, {
      severity: predicted >= 2 * slo ? 'critical' : 'warning',
      message:
        `${vm.vmId} is predicted to run ${predicted.toFixed(2)}× slower than alone next to ${coRunners.join(', ')} ` +
        `(scheduler ${p.scheduler.toFixed(2)}×, residual ${p.residual >= 0 ? '+' : ''}${p.residual.toFixed(2)}×; ` +
        `the share arithmetic says ${p.shareArithmetic.toFixed(2)}×), above its SLO ${slo.toFixed(2)}×`,
      details: {
        model: p.model,
        hybrid: predicted,
        scheduler: p.scheduler,
        residual: p.residual,
        shareArithmetic: p.shareArithmetic,
        coRunners: coRunners.join(','),
      },
      windowStart: cause.ts,
      samples: 0,
      threshold: slo,
      aggressorVmId: aggressor,
    }),
  );
}
