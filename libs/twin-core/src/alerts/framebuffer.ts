import type { AnyVmSample } from '@vgpu-twin/contracts';
import type { TwinConfig, TwinState, VmState } from '../state';
import { raised, resolved, round, type Out } from './events';

/**
 * Framebuffer headroom. DESIGN.md: a vGPU may report more framebuffer than it has; jobs that use
 * it then halt without an out-of-memory error, and capping use at 95% avoided it. Raised above
 * `framebufferAlertAbove` of the profile, cleared under `framebufferClearBelow`.
 */
export function decideFramebuffer(
  state: TwinState,
  vm: VmState,
  event: AnyVmSample,
  config: TwinConfig,
  out: Out,
): void {
  const fbUsedMib = event.data.fbUsedMib;
  if (fbUsedMib === null) return; // the source reports no per-VM framebuffer
  const used = fbUsedMib / vm.framebufferMib;
  if (vm.fbAlert ? used >= config.framebufferClearBelow : used <= config.framebufferAlertAbove) return;
  const details = { fbUsedMib, fbProfileMib: vm.framebufferMib, fraction: round(used) };
  if (!vm.fbAlert) {
    const alertId = `framebuffer:${vm.vmId}:${event.id}`;
    vm.fbAlert = { alertId, raisedAt: event.ts };
    out.push(
      raised(state, vm, 'framebuffer', alertId, event, config, {
        severity: used >= 1 ? 'critical' : 'warning',
        message:
          `${vm.vmId} uses ${(used * 100).toFixed(1)}% of its ${vm.profile} framebuffer (${fbUsedMib} of ${vm.framebufferMib} MiB), ` +
          `above ${(config.framebufferAlertAbove * 100).toFixed(0)}%: jobs on a vGPU that over-reports memory can halt without an out-of-memory error`,
        details,
        windowStart: event.ts,
        samples: 1,
        threshold: config.framebufferAlertAbove,
      }),
    );
    return;
  }
  out.push(
    resolved(
      state,
      vm,
      vm.fbAlert,
      event,
      config,
      `${vm.vmId} framebuffer back to ${(used * 100).toFixed(1)}%`,
      1,
      details,
    ),
  );
  vm.fbAlert = null;
}
