import type { InventoryEvent } from '@vgpu-twin/contracts';
import { createDriftMonitor, createVmModelError, removeVmFromModelError } from '@vgpu-twin/drift';
import { resolved, type Cause } from './alerts/events';
import { resolveInterference } from './alerts/interference';
import { decideModelStale } from './alerts/model-stale';
import { decidePredicted, resolvePredicted } from './alerts/predicted';
import { repredict } from './predictions';
import type { TwinConfig, TwinState, VmState } from './state';
import type { TwinOutput } from './step';

type Out = TwinOutput[];

/**
 * The inventory fold: hosts, GPUs, placements and workload profiles. Every change to a GPU's
 * co-location set or policy re-predicts that GPU and may raise (or resolve) `predicted_interference`.
 */
export function applyInventory(state: TwinState, event: InventoryEvent, config: TwinConfig, out: Out): void {
  switch (event.type) {
    case 'host.registered':
      state.hosts.set(event.data.hostId, {
        hostId: event.data.hostId,
        clusterId: event.data.clusterId,
        homogeneousProfiles: event.data.homogeneousProfiles,
      });
      return;
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
      changed(state, event.data.gpuId, event, config, out);
      return;
    }
    case 'gpu.policy_changed': {
      const gpu = state.gpus.get(event.data.gpuId);
      if (!gpu) return;
      gpu.policy = event.data.policy;
      if (event.data.timeSliceMs !== undefined) gpu.timeSliceMs = event.data.timeSliceMs;
      changed(state, gpu.gpuId, event, config, out);
      return;
    }
    case 'vm.placed': {
      const d = event.data;
      const previous = state.vms.get(d.vmId);
      if (previous) detach(state, previous);
      state.vms.set(
        d.vmId,
        newVm(d.vmId, d.gpuId, d.profile, d.framebufferMib, d.workload, d.sloSlowdown ?? null, config),
      );
      attach(state, d.vmId, d.gpuId);
      if (previous && previous.gpuId !== d.gpuId) changed(state, previous.gpuId, event, config, out);
      changed(state, d.gpuId, event, config, out);
      return;
    }
    case 'vm.migrated': {
      const vm = state.vms.get(event.data.vmId);
      if (!vm) return;
      detach(state, vm);
      vm.gpuId = event.data.toGpuId;
      vm.profile = event.data.profile;
      vm.framebufferMib = event.data.framebufferMib;
      vm.rates = [];
      vm.utilWindow = [];
      vm.utilOff = 0;
      attach(state, vm.vmId, vm.gpuId);
      changed(state, event.data.fromGpuId, event, config, out);
      changed(state, event.data.toGpuId, event, config, out);
      return;
    }
    case 'vm.removed': {
      const vm = state.vms.get(event.data.vmId);
      if (!vm) return;
      const why = `${vm.vmId} was removed`;
      if (vm.alert) out.push(resolveInterference(state, vm, event, config, why));
      resolvePredicted(state, vm, event, config, out, why);
      for (const active of [vm.driftAlert, vm.fbAlert])
        if (active) out.push(resolved(state, vm, active, event, config, why, 0));
      const staleFlip = removeVmFromModelError(state.modelError, vm.modelError, config.modelError);
      if (staleFlip) decideModelStale(state, vm, staleFlip, event, config, out);
      detach(state, vm);
      state.vms.delete(vm.vmId);
      changed(state, vm.gpuId, event, config, out);
      return;
    }
    case 'workload.profiled': {
      state.workloads.set(event.data.workload, {
        workload: event.data.workload,
        features: event.data.features,
        soloProgressRate: event.data.soloProgressRate,
      });
      const gpus = new Set<string>();
      for (const vm of state.vms.values()) if (vm.workload === event.data.workload) gpus.add(vm.gpuId);
      for (const g of [...gpus].sort()) changed(state, g, event, config, out);
      return;
    }
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** A GPU's set, policy or profiles changed: predict it anew, and judge the new prediction against the SLOs. */
function changed(state: TwinState, gpuId: string, cause: Cause, config: TwinConfig, out: Out): void {
  repredict(state, gpuId, cause, config, out);
  decidePredicted(state, gpuId, cause, config, out, true);
}

function newVm(
  vmId: string,
  gpuId: string,
  profile: string,
  fb: number,
  workload: string,
  slo: number | null,
  config: TwinConfig,
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
    demandPct: null,
    utilWindow: [],
    utilOff: 0,
    hasProgressSignal: null,
    observedSlowdown: null,
    predictedSlowdown: null,
    share: null,
    prediction: null,
    unprofiled: false,
    above: 0,
    below: 0,
    streakStart: null,
    samplesSinceObservation: 0,
    lastObservedEmitted: null,
    alert: null,
    predictedAlert: null,
    drift: createDriftMonitor(config.drift),
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
