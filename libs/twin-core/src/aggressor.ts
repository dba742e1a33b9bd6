import { effectiveFeatures, predictGpu } from './predict';
import type { TwinConfig, TwinState, VmState } from './state';

/**
 * The co-runner whose removal lowers this VM's predicted slowdown most (ties: smallest id); where
 * the model sees no culprit, the co-runner with the most GPU demand.
 */
export function likelyAggressor(state: TwinState, vm: VmState, config: TwinConfig): string | null {
  const gpu = state.gpus.get(vm.gpuId);
  if (!gpu) return null;
  const all = predictGpu(state, gpu, config);
  const base = all.ok ? (all.vms.get(vm.vmId)?.slowdown ?? 1) : 1;
  let best: string | null = null;
  let bestGain = 0;
  for (const other of gpu.vms) {
    if (other === vm.vmId) continue;
    const p = predictGpu(state, gpu, config, { without: other });
    const without = p.ok ? (p.vms.get(vm.vmId)?.slowdown ?? base) : base;
    const gain = base - without;
    if (gain > bestGain + 1e-9) {
      best = other;
      bestGain = gain;
    }
  }
  if (best !== null) return best;
  const demand = (id: string) => effectiveFeatures(state, state.vms.get(id)!)?.gpuUtilPct ?? 0;
  const others = gpu.vms.filter((v) => v !== vm.vmId);
  others.sort((a, b) => demand(b) - demand(a) || a.localeCompare(b));
  return others[0] ?? null;
}
