import { ValidationError, type AlertView } from '@vgpu-twin/contracts';
import { fingerprint } from './fingerprint';

/**
 * What receivers see: Alertmanager's webhook body (version 4, notify/webhook/webhook.go over
 * template.Data) and the body of its `POST /api/v2/alerts`, built from our alerts.
 */

type KV = Record<string, string>;

export type WebhookAlert = {
  status: 'firing' | 'resolved';
  labels: KV;
  annotations: KV;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
};

export type WebhookPayload = {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
  groupLabels: KV;
  commonLabels: KV;
  commonAnnotations: KV;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
};

/** One element of `POST /api/v2/alerts` (Alertmanager's OpenAPI `postableAlert`). */
export type PostableAlert = {
  labels: KV;
  annotations: KV;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
};

/** How Go prints time.Time{} in JSON: what Alertmanager sends as the endsAt of a firing alert. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export interface WebhookGroup {
  receiver: string;
  groupKey: string;
  groupLabels: KV;
  alerts: readonly AlertView[];
  externalURL: string;
}

/**
 * The body Alertmanager's webhook receiver POSTs for one group, field for field: alerts in
 * Alertmanager's order (sorted by labels), label and annotation objects with sorted keys (Go
 * marshals maps so), times as Go prints them, and the receiver name regexp-quoted (template.Data
 * applies regexp.QuoteMeta to it).
 */
export function webhookPayload(group: WebhookGroup): WebhookPayload {
  const alerts = [...group.alerts]
    .sort((a, b) => labelSetOrder(a.labels, b.labels))
    .map((view) => webhookAlert(view, group.externalURL));
  return {
    receiver: quoteMeta(group.receiver),
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: sorted(group.groupLabels),
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: group.externalURL,
    version: '4',
    groupKey: group.groupKey,
    truncatedAlerts: 0,
  };
}

function webhookAlert(view: AlertView, externalURL: string): WebhookAlert {
  const resolved = view.state === 'resolved';
  const labels = sorted(view.labels);
  return {
    status: resolved ? 'resolved' : 'firing',
    labels,
    annotations: alertAnnotations(view),
    startsAt: goTime(view.startsAt),
    // types.Alerts hides the end of an alert that has not ended yet.
    endsAt: resolved ? goTime(endOf(view)) : GO_ZERO_TIME,
    generatorURL: generatorURL(view, externalURL),
    fingerprint: fingerprint(labels),
  };
}

export interface AlertmanagerOptions {
  /** Where an operator sees the alert (the notifier's UI); generatorURL links into it. */
  externalURL: string;
  /** The time of sending, ISO-8601. */
  now: string;
  /** How often a firing alert is re-sent. */
  resendMs: number;
}

/**
 * The body of Alertmanager's `POST /api/v2/alerts`. A firing alert ends at now + 4 × resendMs, as
 * Prometheus sets it (rules/alerting.go: ValidUntil = ts + 4 × resend delay): Alertmanager then
 * resolves it by itself if we stop re-sending. A resolved alert ends when it resolved.
 */
export function alertmanagerAlerts(alerts: readonly AlertView[], opts: AlertmanagerOptions): PostableAlert[] {
  const now = Date.parse(opts.now);
  if (Number.isNaN(now)) throw new ValidationError(`now must be an ISO-8601 time, got '${opts.now}'`);
  if (!(opts.resendMs > 0)) throw new ValidationError(`resendMs must be > 0, got ${opts.resendMs}`);
  const validUntil = new Date(now + 4 * opts.resendMs).toISOString();
  return alerts.map((view) => ({
    labels: sorted(view.labels),
    annotations: alertAnnotations(view),
    startsAt: view.startsAt,
    endsAt: view.state === 'resolved' ? endOf(view) : validUntil,
    generatorURL: generatorURL(view, opts.externalURL),
  }));
}

/** The annotations both bodies carry; all strings, the optional ones only when they say something. */
export function alertAnnotations(view: AlertView): KV {
  const a: KV = { summary: view.message, state: view.state, incident: view.incidentId };
  if (view.aggressorVmId !== null) a.aggressor_vm = view.aggressorVmId;
  if (view.acknowledged) {
    a.acknowledged_by = view.acknowledged.by;
    a.acknowledgement_note = view.acknowledged.note;
  }
  if (view.flapping) a.flapping = 'true';
  if (view.evidence.observedSlowdown !== null) a.observed_slowdown = String(view.evidence.observedSlowdown);
  if (view.evidence.predictedSlowdown !== null)
    a.predicted_slowdown = String(view.evidence.predictedSlowdown);
  return sorted(a);
}

function generatorURL(view: AlertView, externalURL: string): string {
  return `${externalURL}/?alert=${encodeURIComponent(view.alertId)}`;
}

function endOf(view: AlertView): string {
  if (view.endsAt === null) throw new ValidationError(`alert ${view.alertId} is resolved but has no endsAt`);
  return view.endsAt;
}

/** Go's encoding/json writes a map's keys in sorted order. */
function sorted(kv: Readonly<KV>): KV {
  return Object.fromEntries(Object.entries(kv).sort(([a], [b]) => compare(a, b)));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The pairs every one of the sets has (template.Data's commonLabels / commonAnnotations). */
function common(sets: readonly KV[]): KV {
  const [first, ...rest] = sets;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((s) => s[k] === v)));
}

/**
 * model.LabelSet.Before, the order Alertmanager sorts a group's alerts in (types.AlertSlice,
 * after `job` and `instance`, which our labels do not have): fewer labels first, then the first
 * differing value in label-name order, an absent label first.
 */
function labelSetOrder(a: Readonly<KV>, b: Readonly<KV>): number {
  const [na, nb] = [Object.keys(a).length, Object.keys(b).length];
  if (na !== nb) return na - nb;
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (!(name in a)) return -1;
    if (!(name in b)) return 1;
    const c = compare(a[name]!, b[name]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** Go's regexp.QuoteMeta: a backslash before each of \.+*?()|[]{}^$. */
function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * An ISO-8601 UTC time as Go's time.Time marshals it (RFC 3339 with nanoseconds, trailing zeros
 * of the fraction dropped): `2026-01-01T00:00:00.000Z` → `2026-01-01T00:00:00Z`, `.250Z` → `.25Z`.
 */
export function goTime(iso: string): string {
  return iso.replace(
    /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d*?)0*)?Z$/,
    (_, hms: string, frac: string | undefined) => (frac ? `${hms}.${frac}Z` : `${hms}Z`),
  );
}
