// The synthetic cluster of bench/twin: 4 VMs per GPU, one workload, 1 Hz samples with seeded noise.
import { fixtures, type InventoryEvent, type VmSample } from '@vgpu-twin/contracts';
import { mulberry32 } from '@vgpu-twin/scheduler';

const VMS_PER_GPU = 4;

export function inventory(vms: number): InventoryEvent[] {
  const out: InventoryEvent[] = [
    fixtures['host.registered'],
    {
      ...fixtures['workload.profiled'],
      id: 'wl',
      data: { ...fixtures['workload.profiled'].data, workload: 'w', soloProgressRate: 10 },
    },
  ];
  for (let g = 0; g < vms / VMS_PER_GPU; g++) {
    out.push({
      ...fixtures['gpu.registered'],
      id: `g${g}`,
      data: { ...fixtures['gpu.registered'].data, gpuId: `gpu-${g}` },
    });
    for (let v = 0; v < VMS_PER_GPU; v++) {
      const vmId = `vm-${g * VMS_PER_GPU + v}`;
      out.push({
        ...fixtures['vm.placed'],
        id: `p-${vmId}`,
        data: { vmId, gpuId: `gpu-${g}`, profile: '4Q', framebufferMib: 4096, workload: 'w' },
      });
    }
  }
  return out;
}

/** 1 Hz samples for every VM from second `fromS` on, with seeded noise on the progress rate and utilisation. */
export function samples(vms: number, seconds: number, seed: number, fromS = 0): VmSample[] {
  const rng = mulberry32(seed);
  const out: VmSample[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  for (let s = fromS; s < fromS + seconds; s++) {
    const ts = new Date(t0 + s * 1000).toISOString();
    for (let v = 0; v < vms; v++) {
      out.push({
        ...fixtures['telemetry.vm_sample'],
        id: `s-${v}-${s}`,
        ts,
        data: {
          ...fixtures['telemetry.vm_sample'].data,
          vmId: `vm-${v}`,
          gpuId: `gpu-${Math.floor(v / VMS_PER_GPU)}`,
          gpuUtilPct: 20 + rng() * 4,
          fbUsedMib: 3000,
          progressRate: 10 * (0.95 + rng() * 0.1),
        },
      });
    }
  }
  return out;
}
