import { SchedulingPolicy } from '@vgpu-twin/contracts';
import { z } from 'zod';

/**
 * A scenario file: a cluster (written out, or sampled from the Alibaba topology) and a timeline of
 * what happens to it, in seconds of event time after the start. The shape is checked here; what
 * the shape cannot say (unique ids, profiles that fit, actions on VMs that exist at that time) is
 * checked by `parseScenario` / `buildCluster`.
 */

/** Ids end up inside event ids (`sim:<vm>:<tick>`), so they keep to the event-id alphabet. */
const Id = z
  .string()
  .min(1, 'must be a non-empty string')
  .max(120, 'must be at most 120 characters')
  .regex(/^[A-Za-z0-9._@/-]+$/, 'may contain only letters, digits and . _ @ / -');
const Seconds = z.number().min(0, 'must be ≥ 0 (seconds after the start)');
const Slowdown = z.number().min(1, 'must be ≥ 1 (a slowdown)');
const Positive = z.number().positive('must be > 0');
const Seed = z.number().int('must be an integer').min(0, 'must be ≥ 0');
const Fraction = z.number().min(0, 'must be ≥ 0').max(0.5, 'must be ≤ 0.5');
const SliceMs = Positive.describe('Time-slice length, ms: about 1 ms was measured on a P100');
const Note = z.string().optional().describe('Free text: what this is for in the scenario');
const Profile = z
  .string()
  .min(1, 'must name a vGPU profile such as 8Q')
  .describe("vGPU type, short (8Q) or full (V100-8Q); its framebuffer comes from libs/scheduler's catalog");

export const ScenarioVm = z.strictObject({
  vmId: Id,
  profile: Profile,
  workload: Id.describe(
    "A catalogue workload: what the VM's inventory says it runs, and what it does run until a `phase` action",
  ),
  sloSlowdown: Slowdown.optional().describe('Slowdown its owner tolerates; default the twin’s'),
  progress: z
    .boolean()
    .default(true)
    .describe('false: the VM exports no progress signal (its samples carry progressRate null)'),
  note: Note,
});

export const ScenarioGpu = z.strictObject({
  gpuId: Id,
  model: z
    .string()
    .min(1)
    .default('V100-16GB')
    .describe('GPU model of the vGPU catalog: V100-16GB, T4, A10 …'),
  policy: SchedulingPolicy.default('best_effort'),
  timeSliceMs: SliceMs.default(1),
  vms: z.array(ScenarioVm).default([]),
});

export const ScenarioHost = z.strictObject({
  hostId: Id,
  homogeneousProfiles: z
    .boolean()
    .default(true)
    .describe('One profile size on every GPU of the host, as the vGPU releases studied require'),
  cpuCores: Positive.default(64),
  memoryMib: Positive.default(512 * 1024),
  gpus: z.array(ScenarioGpu).min(1, 'a host needs at least one GPU'),
});

export const ExplicitCluster = z.strictObject({
  clusterId: Id.default('sim-cluster'),
  hosts: z.array(ScenarioHost).min(1, 'a cluster needs at least one host'),
});

/**
 * A seeded sample of the Alibaba GPU-sharing cluster's real nodes (cluster-trace-gpu-v2023,
 * Weng et al., ATC 2023): whole nodes until `gpus` GPUs are reached, each GPU with a seeded
 * number of VMs of the listed catalogue workloads.
 */
export const AlibabaClusterSpec = z.strictObject({
  clusterId: Id.default('alibaba-sample'),
  alibaba: z.strictObject({
    gpus: z
      .number()
      .int('must be an integer')
      .positive('must be > 0')
      .describe('GPUs to sample: whole nodes are drawn until there are at least this many'),
    seed: Seed.default(1).describe('Seed of the sample: nodes, VM counts, workloads'),
    vmsPerGpu: z
      .tuple([z.number().int().min(0), z.number().int().min(1)])
      .default([1, 4])
      .refine(([lo, hi]) => lo <= hi, 'must be [min, max] with min ≤ max')
      .describe('[min, max] VMs per GPU, drawn uniformly'),
    workloads: z
      .array(Id)
      .min(1, 'must list at least one workload')
      .optional()
      .describe('Catalogue workloads to draw from; default every one that is not a scheduler microbenchmark'),
    policy: SchedulingPolicy.default('best_effort'),
    timeSliceMs: SliceMs.default(1),
  }),
});

export const ClusterSpec = z.union([ExplicitCluster, AlibabaClusterSpec]);

const at = { atS: Seconds.describe('When, in seconds of event time after the start'), note: Note };

export const PhaseAction = z
  .strictObject({ ...at, action: z.literal('phase'), vm: Id, workload: Id })
  .describe(
    "The VM's job changes (a new phase, a new batch size): what it runs, not what its inventory says",
  );
export const PlaceAction = z.strictObject({
  ...at,
  action: z.literal('place'),
  vm: Id,
  gpu: Id,
  profile: Profile,
  workload: Id,
  sloSlowdown: Slowdown.optional(),
  progress: z.boolean().default(true),
});
export const FramebufferAction = z
  .strictObject({
    ...at,
    action: z.literal('framebuffer'),
    vm: Id,
    fromMib: z
      .number()
      .min(0, 'must be ≥ 0')
      .optional()
      .describe('Where the ramp starts; default what the VM uses when the action starts'),
    toMib: z.number().min(0, 'must be ≥ 0'),
    overS: Seconds.default(0).describe('Seconds the ramp takes; 0: at once'),
  })
  .describe("The VM's framebuffer use ramps linearly to toMib over overS seconds (until its next phase)");
export const MigrateAction = z.strictObject({
  ...at,
  action: z.literal('migrate'),
  vm: Id,
  to: Id.describe('The target GPU'),
  profile: z.string().min(1).optional().describe('Its vGPU type on the target; default the one it has'),
});
export const RemoveAction = z.strictObject({ ...at, action: z.literal('remove'), vm: Id });
export const PolicyAction = z.strictObject({
  ...at,
  action: z.literal('policy'),
  gpu: Id,
  policy: SchedulingPolicy,
  timeSliceMs: SliceMs.optional(),
});

export const TimelineAction = z.discriminatedUnion('action', [
  PhaseAction,
  PlaceAction,
  FramebufferAction,
  MigrateAction,
  RemoveAction,
  PolicyAction,
]);

/**
 * Multiplicative measurement noise, uniform in ±the given fraction: what a real exporter's
 * sampling jitter adds on top of the ground truth. Small on purpose, so that the twin's
 * thresholds see the truth, not the noise.
 */
export const NoiseSpec = z
  .strictObject({
    util: Fraction.default(0.02).describe('On GPU, memory, vCPU and PCIe utilisations and rates'),
    progress: Fraction.default(0.02),
    framebuffer: Fraction.default(0.01),
  })
  .describe('Measurement noise: each sample × (1 ± this fraction), uniform');

export const ScenarioSchema = z.strictObject({
  $schema: z.string().optional().describe('For editors: the path of scenario.schema.json'),
  name: Id,
  description: z.string().optional(),
  seed: Seed.default(42).describe("Seed of the measurement noise and of the ground truth's simulations"),
  durationS: Positive.optional().describe(
    'Seconds of event time a run lasts; default the last action + 60 s',
  ),
  noise: NoiseSpec.default({ util: 0.02, progress: 0.02, framebuffer: 0.01 }),
  cluster: ClusterSpec,
  timeline: z.array(TimelineAction).default([]),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type ScenarioVm = z.output<typeof ScenarioVm>;
export type ScenarioGpu = z.output<typeof ScenarioGpu>;
export type ScenarioHost = z.output<typeof ScenarioHost>;
export type ExplicitCluster = z.output<typeof ExplicitCluster>;
export type AlibabaClusterSpec = z.output<typeof AlibabaClusterSpec>;
export type ClusterSpec = z.output<typeof ClusterSpec>;
export type TimelineAction = z.output<typeof TimelineAction>;
export type NoiseSpec = z.output<typeof NoiseSpec>;

/** The scenario format as JSON Schema (input side: fields with defaults are optional). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ScenarioSchema, { io: 'input', target: 'draft-2020-12' });
}
