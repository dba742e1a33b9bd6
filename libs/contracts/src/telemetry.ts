import { z } from 'zod';
import { EntityId, NonNegative, Percent, eventSchema } from './envelope';

/** One VM's counters at one instant, as its host's agent reports them. */
export const VmSample = eventSchema(
  'telemetry.vm_sample',
  1,
  z.object({
    vmId: EntityId,
    gpuId: EntityId,
    gpuUtilPct: Percent,
    memUtilPct: Percent,
    fbUsedMib: NonNegative,
    pcieRxMBps: NonNegative,
    pcieTxMBps: NonNegative,
    vcpuUtilPct: Percent,
    vmMemUtilPct: Percent,
    /** Application progress per second (steps/s …); null when the VM exports no progress signal. */
    progressRate: NonNegative.nullable(),
  }),
);

/** Device-wide counters (what dcgm-exporter or nvidia-smi report for the physical GPU). */
export const GpuSample = eventSchema(
  'telemetry.gpu_sample',
  1,
  z.object({
    gpuId: EntityId,
    hostId: EntityId,
    gpuUtilPct: Percent,
    memUtilPct: Percent,
    fbUsedMib: NonNegative,
    fbTotalMib: NonNegative,
    powerW: NonNegative.optional(),
    temperatureC: z.number().optional(),
  }),
);

/**
 * Version 2 carries what a real source gives and no more: a counter the source does not report is
 * `null`, never a guessed 0. dcgm-exporter on a time-sliced GPU has no per-VM utilisation at all,
 * `nvidia-smi vgpu -q` has per-vGPU utilisation and framebuffer but no PCIe or vCPU numbers, and a
 * workload's own progress metric arrives on its own: each becomes a sample with the rest null.
 */
export const VmSampleV2 = eventSchema(
  'telemetry.vm_sample',
  2,
  z.object({
    vmId: EntityId,
    gpuId: EntityId,
    gpuUtilPct: Percent.nullable(),
    memUtilPct: Percent.nullable(),
    fbUsedMib: NonNegative.nullable(),
    pcieRxMBps: NonNegative.nullable(),
    pcieTxMBps: NonNegative.nullable(),
    vcpuUtilPct: Percent.nullable(),
    vmMemUtilPct: Percent.nullable(),
    progressRate: NonNegative.nullable(),
  }),
);

/** Version 2: as version 1, with `null` for what the source does not report (see VmSampleV2). */
export const GpuSampleV2 = eventSchema(
  'telemetry.gpu_sample',
  2,
  z.object({
    gpuId: EntityId,
    hostId: EntityId,
    gpuUtilPct: Percent.nullable(),
    memUtilPct: Percent.nullable(),
    fbUsedMib: NonNegative.nullable(),
    fbTotalMib: NonNegative.nullable(),
    pcieRxMBps: NonNegative.nullable(),
    pcieTxMBps: NonNegative.nullable(),
    smClockMhz: NonNegative.nullable(),
    powerW: NonNegative.nullable(),
    temperatureC: z.number().nullable(),
  }),
);

export type VmSample = z.infer<typeof VmSample>;
export type GpuSample = z.infer<typeof GpuSample>;
export type VmSampleV2 = z.infer<typeof VmSampleV2>;
export type GpuSampleV2 = z.infer<typeof GpuSampleV2>;
/** A VM sample of any version, as the twin reads them. */
export type AnyVmSample = VmSample | VmSampleV2;
export const telemetrySchemas = [VmSample, GpuSample, VmSampleV2, GpuSampleV2] as const;
export type TelemetryEvent = VmSample | GpuSample | VmSampleV2 | GpuSampleV2;
