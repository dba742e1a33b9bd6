import { z } from 'zod';
import { EntityId, NonNegative, eventSchema } from './envelope';

const Slowdown = z.number().min(0, 'must be ≥ 0');

/** The twin's expected slowdown of one VM in its current co-location, and how it was reached. */
export const PredictionMade = eventSchema(
  'twin.prediction',
  1,
  z.object({
    vmId: EntityId,
    gpuId: EntityId,
    predictedSlowdown: Slowdown,
    /**
     * Which model produced it: `hybrid@<first 12 hex of the artifact's sha256>` (libs/scheduler's
     * model + the learned residual) or `scheduler@<version>` (the scheduler model alone).
     */
    model: z.string().min(1),
    components: z.object({ scheduler: Slowdown, residual: z.number() }),
    /**
     * What the naive share arithmetic (demand ÷ GPU-time share) would have said, for comparison:
     * it ignores slice lengths, switch costs and kernel shapes.
     */
    shareArithmetic: Slowdown.optional(),
    /** The GPU-time share the scheduler model grants this VM, 0–1. */
    share: z.number().min(0).max(1),
    coRunners: z.array(EntityId),
  }),
);

/** What the VM really sees: solo progress rate ÷ current progress rate, smoothed. */
export const ObservationMade = eventSchema(
  'twin.observation',
  1,
  z.object({
    vmId: EntityId,
    gpuId: EntityId,
    /** null when the VM exports no progress signal: the twin never guesses. */
    observedSlowdown: Slowdown.nullable(),
    progressRate: NonNegative.nullable(),
    soloProgressRate: NonNegative.nullable(),
    windowSamples: z.number().int().nonnegative(),
  }),
);

export const AlertKind = z.enum([
  'interference',
  'predicted_interference',
  'drift',
  'framebuffer',
  'model_stale',
]);
export type AlertKind = z.infer<typeof AlertKind>;
export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

/** Where an alert belongs: the notifier routes it to these rooms. */
const AlertScope = {
  alertId: EntityId,
  kind: AlertKind,
  clusterId: EntityId,
  hostId: EntityId,
  gpuId: EntityId,
  vmId: EntityId,
};

export const AlertEvidence = z.object({
  observedSlowdown: Slowdown.nullable(),
  predictedSlowdown: Slowdown.nullable(),
  threshold: z.number(),
  samples: z.number().int().nonnegative(),
  windowStart: z.iso.datetime(),
  windowEnd: z.iso.datetime(),
  /** Kind-specific numbers: the drift's direction and size, the framebuffer used, the model's error … */
  details: z.record(z.string(), z.union([z.number(), z.string(), z.null()])).optional(),
});

export const AlertRaised = eventSchema(
  'alert.raised',
  1,
  z.object({
    ...AlertScope,
    severity: Severity,
    message: z.string().min(1),
    evidence: AlertEvidence,
    /** The co-runner whose removal the model says helps most. */
    aggressorVmId: EntityId.nullable(),
  }),
);

export const AlertResolved = eventSchema(
  'alert.resolved',
  1,
  z.object({ ...AlertScope, message: z.string().min(1), evidence: AlertEvidence }),
);

const AffectedVm = z.object({ vmId: EntityId, gpuId: EntityId, slowdown: Slowdown });

export const PlacementSuggested = eventSchema(
  'placement.suggested',
  1,
  z.object({
    suggestionId: EntityId,
    clusterId: EntityId,
    vmId: EntityId,
    fromGpuId: EntityId,
    toGpuId: EntityId,
    alertId: EntityId.nullable(),
    reason: z.string().min(1),
    before: z.array(AffectedVm),
    after: z.array(AffectedVm),
    /** Sum of predicted slowdowns of every affected VM, before − after, minus the migration cost. */
    gain: z.number(),
  }),
);

export type PredictionMade = z.infer<typeof PredictionMade>;
export type ObservationMade = z.infer<typeof ObservationMade>;
export type AlertRaised = z.infer<typeof AlertRaised>;
export type AlertResolved = z.infer<typeof AlertResolved>;
export type AlertEvidence = z.infer<typeof AlertEvidence>;
export type PlacementSuggested = z.infer<typeof PlacementSuggested>;

export const twinSchemas = [PredictionMade, ObservationMade] as const;
export const alertSchemas = [AlertRaised, AlertResolved, PlacementSuggested] as const;
export type TwinEvent = PredictionMade | ObservationMade;
export type AlertEvent = AlertRaised | AlertResolved | PlacementSuggested;
