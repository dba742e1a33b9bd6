import type { AlertView, LifecycleEvent, NotificationRequested } from '@vgpu-twin/contracts';
import { alertmanagerAlerts, webhookPayload } from '../alertmanager-format';
import { fingerprint } from '../fingerprint';
import { contentKey, isNotifiable, reportable, type BookState, type GroupState } from './state';

/**
 * Which notifications fall due at `now`, Alertmanager's way, per incident:
 * - the first waits `groupWaitMs` after the incident first has something to tell (more alerts of
 *   the same cause usually follow within seconds: one message instead of several);
 * - a changed incident (an alert joined, resolved, stopped or started flapping) waits
 *   `groupIntervalMs` after the previous notification;
 * - an unchanged one is repeated every `repeatIntervalMs` while it has firing alerts that nobody
 *   acknowledged and that are not flapping.
 * Alertmanager gets every notifiable alert at once and again every `alertmanagerResendMs` (it
 * groups, routes and repeats by its own configuration), and an end when it resolves or is
 * silenced or inhibited here.
 */
export function notify(
  state: BookState,
  now: number,
): { lifecycle: LifecycleEvent[]; notifications: NotificationRequested[] } {
  const lifecycle: LifecycleEvent[] = [];
  const notifications: NotificationRequested[] = [];
  const ts = new Date(now).toISOString();
  const { config } = state;
  for (const g of state.groups.values()) {
    if (!isDue(state, g, now)) continue;
    const items = reportable(state, g);
    if (items.length === 0) continue;
    // a flapping fingerprint is told as firing whatever its newest episode is doing
    const alerts = items.map((i) =>
      i.status === 'resolved'
        ? i.view
        : {
            ...i.view,
            state: i.view.state === 'resolved' ? ('flapping' as const) : i.view.state,
            endsAt: null,
          },
    );
    for (const receiver of config.webhookReceivers) {
      const notificationId = `n:${fingerprint({ receiver, incident: g.incidentId, now: String(now) })}`;
      const ref = { notificationId, receiver, receiverKind: 'webhook' as const, incidentId: g.incidentId };
      const body = webhookPayload({
        receiver,
        groupKey: `{}:{cluster="${g.clusterId}", gpu="${g.gpuId}", incident="${g.incidentId}"}`,
        groupLabels: { cluster: g.clusterId, gpu: g.gpuId },
        alerts,
        externalURL: config.externalURL,
      });
      notifications.push(request(notificationId, ts, ref, body));
      lifecycle.push(queued(ts, ref, items));
    }
  }
  if (config.alertmanager) {
    const due: { view: AlertView; status: 'firing' | 'resolved' }[] = [];
    for (const am of state.am.values()) {
      if (isNotifiable(am.view)) {
        if (am.lastSentAt === null || !am.sentFiring || now - am.lastSentAt >= config.alertmanagerResendMs)
          due.push({ view: am.view, status: 'firing' });
      } else if (am.sentFiring) {
        // resolved, or silenced/inhibited here: Alertmanager should stop notifying now
        const ended = am.view.endsAt ?? ts;
        due.push({ view: { ...am.view, state: 'resolved', endsAt: ended }, status: 'resolved' });
      }
    }
    if (due.length > 0) {
      const notificationId = `n:${fingerprint({ receiver: 'alertmanager', now: String(now), first: due[0]!.view.alertId })}`;
      const ref = {
        notificationId,
        receiver: 'alertmanager',
        receiverKind: 'alertmanager' as const,
        incidentId: null,
      };
      const body = alertmanagerAlerts(
        due.map((d) => d.view),
        { externalURL: config.externalURL, now: ts, resendMs: config.alertmanagerResendMs },
      );
      notifications.push(request(notificationId, ts, ref, body));
      lifecycle.push(queued(ts, ref, due));
    }
  }
  return { lifecycle, notifications };
}

function isDue(state: BookState, g: GroupState, now: number): boolean {
  const { groupWaitMs, groupIntervalMs, repeatIntervalMs } = state.config;
  const content = contentKey(state, g);
  if (content === '') return false;
  if (g.lastFlushAt === null) return g.firstAt !== null && now >= g.firstAt + groupWaitMs;
  if (content !== g.lastContent) return now >= g.lastFlushAt + groupIntervalMs;
  const repeatable = [...g.alerts.values()].some(
    (a) => a.state === 'firing' && !state.flaps.get(a.fingerprint)?.flapping,
  );
  return repeatable && now >= g.lastFlushAt + repeatIntervalMs;
}

/** The lifecycle's record of a queued notification: what it told the receiver of each alert. */
function queued(
  ts: string,
  ref: Omit<NotificationRequested['data'], 'body'>,
  items: readonly { view: AlertView; status: 'firing' | 'resolved' }[],
): LifecycleEvent {
  return {
    id: `${ref.notificationId}/queued`,
    type: 'notification.queued',
    version: 1,
    ts,
    source: 'notifier',
    data: {
      ...ref,
      status: items.some((i) => i.status === 'firing') ? 'firing' : 'resolved',
      alerts: items.map((i) => ({
        alertId: i.view.alertId,
        fingerprint: i.view.fingerprint,
        status: i.status,
      })),
    },
  };
}

function request(
  notificationId: string,
  ts: string,
  ref: Omit<NotificationRequested['data'], 'body'>,
  body: NotificationRequested['data']['body'],
): NotificationRequested {
  return {
    id: notificationId,
    type: 'notification.requested',
    version: 1,
    ts,
    source: 'notifier',
    data: { ...ref, notificationId, body },
  };
}
