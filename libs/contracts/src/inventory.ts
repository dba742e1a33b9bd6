import { z } from 'zod';
import { EntityId, NonNegative, Percent, Positive, eventSchema } from './envelope';

/** DESIGN.md, "Scheduling policies": best effort, equal share, fixed share. */
export const SchedulingPolicy = z.enum(['best_effort', 'equal_share', 'fixed_share']);
export type SchedulingPolicy = z.infer<typeof SchedulingPolicy>;

export const HostRegistered = eventSchema(
  'host.registered',
  1,
  z.object({
    hostId: EntityId,
    clusterId: EntityId,
    cpuCores: Positive.optional(),
    memoryMib: Positive.optional(),
    /** vGPU releases studied need every GPU of a host on one profile size (DESIGN.md). */
    homogeneousProfiles: z.boolean(),
  }),
);

export const GpuRegistered = eventSchema(
  'gpu.registered',
  1,
  z.object({
    gpuId: EntityId,
    hostId: EntityId,
    model: z.string().min(1, 'must name the GPU model, e.g. V100-16GB'),
    framebufferMib: Positive,
    policy: SchedulingPolicy,
    /** About 1 ms on a P100 (DESIGN.md). */
    timeSliceMs: Positive,
    /** The GPU's UUID (`GPU-…`) where the source knows it: how dcgm-exporter and nvidia-smi name it. */
    uuid: z.string().min(1).optional(),
    /** PCI bus id in nvidia-smi's long form (`00000000:82:00.0`): how `nvidia-smi vgpu -q` names it. */
    busId: z.string().min(1).optional(),
  }),
);

export const GpuPolicyChanged = eventSchema(
  'gpu.policy_changed',
  1,
  z.object({ gpuId: EntityId, policy: SchedulingPolicy, timeSliceMs: Positive.optional() }),
);

export const VgpuProfile = z
  .string()
  .regex(/^([A-Za-z0-9]+-)?\d+[QCAB]$/, 'must be a vGPU profile name such as 8Q, 4C or T4-4Q');

export const VmPlaced = eventSchema(
  'vm.placed',
  1,
  z.object({
    vmId: EntityId,
    gpuId: EntityId,
    profile: VgpuProfile,
    /** The framebuffer the profile grants to this VM. */
    framebufferMib: Positive,
    /** Name of the workload profile (see workload.profiled) this VM runs. */
    workload: EntityId,
    /** Slowdown the VM's owner tolerates before an interference alert. Default from config. */
    sloSlowdown: z.number().min(1, 'must be ≥ 1 (a slowdown)').optional(),
  }),
);

export const VmMigrated = eventSchema(
  'vm.migrated',
  1,
  z.object({
    vmId: EntityId,
    fromGpuId: EntityId,
    toGpuId: EntityId,
    profile: VgpuProfile,
    framebufferMib: Positive,
  }),
);

export const VmRemoved = eventSchema('vm.removed', 1, z.object({ vmId: EntityId, gpuId: EntityId }));

/** Solo-run features (Xu et al., HotCloud 2019: base / extend / select feature sets). */
export const WorkloadFeatures = z.object({
  gpuUtilPct: Percent,
  memUtilPct: Percent,
  fbMib: NonNegative.optional(),
  pcieRxMBps: NonNegative,
  pcieTxMBps: NonNegative,
  vcpuUtilPct: Percent.optional(),
  vmMemUtilPct: Percent.optional(),
  threadsPerKernel: NonNegative.optional(),
  kernelMs: NonNegative.optional(),
  longKernelMs: NonNegative.optional(),
  longShortRatio: NonNegative.optional(),
});
export type WorkloadFeatures = z.infer<typeof WorkloadFeatures>;

export const WorkloadProfiled = eventSchema(
  'workload.profiled',
  1,
  z.object({
    workload: EntityId,
    features: WorkloadFeatures,
    /** Progress (steps, samples, frames …) per second when running alone on a full-GPU vGPU. */
    soloProgressRate: Positive,
    progressUnit: z.string().min(1).optional(),
  }),
);

export type HostRegistered = z.infer<typeof HostRegistered>;
export type GpuRegistered = z.infer<typeof GpuRegistered>;
export type GpuPolicyChanged = z.infer<typeof GpuPolicyChanged>;
export type VmPlaced = z.infer<typeof VmPlaced>;
export type VmMigrated = z.infer<typeof VmMigrated>;
export type VmRemoved = z.infer<typeof VmRemoved>;
export type WorkloadProfiled = z.infer<typeof WorkloadProfiled>;

export const inventorySchemas = [
  HostRegistered,
  GpuRegistered,
  GpuPolicyChanged,
  VmPlaced,
  VmMigrated,
  VmRemoved,
  WorkloadProfiled,
] as const;
export type InventoryEvent =
  HostRegistered | GpuRegistered | GpuPolicyChanged | VmPlaced | VmMigrated | VmRemoved | WorkloadProfiled;
