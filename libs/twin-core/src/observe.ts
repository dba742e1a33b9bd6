import type { AnyVmSample } from '@vgpu-twin/contracts';
import { decideDrift } from './alerts/drift';
import { decideFramebuffer } from './alerts/framebuffer';
import { decideInterference } from './alerts/interference';
import { decidePredicted } from './alerts/predicted';
import { round } from './alerts/events';
import { trackDemand } from './demand';
import { MAX_SLOWDOWN } from './predict';
import { repredict } from './predictions';
import type { TwinConfig, TwinState } from './state';
import type { TwinOutput } from './step';

/**
 * One VM sample: demand under contention (may re-predict the GPU), framebuffer headroom, the
 * observed slowdown (solo progress rate ÷ the smoothed current rate), then drift and interference
 * against it. A VM the inventory does not know is counted, never guessed.
 */
export function observe(state: TwinState, event: AnyVmSample, config: TwinConfig, out: TwinOutput[]): void {
  const vm = state.vms.get(event.data.vmId);
  if (!vm) {
    state.stats.unknownVmSamples++;
    return;
  }
  if (event.data.gpuUtilPct !== null) vm.measuredUtilPct = event.data.gpuUtilPct;
  if (trackDemand(state, vm, event, config)) {
    repredict(state, vm.gpuId, event, config, out);
    decidePredicted(state, vm.gpuId, event, config, out, false);
  }

  decideFramebuffer(state, vm, event, config, out);

  const rate = event.data.progressRate;
  // a version-2 sample says only what its source measured: no progress in it is not "no signal"
  // (a vGPU's utilisation and its workload's progress metric arrive as separate samples)
  if (rate === null && event.version === 2) return;
  const workload = state.workloads.get(vm.workload);
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
    decideDrift(state, vm, event, observed, vm.predictedSlowdown, config, out);
  decideInterference(state, vm, event, observed, config, out);
}
