import { envInt } from '@vgpu-twin/service-kit';
import { z } from 'zod';

export const SimulatorConfigSchema = z.object({
  /** Where to post (the all-in-one process posts to itself). */
  SIM_INGEST_URL: z
    .url({ message: 'must be a URL such as http://127.0.0.1:8081' })
    .default('http://127.0.0.1:8081'),
  SIM_API_KEY: z.string().optional(),
  SIM_SEED: envInt(42),
  SIM_HOSTS: envInt(4, 1),
  SIM_GPUS_PER_HOST: envInt(2, 1),
  /** Wall-clock ms between ticks. */
  SIM_TICK_MS: envInt(1000, 1),
  /** Event-time ms per tick: 1000 with SIM_TICK_MS=100 runs ten times faster than real time. */
  SIM_STEP_MS: envInt(1000, 1),
  /** Event time of the first tick (ISO-8601); default: now. */
  SIM_START: z.iso.datetime({ message: 'must be an ISO-8601 UTC time' }).optional(),
  /** Seconds of event time before the aggressor turns GPU-heavy, and before it calms down (0: never). */
  SIM_INCIDENT_AT_S: envInt(20),
  SIM_INCIDENT_END_S: envInt(150),
  /** Stop after this many seconds of event time (0: run until stopped). */
  SIM_DURATION_S: envInt(0),
});
export type SimulatorConfig = z.infer<typeof SimulatorConfigSchema>;
