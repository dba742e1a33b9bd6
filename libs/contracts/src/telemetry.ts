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

export type VmSample = z.infer<typeof VmSample>;
export type GpuSample = z.infer<typeof GpuSample>;
export const telemetrySchemas = [VmSample, GpuSample] as const;
export type TelemetryEvent = VmSample | GpuSample;
