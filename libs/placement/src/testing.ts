import type { SchedulingPolicy } from '@vgpu-twin/contracts';
import type { ClusterView, GpuView, HostView, VmView } from './cluster';

/** A small cluster from a compact description, for tests and examples. */
export function buildCluster(spec: {
  readonly hosts: readonly { readonly id: string; readonly homogeneous?: boolean }[];
  readonly gpus: readonly {
    readonly id: string;
    readonly host: string;
    readonly model?: string;
    readonly policy?: SchedulingPolicy;
  }[];
  readonly vms: readonly (Omit<VmView, 'framebufferMib'> & { readonly framebufferMib?: number })[];
}): ClusterView {
  const hosts = new Map<string, HostView>(
    spec.hosts.map((h) => [h.id, { hostId: h.id, homogeneousProfiles: h.homogeneous ?? true }]),
  );
  const fbOf = (profile: string) => 1024 * Number(/(\d+)[QC]$/.exec(profile)?.[1] ?? 0);
  const vms = new Map<string, VmView>(
    spec.vms.map((v) => [v.vmId, { ...v, framebufferMib: v.framebufferMib ?? fbOf(v.profile) }]),
  );
  const gpus = new Map<string, GpuView>(
    spec.gpus.map((g) => [
      g.id,
      {
        gpuId: g.id,
        hostId: g.host,
        model: g.model ?? 'V100-16GB',
        framebufferMib: g.model === 'V100-32GB' ? 32768 : g.model === 'A10' ? 24576 : 16384,
        policy: g.policy ?? 'best_effort',
        vms: spec.vms
          .filter((v) => v.gpuId === g.id)
          .map((v) => v.vmId)
          .sort(),
      },
    ]),
  );
  return { hosts, gpus, vms };
}
