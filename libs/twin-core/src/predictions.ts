import type { PredictionMade } from '@vgpu-twin/contracts';
import { createDriftMonitor } from '@vgpu-twin/drift';
import { predictGpu } from './predict';
import type { TwinConfig, TwinState } from './state';
import { round, type Cause } from './alerts/events';

/**
 * Re-predicts every VM on a GPU and publishes what changed as `twin.prediction` events; returns the
 * ids of the VMs whose prediction moved. A moved prediction restarts the VM's drift detector (unless
 * it holds a drift alert): drift means telemetry parting from a prediction that stood still, and the
 * residuals against the old one say nothing about the new. A GPU with an unprofiled member marks its
 * VMs unprofiled and predicts nothing.
 */
export function repredict(
  state: TwinState,
  gpuId: string,
  cause: Cause,
  config: TwinConfig,
  out: { push(...e: PredictionMade[]): number },
): string[] {
  const gpu = state.gpus.get(gpuId);
  if (!gpu) return [];
  const p = predictGpu(state, gpu, config);
  if (!p.ok) {
    for (const id of gpu.vms) {
      const vm = state.vms.get(id)!;
      vm.unprofiled = true;
      vm.predictedSlowdown = null;
      vm.share = null;
      vm.prediction = null;
    }
    return [];
  }
  const moved: string[] = [];
  for (const [vmId, pr] of p.vms) {
    const vm = state.vms.get(vmId)!;
    vm.unprofiled = false;
    const slowdown = round(pr.slowdown);
    const share = round(Math.min(1, pr.share));
    const scheduler = round(pr.scheduler);
    vm.prediction = {
      model: pr.model,
      scheduler,
      residual: round(slowdown - scheduler),
      shareArithmetic: round(pr.shareArithmetic),
    };
    if (vm.predictedSlowdown === slowdown && vm.share === share) continue;
    vm.predictedSlowdown = slowdown;
    vm.share = share;
    moved.push(vmId);
    if (!vm.driftAlert) vm.drift = createDriftMonitor(config.drift);
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
        model: pr.model,
        components: { scheduler, residual: vm.prediction.residual },
        shareArithmetic: vm.prediction.shareArithmetic,
        share,
        coRunners: gpu.vms.filter((v) => v !== vmId),
      },
    });
  }
  return moved;
}
