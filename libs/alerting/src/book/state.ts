import {
  isAlertChange,
  type AlertState,
  type AlertView,
  type IncidentView,
  type LifecycleEvent,
  type SilenceView,
} from '@vgpu-twin/contracts';
import { RecentIds } from '../recent-ids';

/** How the lifecycle decides: Alertmanager's timing, flap damping, the receivers it notifies. */
export interface BookConfig {
  /** Webhook receivers by name: each gets one notification per incident flush. */
  readonly webhookReceivers: readonly string[];
  /** Whether an Alertmanager is configured (receiver `alertmanager`). */
  readonly alertmanager: boolean;
  /** Alertmanager's group_wait: how long a new incident waits for more alerts before its first notification. */
  readonly groupWaitMs: number;
  /** group_interval: how long after a notification a changed incident waits before the next. */
  readonly groupIntervalMs: number;
  /** repeat_interval: how often an unchanged incident with unacknowledged firing alerts is re-sent. */
  readonly repeatIntervalMs: number;
  /** More than `count` raises and resolves of one alert (one fingerprint) within `windowMs` is flapping; it settles after `stableMs` without either. */
  readonly flap: { readonly count: number; readonly windowMs: number; readonly stableMs: number };
  /** How often a firing alert is re-sent to Alertmanager (its endsAt is 4× this ahead). */
  readonly alertmanagerResendMs: number;
  /** Where receivers link back to (the dashboard). */
  readonly externalURL: string;
}

export const DEFAULT_BOOK_CONFIG: BookConfig = {
  webhookReceivers: [],
  alertmanager: false,
  groupWaitMs: 30_000, // Alertmanager's defaults: group_wait 30s, group_interval 5m, repeat_interval 4h
  groupIntervalMs: 300_000,
  repeatIntervalMs: 4 * 3600_000,
  flap: { count: 4, windowMs: 600_000, stableMs: 600_000 },
  alertmanagerResendMs: 60_000, // Prometheus re-sends firing alerts every minute
  externalURL: 'http://localhost:8080',
};

/** One incident's webhook timing: what it last told receivers, and when. */
export interface GroupState {
  readonly incidentId: string;
  readonly clusterId: string;
  readonly gpuId: string;
  /** Latest view of each alert the group may still have to report. */
  readonly alerts: Map<string, AlertView>;
  /** Alerts already sent as firing (their resolution is news). */
  readonly notified: Set<string>;
  /** When the group first held something to notify (ms), null before. */
  firstAt: number | null;
  lastFlushAt: number | null;
  /** The content key of the last notification ('' before any). */
  lastContent: string;
}

/** What Alertmanager was last told of one alert. */
export interface AmState {
  view: AlertView;
  lastSentAt: number | null;
  sentFiring: boolean;
}

export interface FlapState {
  /** When the alert was raised or resolved, ms, within the window. */
  changes: number[];
  flapping: boolean;
  lastChangeAt: number;
  /** The newest episode, as last told: flapping and settling are decided on it. */
  latest: AlertView;
  /** Its incident: a new episode within the window reopens it (one incident for a flapping alert). */
  incidentId: string;
}

export interface ReceiverStats {
  readonly name: string;
  readonly kind: 'webhook' | 'alertmanager';
  queued: number;
  delivered: number;
  deadLettered: number;
  lastQueuedAt: string | null;
  lastDeliveredAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

/**
 * The lifecycle's state: a fold of the lifecycle stream (`evolve`). Holds what is live — open
 * alerts and incidents, pending and active silences, notification timing — and forgets what is
 * over; the history is the stream itself and its projection (libs/persistence's alert history).
 */
export interface BookState {
  readonly config: BookConfig;
  readonly alerts: Map<string, AlertView>;
  readonly incidents: Map<string, IncidentView>;
  /** Recently resolved incidents, which a flapping alert's next episode reopens. */
  readonly resolvedIncidents: Map<string, IncidentView>;
  /** `gpu|cause` → the open incident of that cause on that GPU. */
  readonly openIncidentByKey: Map<string, string>;
  /** The key each open incident is found by (its cause may change: an interference adopts a drift incident). */
  readonly keyOfIncident: Map<string, string>;
  readonly silences: Map<string, SilenceView>;
  readonly flaps: Map<string, FlapState>;
  readonly groups: Map<string, GroupState>;
  readonly am: Map<string, AmState>;
  readonly receivers: Map<string, ReceiverStats>;
  /** Alert ids the twin raised that were decided already (so a re-delivered raise is a no-op). */
  readonly known: RecentIds;
}

const KNOWN_RING = 50_000;
const RECENT_INCIDENTS = 10_000;

export function initialBook(config: BookConfig = DEFAULT_BOOK_CONFIG): BookState {
  const receivers = new Map<string, ReceiverStats>();
  const stats = (name: string, kind: ReceiverStats['kind']): ReceiverStats => ({
    name,
    kind,
    queued: 0,
    delivered: 0,
    deadLettered: 0,
    lastQueuedAt: null,
    lastDeliveredAt: null,
    lastError: null,
    lastErrorAt: null,
  });
  for (const name of config.webhookReceivers) receivers.set(name, stats(name, 'webhook'));
  if (config.alertmanager) receivers.set('alertmanager', stats('alertmanager', 'alertmanager'));
  return {
    config,
    alerts: new Map(),
    incidents: new Map(),
    resolvedIncidents: new Map(),
    openIncidentByKey: new Map(),
    keyOfIncident: new Map(),
    silences: new Map(),
    flaps: new Map(),
    groups: new Map(),
    am: new Map(),
    receivers,
    known: new RecentIds(KNOWN_RING),
  };
}

/** An alert's state from its flags, in the contract's order of precedence. */
export function stateOf(a: Omit<AlertView, 'state'>): AlertState {
  if (a.endsAt !== null) return 'resolved';
  if (a.inhibitedBy !== null) return 'inhibited';
  if (a.silencedBy.length > 0) return 'silenced';
  if (a.flapping) return 'flapping';
  if (a.acknowledged !== null) return 'acknowledged';
  return 'firing';
}

/** Firing, acknowledged and flapping alerts are told to receivers; silenced, inhibited and resolved are not. */
export function isNotifiable(a: AlertView): boolean {
  return a.state === 'firing' || a.state === 'acknowledged' || a.state === 'flapping';
}

/** Folds one lifecycle event into the state. Pure in the state: the same events give the same state. */
export function evolve(state: BookState, event: LifecycleEvent): void {
  const at = Date.parse(event.ts);
  if (isAlertChange(event)) {
    const view = event.data.alert;
    state.known.add(view.alertId);
    if (view.state === 'resolved') state.alerts.delete(view.alertId);
    else state.alerts.set(view.alertId, view);
    trackFlap(state, event.type, view, at);
    trackGroup(state, view, at);
    trackAlertmanager(state, view);
    return;
  }
  switch (event.type) {
    case 'incident.opened':
    case 'incident.updated': {
      const inc = event.data.incident;
      state.incidents.set(inc.incidentId, inc);
      state.resolvedIncidents.delete(inc.incidentId);
      const old = state.keyOfIncident.get(inc.incidentId);
      if (old !== undefined && state.openIncidentByKey.get(old) === inc.incidentId)
        state.openIncidentByKey.delete(old);
      state.keyOfIncident.set(inc.incidentId, incidentKey(inc.gpuId, inc.cause));
      state.openIncidentByKey.set(incidentKey(inc.gpuId, inc.cause), inc.incidentId);
      return;
    }
    case 'incident.resolved': {
      const inc = event.data.incident;
      state.incidents.delete(inc.incidentId);
      state.resolvedIncidents.set(inc.incidentId, inc);
      if (state.resolvedIncidents.size > RECENT_INCIDENTS)
        state.resolvedIncidents.delete(state.resolvedIncidents.keys().next().value!);
      const key = state.keyOfIncident.get(inc.incidentId) ?? incidentKey(inc.gpuId, inc.cause);
      state.keyOfIncident.delete(inc.incidentId);
      if (state.openIncidentByKey.get(key) === inc.incidentId) state.openIncidentByKey.delete(key);
      const group = state.groups.get(inc.incidentId);
      if (group && group.notified.size === 0) state.groups.delete(inc.incidentId);
      return;
    }
    case 'silence.created':
    case 'silence.activated':
    case 'silence.expired': {
      const s = event.data.silence;
      if (s.state === 'expired') state.silences.delete(s.silenceId);
      else state.silences.set(s.silenceId, s);
      return;
    }
    case 'notification.queued': {
      const r = state.receivers.get(event.data.receiver);
      if (r) {
        r.queued++;
        r.lastQueuedAt = event.ts;
      }
      if (event.data.receiverKind === 'webhook') noteFlush(state, event.data, at);
      else noteAlertmanagerSend(state, event.data.alerts, at);
      return;
    }
    case 'notification.delivered': {
      const r = state.receivers.get(event.data.receiver);
      if (r) {
        r.delivered++;
        r.lastDeliveredAt = event.ts;
      }
      return;
    }
    case 'notification.dead_lettered': {
      const r = state.receivers.get(event.data.receiver);
      if (r) {
        r.deadLettered++;
        r.lastError = event.data.error;
        r.lastErrorAt = event.ts;
      }
      return;
    }
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** The key an incident is found by: one GPU, one cause. */
export function incidentKey(gpuId: string, cause: string): string {
  return `${gpuId}|${cause}`;
}

function trackFlap(state: BookState, type: LifecycleEvent['type'], view: AlertView, at: number): void {
  const { flap } = state.config;
  let f = state.flaps.get(view.fingerprint);
  if (type === 'alert.opened' || type === 'alert.closed') {
    if (!f)
      state.flaps.set(
        view.fingerprint,
        (f = {
          changes: [],
          flapping: false,
          lastChangeAt: at,
          latest: view,
          incidentId: view.incidentId,
        }),
      );
    f.incidentId = view.incidentId;
    f.changes.push(at);
    while (f.changes.length > 0 && f.changes[0]! < at - flap.windowMs) f.changes.shift();
    f.lastChangeAt = at;
    f.latest = view;
  }
  if (!f) return;
  if (f.latest.alertId === view.alertId) f.latest = view;
  if (type === 'alert.flapping' || (type === 'alert.opened' && view.flapping)) f.flapping = true;
  if (type === 'alert.settled') {
    f.flapping = false;
    f.changes.length = 0;
  }
}

function trackGroup(state: BookState, view: AlertView, at: number): void {
  if (state.config.webhookReceivers.length === 0) return;
  let g = state.groups.get(view.incidentId);
  if (!g) {
    if (!isNotifiable(view)) return; // nothing to tell yet
    g = {
      incidentId: view.incidentId,
      clusterId: view.labels.cluster,
      gpuId: view.labels.gpu,
      alerts: new Map(),
      notified: new Set(),
      firstAt: null,
      lastFlushAt: null,
      lastContent: '',
    };
    state.groups.set(view.incidentId, g);
  }
  g.alerts.set(view.alertId, view);
  if (g.firstAt === null && isNotifiable(view)) g.firstAt = at;
  // an alert never told as firing ends without news (a flapping one is told by its fingerprint)
  for (const [id, a] of g.alerts)
    if (a.state === 'resolved' && !g.notified.has(id) && !state.flaps.get(a.fingerprint)?.flapping)
      g.alerts.delete(id);
}

function trackAlertmanager(state: BookState, view: AlertView): void {
  if (!state.config.alertmanager) return;
  const am = state.am.get(view.alertId);
  if (!am) {
    if (view.state !== 'resolved') state.am.set(view.alertId, { view, lastSentAt: null, sentFiring: false });
    return;
  }
  am.view = view;
  if (view.state === 'resolved' && !am.sentFiring) state.am.delete(view.alertId);
}

function noteFlush(
  state: BookState,
  n: {
    incidentId: string | null;
    status: 'firing' | 'resolved';
    alerts: readonly { alertId: string; fingerprint: string; status: 'firing' | 'resolved' }[];
  },
  at: number,
): void {
  const g = n.incidentId === null ? undefined : state.groups.get(n.incidentId);
  if (!g) return;
  g.lastFlushAt = at;
  g.lastContent = contentKey(state, g);
  for (const a of n.alerts) {
    if (a.status === 'firing') g.notified.add(a.alertId);
    else {
      g.notified.delete(a.alertId);
      const v = g.alerts.get(a.alertId);
      if (v?.state === 'resolved') g.alerts.delete(a.alertId);
    }
  }
  if (g.alerts.size === 0 && !state.incidents.has(g.incidentId)) state.groups.delete(g.incidentId);
}

function noteAlertmanagerSend(
  state: BookState,
  alerts: readonly { alertId: string; status: 'firing' | 'resolved' }[],
  at: number,
): void {
  for (const a of alerts) {
    const am = state.am.get(a.alertId);
    if (!am) continue;
    am.lastSentAt = at;
    am.sentFiring = a.status === 'firing';
    if (am.view.state === 'resolved') state.am.delete(a.alertId);
  }
}

/**
 * What one incident would tell receivers now, as a key: a flapping alert counts once by its
 * fingerprint (its episodes come and go without news), an acknowledgement changes nothing.
 */
export function contentKey(state: BookState, g: GroupState): string {
  return reportable(state, g)
    .map((r) => r.key)
    .sort()
    .join(',');
}

export interface Reportable {
  readonly key: string;
  readonly view: AlertView;
  readonly status: 'firing' | 'resolved';
}

/** The alerts an incident's notification carries, newest episode per flapping fingerprint. */
export function reportable(state: BookState, g: GroupState): Reportable[] {
  const out: Reportable[] = [];
  const flapping = new Map<string, AlertView>();
  for (const view of g.alerts.values()) {
    if (state.flaps.get(view.fingerprint)?.flapping) {
      const prev = flapping.get(view.fingerprint);
      if (!prev || prev.startsAt <= view.startsAt) flapping.set(view.fingerprint, view);
      continue;
    }
    if (isNotifiable(view)) out.push({ key: `${view.alertId}:firing`, view, status: 'firing' });
    else if (view.state === 'resolved' && g.notified.has(view.alertId))
      out.push({ key: `${view.alertId}:resolved`, view, status: 'resolved' });
  }
  for (const [fp, view] of flapping)
    out.push({ key: `${fp}:flapping`, view: { ...view, flapping: true }, status: 'firing' });
  return out;
}
