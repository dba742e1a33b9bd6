import type {
  AlertView,
  IncidentView,
  LifecycleEvent,
  NotificationRequested,
  OperatorCommand,
  SilenceView,
} from './lifecycle';

type Lifecycle = LifecycleEvent | OperatorCommand | NotificationRequested;
const ts = '2026-01-01T00:00:10.000Z';
const envelope = { ts, source: 'fixture', version: 1 as const };

const alert: AlertView = {
  alertId: 'interference:vm-1:fx',
  fingerprint: '0123456789abcdef',
  incidentId: 'incident:0123456789abcdef',
  state: 'firing',
  labels: {
    alertname: 'VgpuInterference',
    cluster: 'cluster-a',
    host: 'host-1',
    gpu: 'gpu-1',
    vm: 'vm-1',
    kind: 'interference',
    severity: 'warning',
    workload: 'resnet50-train',
  },
  message: 'vm-1 runs 1.84× slower than alone (threshold 1.50×) for 5 samples; likely aggressor vm-2',
  aggressorVmId: 'vm-2',
  evidence: {
    observedSlowdown: 1.84,
    predictedSlowdown: 1.8,
    threshold: 1.5,
    samples: 5,
    windowStart: '2026-01-01T00:00:00.000Z',
    windowEnd: '2026-01-01T00:00:04.000Z',
  },
  startsAt: '2026-01-01T00:00:04.000Z',
  endsAt: null,
  acknowledged: null,
  silencedBy: [],
  inhibitedBy: null,
  flapping: false,
};
const change = (
  from: AlertView['state'] | null,
  a: Partial<AlertView>,
  reason: string,
  actor: string | null = null,
) => ({
  alert: { ...alert, ...a },
  from,
  reason,
  actor,
});
const incident: IncidentView = {
  incidentId: alert.incidentId,
  clusterId: 'cluster-a',
  hostId: 'host-1',
  gpuId: 'gpu-1',
  cause: 'aggressor:vm-2',
  aggressorVmId: 'vm-2',
  title: 'vm-2 slows vm-1 on gpu-1',
  status: 'open',
  alertIds: [alert.alertId],
  activeAlertIds: [alert.alertId],
  suggestion: null,
  openedAt: ts,
  resolvedAt: null,
};
const silence: SilenceView = {
  silenceId: 'silence-1',
  matchers: [{ name: 'gpu', op: '=', value: 'gpu-1' }],
  startsAt: ts,
  endsAt: '2026-01-01T01:00:10.000Z',
  createdBy: 'ops@example.com',
  comment: 'maintenance on gpu-1',
  state: 'active',
  expiredBy: null,
};
const ack = { by: 'ops@example.com', note: 'looking', at: ts };
const ref = { receiver: 'webhook-1', receiverKind: 'webhook' as const, incidentId: incident.incidentId };

/** One valid event per lifecycle, operator and notification type, for tests and docs. */
export const lifecycleFixtures: { readonly [T in Lifecycle['type']]: Extract<Lifecycle, { type: T }> } = {
  'operator.acknowledged': {
    ...envelope,
    id: 'fx-op-ack',
    type: 'operator.acknowledged',
    data: { alertId: alert.alertId, by: ack.by, note: ack.note },
  },
  'operator.silence_created': {
    ...envelope,
    id: 'fx-op-silence',
    type: 'operator.silence_created',
    data: {
      silenceId: silence.silenceId,
      matchers: silence.matchers,
      startsAt: silence.startsAt,
      endsAt: silence.endsAt,
      createdBy: silence.createdBy,
      comment: silence.comment,
    },
  },
  'operator.silence_expired': {
    ...envelope,
    id: 'fx-op-expire',
    type: 'operator.silence_expired',
    data: { silenceId: silence.silenceId, by: 'ops@example.com' },
  },
  'alert.opened': {
    ...envelope,
    id: 'fx-opened',
    type: 'alert.opened',
    data: change(null, {}, 'raised by the twin'),
  },
  'alert.acknowledged': {
    ...envelope,
    id: 'fx-acked',
    type: 'alert.acknowledged',
    data: change('firing', { state: 'acknowledged', acknowledged: ack }, 'acknowledged', ack.by),
  },
  'alert.silenced': {
    ...envelope,
    id: 'fx-silenced',
    type: 'alert.silenced',
    data: change('firing', { state: 'silenced', silencedBy: ['silence-1'] }, 'matches silence-1'),
  },
  'alert.unsilenced': {
    ...envelope,
    id: 'fx-unsilenced',
    type: 'alert.unsilenced',
    data: change('silenced', {}, 'silence-1 expired'),
  },
  'alert.inhibited': {
    ...envelope,
    id: 'fx-inhibited',
    type: 'alert.inhibited',
    data: change(
      'firing',
      {
        alertId: 'drift:vm-1:fx',
        state: 'inhibited',
        inhibitedBy: alert.alertId,
        labels: { ...alert.labels, alertname: 'VgpuDrift', kind: 'drift' },
      },
      `explained by ${alert.alertId}`,
    ),
  },
  'alert.uninhibited': {
    ...envelope,
    id: 'fx-uninhibited',
    type: 'alert.uninhibited',
    data: change('inhibited', {}, 'interference:vm-1:fx0 resolved'),
  },
  'alert.flapping': {
    ...envelope,
    id: 'fx-flapping',
    type: 'alert.flapping',
    data: change('firing', { state: 'flapping', flapping: true }, 'raised and resolved 5 times in 10 min'),
  },
  'alert.settled': {
    ...envelope,
    id: 'fx-settled',
    type: 'alert.settled',
    data: change('flapping', {}, 'stable for 10 min'),
  },
  'alert.closed': {
    ...envelope,
    id: 'fx-closed',
    type: 'alert.closed',
    data: change('firing', { state: 'resolved', endsAt: '2026-01-01T00:05:00.000Z' }, 'resolved by the twin'),
  },
  'incident.opened': {
    ...envelope,
    id: 'fx-inc-open',
    type: 'incident.opened',
    data: { incident, reason: 'first alert' },
  },
  'incident.updated': {
    ...envelope,
    id: 'fx-inc-update',
    type: 'incident.updated',
    data: {
      incident: {
        ...incident,
        suggestion: {
          suggestionId: 'move:vm-2:gpu-3',
          vmId: 'vm-2',
          fromGpuId: 'gpu-1',
          toGpuId: 'gpu-3',
          reason: 'move vm-2 from gpu-1 to gpu-3',
          gain: 0.7,
        },
      },
      reason: 'suggestion move:vm-2:gpu-3',
    },
  },
  'incident.resolved': {
    ...envelope,
    id: 'fx-inc-resolved',
    type: 'incident.resolved',
    data: {
      incident: {
        ...incident,
        status: 'resolved',
        activeAlertIds: [],
        resolvedAt: '2026-01-01T00:05:00.000Z',
      },
      reason: 'every alert resolved',
    },
  },
  'silence.created': {
    ...envelope,
    id: 'fx-sil-created',
    type: 'silence.created',
    data: { silence, reason: 'created' },
  },
  'silence.activated': {
    ...envelope,
    id: 'fx-sil-active',
    type: 'silence.activated',
    data: { silence, reason: 'its start time came' },
  },
  'silence.expired': {
    ...envelope,
    id: 'fx-sil-expired',
    type: 'silence.expired',
    data: {
      silence: { ...silence, state: 'expired', expiredBy: 'ops@example.com' },
      reason: 'expired by ops@example.com',
    },
  },
  'notification.queued': {
    ...envelope,
    id: 'fx-n-queued',
    type: 'notification.queued',
    data: {
      ...ref,
      notificationId: 'n-1',
      status: 'firing',
      alerts: [{ alertId: alert.alertId, fingerprint: alert.fingerprint, status: 'firing' }],
    },
  },
  'notification.delivered': {
    ...envelope,
    id: 'fx-n-delivered',
    type: 'notification.delivered',
    data: { ...ref, notificationId: 'n-1', attempts: 1, httpStatus: 200 },
  },
  'notification.dead_lettered': {
    ...envelope,
    id: 'fx-n-dead',
    type: 'notification.dead_lettered',
    data: { ...ref, notificationId: 'n-1', attempts: 8, error: 'HTTP 503 after 8 attempts' },
  },
  'notification.requested': {
    ...envelope,
    id: 'fx-n-requested',
    type: 'notification.requested',
    data: { ...ref, notificationId: 'n-1', body: { version: '4', status: 'firing', alerts: [] } },
  },
};
