import { envInt } from '@vgpu-twin/service-kit';
import { z } from 'zod';

/** The Alibaba topology's node list, relative to the project root (see ../shared/data/README.md). */
export const DEFAULT_ALIBABA_NODES = '../shared/data/alibaba-gpu-v2023/openb_node_list_gpu_node.csv';

export const SimulatorConfigSchema = z.object({
  /** Where to post (the all-in-one process posts to itself). */
  SIM_INGEST_URL: z
    .url({ message: 'must be a URL such as http://127.0.0.1:8081' })
    .default('http://127.0.0.1:8081'),
  SIM_API_KEY: z.string().optional(),
  /** A scenario file (JSON; see libs/simulation's scenario.schema.json); default the built-in demo. */
  SIM_SCENARIO: z.string().optional(),
  /** The node list a `cluster.alibaba` scenario samples from. */
  SIM_ALIBABA_NODES: z.string().default(DEFAULT_ALIBABA_NODES),
  /** Seed of the noise and the ground truth's simulations; default the scenario's. */
  SIM_SEED: z.coerce.number({ message: 'must be a number' }).int('must be an integer').min(0).optional(),
  /** Wall-clock ms between ticks. */
  SIM_TICK_MS: envInt(1000, 1),
  /** Event-time ms per tick: 1000 with SIM_TICK_MS=100 runs ten times faster than real time. */
  SIM_STEP_MS: envInt(1000, 1),
  /** Event time of the first tick (ISO-8601); default: now. */
  SIM_START: z.iso.datetime({ message: 'must be an ISO-8601 UTC time' }).optional(),
  /** Stop after this many seconds of event time (0: run until stopped). */
  SIM_DURATION_S: envInt(0),
});
export type SimulatorConfig = z.infer<typeof SimulatorConfigSchema>;

/** Settings of the simulator before scenarios: the cluster and its incidents are the scenario's now. */
export const OBSOLETE_SIMULATOR_KEYS = [
  'SIM_HOSTS',
  'SIM_GPUS_PER_HOST',
  'SIM_INCIDENT_AT_S',
  'SIM_INCIDENT_END_S',
] as const;

/** One warning line when any obsolete setting is present, else null. */
export function obsoleteSettingsWarning(env: NodeJS.ProcessEnv): string | null {
  const set = OBSOLETE_SIMULATOR_KEYS.filter((k) => env[k] !== undefined && env[k] !== '');
  if (set.length === 0) return null;
  return (
    `simulator: ${set.join(', ')} no longer ${set.length === 1 ? 'applies' : 'apply'}: the cluster and its ` +
    'incidents now come from the scenario (SIM_SCENARIO=FILE; default the built-in demo)'
  );
}
