import { VgpuProfile, type InventoryEvent } from '@vgpu-twin/contracts';
import { findGpuByProductName, findProfile } from '@vgpu-twin/scheduler';
import type { Problem, Reading } from '../reading';
import { eventId } from './ids';
import { findIndexedGpu, type InventoryIndex } from './inventory-index';
import { defaultGpuId, mappedVm, vgpusByVm, vmIdOf } from './to-events';
import type { TelemetryMapping } from './mapping';

export interface DiscoveryInput {
  readonly host: string;
  readonly clusterId: string;
  /** `nvidia-smi vgpu -q` of the host: a `gpu` reading per physical GPU and a `vgpu` reading per vGPU. */
  readonly vgpu: readonly Reading[];
  /** The host's `--query-gpu` readings, when known: they give each GPU's UUID, name and framebuffer. */
  readonly gpus: readonly Reading[];
  readonly atMs: number;
  readonly source: string;
}

export interface Discovered {
  readonly events: InventoryEvent[];
  /** Readings that could not become inventory (each names its line). */
  readonly problems: Problem[];
  /** Worth a log line but not an error: a GPU model the catalog lacks. */
  readonly warnings: string[];
}

/** Workload name of a VM no mapping names a workload for: the twin marks it unprofiled. */
export const UNPROFILED_WORKLOAD = 'unprofiled';

/**
 * Inventory discovery: one host's `nvidia-smi vgpu -q` against what the inventory holds → the
 * events that make the inventory match it. A host or GPU seen for the first time is registered; a
 * VM is placed, migrated (its vGPU is now on another GPU, of this host or — the inventory has it
 * elsewhere — another host) or removed (the inventory has it on one of this host's GPUs and the
 * host no longer shows it). A VM is known by its UUID or name, never by its vGPU ID, which changes
 * whenever the VM restarts: a restart is no event.
 */
export function discoverInventory(
  index: InventoryIndex,
  mapping: TelemetryMapping,
  input: DiscoveryInput,
): Discovered {
  const events: InventoryEvent[] = [];
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const ts = new Date(input.atMs).toISOString();
  const envelope = (type: string, entity: string) => ({
    id: eventId('discovery', input.host, input.atMs, type, entity),
    version: 1 as const,
    ts,
    source: input.source,
  });

  if (!index.hosts.has(input.host)) {
    events.push({
      ...envelope('host.registered', input.host),
      type: 'host.registered',
      data: { hostId: input.host, clusterId: input.clusterId, homogeneousProfiles: true },
    });
  }

  // the physical GPUs: from their `GPU <bus id>` blocks, and from any vGPU's bus id
  const gpuOfBus = new Map<string, string>();
  const physical = new Map<string, Reading>();
  for (const r of input.vgpu) if (r.busId !== null && !physical.has(r.busId)) physical.set(r.busId, r);
  for (const [busId, r] of physical) {
    const csv = input.gpus.find((g) => g.busId === busId) ?? null;
    const uuid = csv?.gpuUuid ?? (r.kind === 'gpu' ? r.gpuUuid : null);
    const mapped = mapping.gpus.find(
      (g) =>
        (g.uuid !== undefined && uuid !== null && g.uuid.toUpperCase() === uuid.toUpperCase()) ||
        (g.host === input.host && g.busId === busId),
    );
    const known = mapped ? index.gpus.get(mapped.gpuId) : findIndexedGpu(index, uuid, input.host, busId);
    if (known) {
      gpuOfBus.set(busId, known.gpuId);
      continue;
    }
    const gpuId = mapped?.gpuId ?? uuid ?? defaultGpuId(input.host, busId);
    const name = csv?.model ?? (r.kind === 'gpu' ? r.model : null) ?? familyOfVgpuType(input.vgpu, busId);
    const fbTotal = csv?.metrics.fbTotalMib ?? null;
    const model = name === null ? null : findGpuByProductName(name, fbTotal ?? undefined);
    if (model === null) {
      warnings.push(
        `GPU ${gpuId} on ${input.host}: model ${name === null ? 'not reported' : `'${name}'`} is not in the catalog; ` +
          `the scheduler model assumes nothing about it beyond its framebuffer`,
      );
    }
    const framebufferMib = model?.framebufferMib ?? fbTotal;
    if (framebufferMib === null || framebufferMib <= 0) {
      problems.push({
        line: r.line,
        message: `cannot register GPU ${busId} of ${input.host}: neither a known model nor a reported framebuffer (post its --query-gpu CSV first)`,
      });
      continue;
    }
    gpuOfBus.set(busId, gpuId);
    events.push({
      ...envelope('gpu.registered', gpuId),
      type: 'gpu.registered',
      data: {
        gpuId,
        hostId: input.host,
        model: model?.id ?? name ?? 'unknown',
        framebufferMib,
        policy: 'best_effort', // nvidia-smi vgpu -q does not print the scheduler; best effort is the driver's default (DESIGN.md)
        timeSliceMs: 1, // about 1 ms (DESIGN.md, measured on a P100)
        ...(uuid !== null ? { uuid } : {}),
        busId,
      },
    });
  }

  // the VMs
  const vgpusOfVm = vgpusByVm(input.vgpu);
  const seen = new Set<string>();
  for (const r of input.vgpu) {
    if (r.kind !== 'vgpu') continue;
    const vmId = vmIdOf(r, mapping, vgpusOfVm);
    const gpuId = r.busId === null ? undefined : gpuOfBus.get(r.busId);
    if (vmId === null || gpuId === undefined) {
      if (vmId === null)
        problems.push({ line: r.line, message: 'a vGPU with no VM name or UUID: cannot place it' });
      continue; // its GPU could not be registered: a problem was named for it above
    }
    if (seen.has(vmId)) continue;
    seen.add(vmId);
    const profile = profileOf(r.vgpuType);
    if (profile === null) {
      problems.push({
        line: r.line,
        field: 'vGPU Name',
        message: `vGPU type '${r.vgpuType ?? ''}' of ${vmId} is not a vGPU profile name such as GRID P40-6Q`,
      });
      continue;
    }
    const framebufferMib = r.metrics.fbTotalMib ?? catalogFramebuffer(index, gpuId, events, profile);
    if (framebufferMib === null || framebufferMib <= 0) {
      problems.push({
        line: r.line,
        field: 'FB Memory Usage',
        message: `no framebuffer reported for ${vmId}'s vGPU`,
      });
      continue;
    }
    const was = index.vms.get(vmId);
    if (!was) {
      const m = mappedVm(mapping, { vmName: r.vm?.name ?? '', vmUuid: r.vm?.uuid ?? '' });
      events.push({
        ...envelope('vm.placed', vmId),
        type: 'vm.placed',
        data: {
          vmId,
          gpuId,
          profile,
          framebufferMib,
          workload: m?.workload ?? UNPROFILED_WORKLOAD,
          ...(m?.sloSlowdown !== undefined ? { sloSlowdown: m.sloSlowdown } : {}),
        },
      });
    } else if (was.gpuId !== gpuId) {
      events.push({
        ...envelope('vm.migrated', vmId),
        type: 'vm.migrated',
        data: { vmId, fromGpuId: was.gpuId, toGpuId: gpuId, profile, framebufferMib },
      });
    }
  }

  // VMs the inventory has on this host's GPUs that the host no longer shows
  const hostGpus = new Set(
    [...index.gpus.values()].filter((g) => g.hostId === input.host).map((g) => g.gpuId),
  );
  for (const vm of index.vms.values()) {
    if (!hostGpus.has(vm.gpuId) || seen.has(vm.vmId)) continue;
    events.push({
      ...envelope('vm.removed', vm.vmId),
      type: 'vm.removed',
      data: { vmId: vm.vmId, gpuId: vm.gpuId },
    });
  }
  return { events, problems, warnings };
}

/** `GRID P40-6Q` / `NVIDIA A100-4C` → `P40-6Q` / `A100-4C`; null when it is no profile name. */
export function profileOf(vgpuType: string | null): string | null {
  if (vgpuType === null) return null;
  const name = vgpuType.trim().replace(/^(GRID|NVIDIA)\s+/i, '');
  return VgpuProfile.safeParse(name).success ? name : null;
}

/** The family a GPU's vGPU types name (`GRID V100D-8C` → `V100D`), when its block names no product. */
function familyOfVgpuType(readings: readonly Reading[], busId: string): string | null {
  const t = readings.find((r) => r.kind === 'vgpu' && r.busId === busId)?.vgpuType;
  const profile = profileOf(t ?? null);
  return profile === null ? null : (profile.split('-')[0] ?? null);
}

function catalogFramebuffer(
  index: InventoryIndex,
  gpuId: string,
  pending: readonly InventoryEvent[],
  profile: string,
): number | null {
  const registered = pending.find((e) => e.type === 'gpu.registered' && e.data.gpuId === gpuId);
  const model =
    index.gpus.get(gpuId)?.model ?? (registered?.type === 'gpu.registered' ? registered.data.model : null);
  if (model === null) return null;
  try {
    return findProfile(model, profile).framebufferMib;
  } catch {
    return null;
  }
}
