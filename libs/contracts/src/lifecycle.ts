import { z } from 'zod';
import { EntityId, Timestamp, eventSchema } from './envelope';
import { AlertEvidence, AlertKind, Severity } from './twin';

/**
 * The alert lifecycle: what the notifier makes of the twin's alerts. Operators' commands
 * (acknowledge, silence) go on the alerts stream beside the twin's alerts, so one decider reads
 * one totally ordered input; every change it decides is an event on the lifecycle stream, which
 * is the history (`GET /v1/alerts`, socket.io positions, replays).
 */

/** Where an alert is in its lifecycle. Derived from its flags, in this order of precedence. */
export const AlertState = z.enum(['resolved', 'inhibited', 'silenced', 'flapping', 'acknowledged', 'firing']);
export type AlertState = z.infer<typeof AlertState>;

/** The labels silences match and receivers see (Alertmanager's label names are `[a-zA-Z_]\w*`). */
export const AlertLabels = z.object({
  alertname: z.string().min(1),
  cluster: EntityId,
  host: EntityId,
  gpu: EntityId,
  vm: EntityId,
  kind: AlertKind,
  severity: Severity,
  /** The VM's workload, from the inventory; `unknown` when the VM was never placed. */
  workload: z.string().min(1),
});
export type AlertLabels = z.infer<typeof AlertLabels>;

export const Acknowledgement = z.object({ by: z.string().min(1), note: z.string(), at: Timestamp });

/** One alert (one episode the twin raised and later resolves) as the lifecycle sees it. */
export const AlertView = z.object({
  alertId: EntityId,
  /** The same labels give the same fingerprint (Alertmanager's): an episode of a recurring alert. */
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
  incidentId: EntityId,
  state: AlertState,
  labels: AlertLabels,
  message: z.string(),
  aggressorVmId: EntityId.nullable(),
  evidence: AlertEvidence,
  startsAt: Timestamp,
  endsAt: Timestamp.nullable(),
  acknowledged: Acknowledgement.nullable(),
  /** Active silences that match it. */
  silencedBy: z.array(EntityId),
  /** The interference alert on the same VM that explains it. */
  inhibitedBy: EntityId.nullable(),
  flapping: z.boolean(),
});
export type AlertView = z.infer<typeof AlertView>;

const AlertChange = z.object({
  alert: AlertView,
  /** The state before (null for a new alert). */
  from: AlertState.nullable(),
  reason: z.string().min(1),
  /** Who did it, for operators' commands. */
  actor: z.string().nullable(),
});

const alertChange = <T extends string>(type: T) => eventSchema(type, 1, AlertChange);
/** A new alert: the twin raised it. Its state may already be silenced, inhibited or flapping. */
export const AlertOpened = alertChange('alert.opened');
export const AlertAcknowledged = alertChange('alert.acknowledged');
export const AlertSilenced = alertChange('alert.silenced');
export const AlertUnsilenced = alertChange('alert.unsilenced');
export const AlertInhibited = alertChange('alert.inhibited');
export const AlertUninhibited = alertChange('alert.uninhibited');
export const AlertFlapping = alertChange('alert.flapping');
/** Flapping ended: stable for the whole window. */
export const AlertSettled = alertChange('alert.settled');
/** The twin resolved it (its `alert.resolved`). */
export const AlertClosed = alertChange('alert.closed');

export const IncidentView = z.object({
  incidentId: EntityId,
  clusterId: EntityId,
  hostId: EntityId,
  gpuId: EntityId,
  /** What groups its alerts on this GPU: `aggressor:<vm>` (or `aggressor:unknown`), `drift`, `framebuffer`, `model_stale`. */
  cause: z.string().min(1),
  /** The aggressor its victims share, when the model named one. */
  aggressorVmId: EntityId.nullable(),
  title: z.string(),
  status: z.enum(['open', 'resolved']),
  /** Every alert it ever held, in the order they joined. */
  alertIds: z.array(EntityId),
  /** Its alerts not yet resolved. */
  activeAlertIds: z.array(EntityId),
  /** The latest re-placement suggestion for this GPU's cause, if any. */
  suggestion: z
    .object({
      suggestionId: EntityId,
      vmId: EntityId,
      fromGpuId: EntityId,
      toGpuId: EntityId,
      reason: z.string(),
      gain: z.number(),
    })
    .nullable(),
  openedAt: Timestamp,
  resolvedAt: Timestamp.nullable(),
});
export type IncidentView = z.infer<typeof IncidentView>;

const incidentChange = <T extends string>(type: T) =>
  eventSchema(type, 1, z.object({ incident: IncidentView, reason: z.string().min(1) }));
export const IncidentOpened = incidentChange('incident.opened');
export const IncidentUpdated = incidentChange('incident.updated');
export const IncidentResolved = incidentChange('incident.resolved');

export const MatcherOp = z.enum(['=', '!=', '=~', '!~']);
export type MatcherOp = z.infer<typeof MatcherOp>;
export const SilenceLabel = z.enum([
  'cluster',
  'host',
  'gpu',
  'vm',
  'kind',
  'severity',
  'workload',
  'alertname',
]);
export type SilenceLabel = z.infer<typeof SilenceLabel>;
export const Matcher = z.object({ name: SilenceLabel, op: MatcherOp, value: z.string() });
export type Matcher = z.infer<typeof Matcher>;

export const SilenceView = z.object({
  silenceId: EntityId,
  matchers: z.array(Matcher).min(1),
  startsAt: Timestamp,
  endsAt: Timestamp,
  createdBy: z.string().min(1),
  comment: z.string(),
  /** pending before startsAt, active until endsAt or expiry, then expired (kept in history). */
  state: z.enum(['pending', 'active', 'expired']),
  expiredBy: z.string().nullable(),
});
export type SilenceView = z.infer<typeof SilenceView>;

const silenceChange = <T extends string>(type: T) =>
  eventSchema(type, 1, z.object({ silence: SilenceView, reason: z.string().min(1) }));
export const SilenceCreated = silenceChange('silence.created');
export const SilenceActivated = silenceChange('silence.activated');
export const SilenceExpired = silenceChange('silence.expired');

export const ReceiverKind = z.enum(['webhook', 'alertmanager']);
const NotificationRef = {
  notificationId: EntityId,
  receiver: z.string().min(1),
  receiverKind: ReceiverKind,
  /** The incident for a webhook notification; null for Alertmanager (it groups by itself). */
  incidentId: EntityId.nullable(),
};
/** The decider queued a notification for one receiver (its body is on the notifications stream). */
export const NotificationQueued = eventSchema(
  'notification.queued',
  1,
  z.object({
    ...NotificationRef,
    status: z.enum(['firing', 'resolved']),
    /** What it told the receiver of each alert: the decider's timing state folds from these. */
    alerts: z.array(
      z.object({ alertId: EntityId, fingerprint: z.string(), status: z.enum(['firing', 'resolved']) }),
    ),
  }),
);
export const NotificationDelivered = eventSchema(
  'notification.delivered',
  1,
  z.object({ ...NotificationRef, attempts: z.number().int().positive(), httpStatus: z.number().int() }),
);
/** Given up after the configured attempts; the body went to the dead-letter stream. */
export const NotificationDeadLettered = eventSchema(
  'notification.dead_lettered',
  1,
  z.object({ ...NotificationRef, attempts: z.number().int().positive(), error: z.string() }),
);

/** One notification for one receiver: the delivery queue (a receiver's notifications share a key). */
export const NotificationRequested = eventSchema(
  'notification.requested',
  1,
  z.object({
    ...NotificationRef,
    /** The JSON body to POST: Alertmanager's webhook payload (version 4) or its v2 alerts array. */
    body: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]),
  }),
);

// Operators' commands, on the alerts stream. The decider turns them into lifecycle events.
export const OperatorAcknowledged = eventSchema(
  'operator.acknowledged',
  1,
  z.object({ alertId: EntityId, by: z.string().min(1), note: z.string() }),
);
export const OperatorSilenceCreated = eventSchema(
  'operator.silence_created',
  1,
  z.object({
    silenceId: EntityId,
    matchers: z.array(Matcher).min(1),
    startsAt: Timestamp,
    endsAt: Timestamp,
    createdBy: z.string().min(1),
    comment: z.string(),
  }),
);
export const OperatorSilenceExpired = eventSchema(
  'operator.silence_expired',
  1,
  z.object({ silenceId: EntityId, by: z.string().min(1) }),
);

export const operatorSchemas = [
  OperatorAcknowledged,
  OperatorSilenceCreated,
  OperatorSilenceExpired,
] as const;
/** The `alert.*` changes: each carries `{alert, from, reason, actor}`. */
export const alertChangeSchemas = [
  AlertOpened,
  AlertAcknowledged,
  AlertSilenced,
  AlertUnsilenced,
  AlertInhibited,
  AlertUninhibited,
  AlertFlapping,
  AlertSettled,
  AlertClosed,
] as const;
export const lifecycleSchemas = [
  ...alertChangeSchemas,
  IncidentOpened,
  IncidentUpdated,
  IncidentResolved,
  SilenceCreated,
  SilenceActivated,
  SilenceExpired,
  NotificationQueued,
  NotificationDelivered,
  NotificationDeadLettered,
] as const;
export const notificationSchemas = [NotificationRequested] as const;

export type OperatorCommand = z.infer<(typeof operatorSchemas)[number]>;
export type LifecycleEvent = z.infer<(typeof lifecycleSchemas)[number]>;
export type AlertChangeEvent = z.infer<(typeof alertChangeSchemas)[number]>;
export type IncidentChangeEvent = z.infer<
  typeof IncidentOpened | typeof IncidentUpdated | typeof IncidentResolved
>;
export type SilenceChangeEvent = z.infer<
  typeof SilenceCreated | typeof SilenceActivated | typeof SilenceExpired
>;
export type NotificationEvent = z.infer<
  typeof NotificationQueued | typeof NotificationDelivered | typeof NotificationDeadLettered
>;
export type NotificationRequested = z.infer<typeof NotificationRequested>;

const ALERT_CHANGES: ReadonlySet<string> = new Set(alertChangeSchemas.map((s) => s.shape.type.value));
const NOTIFIER_TYPES: ReadonlySet<string> = new Set(
  [...operatorSchemas, ...lifecycleSchemas, ...notificationSchemas].map((s) => s.shape.type.value),
);

/** An `alert.*` change of the lifecycle: its data is `{alert, from, reason, actor}`. */
export function isAlertChange(e: { readonly type: string }): e is AlertChangeEvent {
  return ALERT_CHANGES.has(e.type);
}

/** The notifier's events: operators' commands, the lifecycle and the delivery queue. */
export function isNotifierEvent(e: {
  readonly type: string;
}): e is OperatorCommand | LifecycleEvent | NotificationRequested {
  return NOTIFIER_TYPES.has(e.type);
}
