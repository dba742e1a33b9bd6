/**
 * The inventory a throughput bench registers before it sends telemetry: profiled workloads, then
 * hosts of `gpusPerHost` V100-16GB GPUs (best effort, 1 ms slices), each GPU with `vmsPerGpu` 4Q
 * VMs. Events without id/source/version: ingest stamps them.
 */
export interface BenchCluster {
  readonly ts: string;
  readonly gpus: number;
  readonly vmsPerGpu: number;
  readonly gpusPerHost: number;
  readonly hostId: (h: number) => string;
  readonly gpuId: (g: number) => string;
  readonly vmId: (v: number) => string;
  /** The workloads profiled; the k-th VM of each GPU runs workloads[k % length]. */
  readonly workloads: readonly {
    readonly workload: string;
    readonly gpuUtilPct: number;
    readonly memUtilPct: number;
    readonly pcieRxMBps: number;
  }[];
}

export function benchInventory(c: BenchCluster): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = c.workloads.map((w) => ({
    ts: c.ts,
    type: 'workload.profiled',
    data: {
      workload: w.workload,
      features: {
        gpuUtilPct: w.gpuUtilPct,
        memUtilPct: w.memUtilPct,
        pcieRxMBps: w.pcieRxMBps,
        pcieTxMBps: 10,
        vcpuUtilPct: 35,
        kernelMs: 0.4,
      },
      soloProgressRate: 10,
      progressUnit: 'steps',
    },
  }));
  for (let g = 0; g < c.gpus; g++) {
    const hostId = c.hostId(Math.floor(g / c.gpusPerHost));
    if (g % c.gpusPerHost === 0)
      events.push({
        ts: c.ts,
        type: 'host.registered',
        data: { hostId, clusterId: 'cluster-a', cpuCores: 64, memoryMib: 524288, homogeneousProfiles: true },
      });
    events.push({
      ts: c.ts,
      type: 'gpu.registered',
      data: {
        gpuId: c.gpuId(g),
        hostId,
        model: 'V100-16GB',
        framebufferMib: 16384,
        policy: 'best_effort',
        timeSliceMs: 1,
      },
    });
    for (let k = 0; k < c.vmsPerGpu; k++)
      events.push({
        ts: c.ts,
        type: 'vm.placed',
        data: {
          vmId: c.vmId(g * c.vmsPerGpu + k),
          gpuId: c.gpuId(g),
          profile: '4Q',
          framebufferMib: 4096,
          workload: c.workloads[k % c.workloads.length]!.workload,
        },
      });
  }
  return events;
}
