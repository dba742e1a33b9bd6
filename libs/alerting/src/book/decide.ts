import type {
  AlertKind,
  AlertRaised,
  AlertResolved,
  AlertView,
  IncidentView,
  LifecycleEvent,
  Matcher,
  NotificationRequested,
  OperatorCommand,
  PlacementSuggested,
  SilenceView,
} from '@vgpu-twin/contracts';
import { fingerprint } from '../fingerprint';
import { compileMatchers } from '../matchers';

/** A silence's matchers compiled once (its regexes), not for every alert it is checked against. */
const compiled = new WeakMap<readonly Matcher[], (labels: Readonly<Record<string, string>>) => boolean>();
function matcherOf(ms: readonly Matcher[]): (labels: Readonly<Record<string, string>>) => boolean {
  let f = compiled.get(ms);
  if (!f) compiled.set(ms, (f = compileMatchers(ms)));
  return f;
}
import { evolve, incidentKey, stateOf, type BookState } from './state';
import { notify } from './notify';

/** What the decider reads: the twin's alerts and operators' commands, in the alerts stream's order. */
export type BookInput = AlertRaised | AlertResolved | PlacementSuggested | OperatorCommand;

export interface Decision {
  /** For the lifecycle stream, already folded into the state. */
  readonly lifecycle: LifecycleEvent[];
  /** For the notifications stream (the delivery queue). */
  readonly notifications: NotificationRequested[];
}

/** What the decider needs from outside the alert stream: the VM's workload, from the inventory. */
export interface DecideContext {
  /** Decision time, ms since the epoch: the lifecycle events' time. */
  readonly now: number;
  readonly workloadOf: (vmId: string) => string | undefined;
}

const ALERTNAME: Record<AlertKind, string> = {
  interference: 'VgpuInterference',
  predicted_interference: 'VgpuPredictedInterference',
  drift: 'VgpuDrift',
  framebuffer: 'VgpuFramebuffer',
  model_stale: 'VgpuModelStale',
};
/** Kinds an interference alert on the same VM explains (Alertmanager's inhibit_rules, fixed). */
const INHIBITED_BY_INTERFERENCE: ReadonlySet<AlertKind> = new Set(['drift', 'predicted_interference']);

/**
 * The lifecycle decider: given the state and one input, the lifecycle events it causes (each
 * folded into the state as it is decided, so later rules see earlier ones). Deterministic: the
 * same state, input and `now` give the same events with the same ids.
 */
export function decide(state: BookState, input: BookInput, ctx: DecideContext): Decision {
  const d = new Decider(state, ctx.now, input.id);
  switch (input.type) {
    case 'alert.raised':
      d.open(input, ctx.workloadOf(input.data.vmId) ?? 'unknown');
      break;
    case 'alert.resolved':
      d.close(input);
      break;
    case 'placement.suggested':
      d.suggest(input);
      break;
    case 'operator.acknowledged':
      d.acknowledge(input.data.alertId, input.data.by, input.data.note);
      break;
    case 'operator.silence_created':
      d.createSilence(input);
      break;
    case 'operator.silence_expired':
      d.expireSilence(input.data.silenceId, input.data.by, `expired by ${input.data.by}`);
      break;
    default: {
      const _exhaustive: never = input;
      return _exhaustive;
    }
  }
  return d.result();
}

/**
 * What time alone changes: silences start and end, flapping alerts settle, incidents' notifications
 * fall due (group wait, group interval, repeat interval) and Alertmanager's re-sends.
 */
export function tick(state: BookState, now: number): Decision {
  const d = new Decider(state, now, `tick:${now}`);
  d.silenceClock();
  d.settleFlapping();
  const out = d.result();
  const n = notify(state, now);
  for (const e of n.lifecycle) evolve(state, e);
  return { lifecycle: [...out.lifecycle, ...n.lifecycle], notifications: n.notifications };
}

class Decider {
  private readonly lifecycle: LifecycleEvent[] = [];
  private readonly ts: string;
  private seq = 0;

  constructor(
    private readonly state: BookState,
    private readonly now: number,
    private readonly cause: string,
  ) {
    this.ts = new Date(now).toISOString();
  }

  result(): Decision {
    return { lifecycle: this.lifecycle, notifications: [] };
  }

  private emit<T extends LifecycleEvent['type']>(
    type: T,
    data: Extract<LifecycleEvent, { type: T }>['data'],
  ): void {
    const event = {
      id: lifecycleId(this.cause, this.seq++, type),
      type,
      version: 1,
      ts: this.ts,
      source: 'notifier',
      data,
    } as LifecycleEvent;
    evolve(this.state, event);
    this.lifecycle.push(event);
  }

  /** Emits an alert change if the view's state moved (or `always`). */
  private change(
    type: Extract<LifecycleEvent['type'], `alert.${string}`>,
    before: AlertView,
    patch: Partial<AlertView>,
    reason: string,
    actor: string | null = null,
  ): AlertView {
    const next = { ...before, ...patch };
    const view: AlertView = { ...next, state: stateOf(next) };
    this.emit(type, { alert: view, from: before.state, reason, actor });
    return view;
  }

  open(raised: AlertRaised, workload: string): void {
    const r = raised.data;
    if (this.state.known.has(r.alertId)) return; // re-delivered: decided already
    const labels = {
      alertname: ALERTNAME[r.kind],
      cluster: r.clusterId,
      host: r.hostId,
      gpu: r.gpuId,
      vm: r.vmId,
      kind: r.kind,
      severity: r.severity,
      workload,
    };
    const fp = fingerprint(labels);
    const flap = this.state.flaps.get(fp);
    // an episode within the flap window of the last one belongs to its incident (reopened if need be)
    const recent = flap && flap.changes.some((t) => t >= this.now - this.state.config.flap.windowMs);
    const incident =
      (recent ? this.reopenable(flap.incidentId) : undefined) ??
      this.incidentFor(r.kind, r.gpuId, r.aggressorVmId, r.alertId, r.clusterId, r.hostId);
    const base = {
      alertId: r.alertId,
      fingerprint: fp,
      incidentId: incident.incidentId,
      labels,
      message: r.message,
      aggressorVmId: r.aggressorVmId,
      evidence: r.evidence,
      startsAt: raised.ts,
      endsAt: null,
      acknowledged: null,
      silencedBy: this.silencesMatching(labels),
      inhibitedBy: INHIBITED_BY_INTERFERENCE.has(r.kind) ? this.interferenceOn(r.vmId) : null,
      flapping: flap?.flapping ?? false,
    };
    const view: AlertView = { ...base, state: stateOf(base) };
    const reasons = [`raised by the twin: ${r.message}`];
    if (view.inhibitedBy) reasons.push(`inhibited: ${view.inhibitedBy} explains it`);
    if (view.silencedBy.length > 0) reasons.push(`silenced by ${view.silencedBy.join(', ')}`);
    if (view.flapping) reasons.push('its alert is flapping');
    this.emit('alert.opened', { alert: view, from: null, reason: reasons.join('; '), actor: null });
    this.joinIncident(incident, r.alertId, r.kind, r.vmId);
    if (r.kind === 'interference') this.inhibitTargets(r.vmId, r.alertId);
    this.checkFlapping(fp);
  }

  close(resolved: AlertResolved): void {
    const before = this.state.alerts.get(resolved.data.alertId);
    if (!before) return; // unknown or resolved already
    this.change(
      'alert.closed',
      before,
      { endsAt: resolved.ts },
      `resolved by the twin: ${resolved.data.message}`,
    );
    if (before.labels.kind === 'interference') this.reconsiderInhibited(before.labels.vm, before.alertId);
    this.leaveIncident(before.incidentId, before.alertId);
    this.checkFlapping(before.fingerprint);
  }

  suggest(s: PlacementSuggested): void {
    const byAlert = s.data.alertId ? this.state.alerts.get(s.data.alertId)?.incidentId : undefined;
    const incident =
      (byAlert && this.state.incidents.get(byAlert)) ||
      [...this.state.incidents.values()].find((i) => i.gpuId === s.data.fromGpuId && i.status === 'open');
    if (!incident || incident.suggestion?.suggestionId === s.data.suggestionId) return;
    const { suggestionId, vmId, fromGpuId, toGpuId, reason, gain } = s.data;
    this.emit('incident.updated', {
      incident: { ...incident, suggestion: { suggestionId, vmId, fromGpuId, toGpuId, reason, gain } },
      reason: `suggestion: ${reason}`,
    });
  }

  acknowledge(alertId: string, by: string, note: string): void {
    const before = this.state.alerts.get(alertId);
    if (!before || before.acknowledged) return;
    this.change(
      'alert.acknowledged',
      before,
      { acknowledged: { by, note, at: this.ts } },
      `acknowledged by ${by}${note ? `: ${note}` : ''}`,
      by,
    );
  }

  createSilence(cmd: Extract<OperatorCommand, { type: 'operator.silence_created' }>): void {
    const c = cmd.data;
    if (this.state.silences.has(c.silenceId)) return;
    const starts = Date.parse(c.startsAt);
    const ends = Date.parse(c.endsAt);
    const silence: SilenceView = {
      silenceId: c.silenceId,
      matchers: c.matchers,
      startsAt: c.startsAt,
      endsAt: c.endsAt,
      createdBy: c.createdBy,
      comment: c.comment,
      state: ends <= this.now ? 'expired' : starts <= this.now ? 'active' : 'pending',
      expiredBy: null,
    };
    this.emit('silence.created', {
      silence,
      reason: `created by ${c.createdBy}${c.comment ? `: ${c.comment}` : ''}`,
    });
    if (silence.state === 'active') this.applySilence(silence);
  }

  expireSilence(silenceId: string, by: string | null, reason: string): void {
    const s = this.state.silences.get(silenceId);
    if (!s) return;
    this.emit('silence.expired', { silence: { ...s, state: 'expired', expiredBy: by }, reason });
    for (const a of [...this.state.alerts.values()]) {
      if (!a.silencedBy.includes(silenceId)) continue;
      const silencedBy = a.silencedBy.filter((x) => x !== silenceId);
      const type = silencedBy.length === 0 ? 'alert.unsilenced' : 'alert.silenced';
      this.change(type, a, { silencedBy }, `silence ${silenceId} ${reason}`);
    }
  }

  silenceClock(): void {
    for (const s of [...this.state.silences.values()]) {
      if (Date.parse(s.endsAt) <= this.now) this.expireSilence(s.silenceId, null, 'ended');
      else if (s.state === 'pending' && Date.parse(s.startsAt) <= this.now) {
        const active: SilenceView = { ...s, state: 'active' };
        this.emit('silence.activated', { silence: active, reason: 'its start time came' });
        this.applySilence(active);
      }
    }
  }

  settleFlapping(): void {
    const { stableMs, windowMs } = this.state.config.flap;
    for (const [fp, f] of [...this.state.flaps]) {
      if (f.flapping && this.now - f.lastChangeAt >= stableMs) {
        this.change(
          'alert.settled',
          f.latest,
          { flapping: false },
          `stable for ${Math.round(stableMs / 1000)} s`,
        );
      } else if (!f.flapping && f.changes.every((t) => t < this.now - windowMs)) {
        // nothing within the window: forget it (a rebuilt book that still has it decides the same:
        // only changes within the window count, see open and checkFlapping)
        this.state.flaps.delete(fp);
      }
    }
  }

  private checkFlapping(fp: string): void {
    const f = this.state.flaps.get(fp);
    const { count, windowMs } = this.state.config.flap;
    if (!f || f.flapping || f.changes.length <= count) return;
    const reason = `raised and resolved ${f.changes.length} times in ${Math.round(windowMs / 60_000)} min`;
    this.change('alert.flapping', f.latest, { flapping: true }, reason);
  }

  private silencesMatching(labels: Readonly<Record<string, string>>): string[] {
    const out: string[] = [];
    for (const s of this.state.silences.values())
      if (s.state === 'active' && matcherOf(s.matchers)(labels)) out.push(s.silenceId);
    return out;
  }

  private applySilence(s: SilenceView): void {
    const match = matcherOf(s.matchers);
    for (const a of [...this.state.alerts.values()]) {
      if (a.silencedBy.includes(s.silenceId) || !match(a.labels)) continue;
      this.change(
        'alert.silenced',
        a,
        { silencedBy: [...a.silencedBy, s.silenceId] },
        `matches silence ${s.silenceId}`,
      );
    }
  }

  /** The open interference alert on this VM, if any (the oldest explains first). */
  private interferenceOn(vmId: string, except?: string): string | null {
    for (const a of this.state.alerts.values())
      if (a.labels.vm === vmId && a.labels.kind === 'interference' && a.alertId !== except) return a.alertId;
    return null;
  }

  private inhibitTargets(vmId: string, sourceId: string): void {
    for (const a of [...this.state.alerts.values()]) {
      if (a.labels.vm !== vmId || !INHIBITED_BY_INTERFERENCE.has(a.labels.kind) || a.inhibitedBy) continue;
      this.change('alert.inhibited', a, { inhibitedBy: sourceId }, `inhibited: ${sourceId} explains it`);
    }
  }

  private reconsiderInhibited(vmId: string, goneId: string): void {
    for (const a of [...this.state.alerts.values()]) {
      if (a.inhibitedBy !== goneId) continue;
      const other = this.interferenceOn(vmId, goneId);
      if (other) this.change('alert.inhibited', a, { inhibitedBy: other }, `inhibited: ${other} explains it`);
      else
        this.change(
          'alert.uninhibited',
          a,
          { inhibitedBy: null },
          `${goneId} resolved: nothing explains it now`,
        );
    }
  }

  /** The incident of an earlier episode within the flap window: open, or reopened with its id. */
  private reopenable(incidentId: string): IncidentView | undefined {
    const open = this.state.incidents.get(incidentId);
    if (open) return open;
    const done = this.state.resolvedIncidents.get(incidentId);
    return done && { ...done, status: 'open', resolvedAt: null };
  }

  /** The open incident this alert joins, or a new one (not yet emitted: joinIncident does). */
  private incidentFor(
    kind: AlertKind,
    gpuId: string,
    aggressor: string | null,
    alertId: string,
    clusterId: string,
    hostId: string,
  ): IncidentView {
    const cause = causeOf(kind, aggressor);
    const direct = this.state.openIncidentByKey.get(incidentKey(gpuId, cause));
    if (direct) return this.state.incidents.get(direct)!;
    if (cause.startsWith('aggressor:')) {
      // an interference on a GPU whose drift incident is open explains that drift: it joins it
      const drift = this.state.openIncidentByKey.get(incidentKey(gpuId, 'drift'));
      const adopted = drift ? this.state.incidents.get(drift) : undefined;
      if (adopted) return { ...adopted, cause, aggressorVmId: aggressor };
    }
    if (kind === 'drift') {
      // drift on a GPU with an open incident is part of it: the same co-location misbehaves
      const open = [...this.state.incidents.values()].filter((i) => i.gpuId === gpuId && i.status === 'open');
      const same = open.find((i) => aggressor !== null && i.aggressorVmId === aggressor) ?? open[0];
      if (same) return same;
    }
    return {
      incidentId: `incident:${fingerprint({ gpu: gpuId, cause, first: alertId })}`,
      clusterId,
      hostId,
      gpuId,
      cause,
      aggressorVmId: kind === 'interference' || kind === 'predicted_interference' ? aggressor : null,
      title: '',
      status: 'open',
      alertIds: [],
      activeAlertIds: [],
      suggestion: null,
      openedAt: this.ts,
      resolvedAt: null,
    };
  }

  private joinIncident(incident: IncidentView, alertId: string, kind: AlertKind, vmId: string): void {
    const isNew = !this.state.incidents.has(incident.incidentId);
    const next: IncidentView = {
      ...incident,
      alertIds: [...incident.alertIds, alertId],
      activeAlertIds: [...incident.activeAlertIds, alertId],
    };
    const withTitle = { ...next, title: this.titleOf(next, kind, vmId) };
    if (isNew) {
      const reopened = this.state.resolvedIncidents.has(incident.incidentId);
      this.emit('incident.opened', {
        incident: withTitle,
        reason: reopened
          ? `${alertId} reopened it: the same alert again within the flap window`
          : `${alertId} opened it`,
      });
    } else this.emit('incident.updated', { incident: withTitle, reason: `${alertId} joined` });
  }

  private leaveIncident(incidentId: string, alertId: string): void {
    const incident = this.state.incidents.get(incidentId);
    if (!incident) return;
    const activeAlertIds = incident.activeAlertIds.filter((a) => a !== alertId);
    if (activeAlertIds.length > 0) {
      this.emit('incident.updated', {
        incident: { ...incident, activeAlertIds },
        reason: `${alertId} resolved`,
      });
      return;
    }
    this.emit('incident.resolved', {
      incident: { ...incident, activeAlertIds, status: 'resolved', resolvedAt: this.ts },
      reason: 'every alert resolved',
    });
  }

  private titleOf(incident: IncidentView, kind: AlertKind, vmId: string): string {
    const victims = new Set<string>();
    for (const id of incident.alertIds) {
      const a = this.state.alerts.get(id);
      if (a && (a.labels.kind === 'interference' || a.labels.kind === 'predicted_interference'))
        victims.add(a.labels.vm);
    }
    if (kind === 'interference' || kind === 'predicted_interference') victims.add(vmId);
    if (incident.aggressorVmId && victims.size > 0)
      return `${incident.aggressorVmId} slows ${[...victims].sort().join(', ')} on ${incident.gpuId}`;
    if (incident.title) return incident.title;
    return `${kind.replace('_', ' ')} on ${incident.gpuId} (${vmId})`;
  }
}

function causeOf(kind: AlertKind, aggressor: string | null): string {
  if (kind === 'interference' || kind === 'predicted_interference')
    return `aggressor:${aggressor ?? 'unknown'}`;
  return kind;
}

/** A lifecycle event's id: its cause, its place among that cause's events, its type. */
export function lifecycleId(cause: string, seq: number, type: string): string {
  const raw = `${cause}/${seq}/${type}`;
  if (raw.length <= 200 && /^[A-Za-z0-9._:@/-]+$/.test(raw)) return raw;
  return `lc:${fingerprint({ raw })}/${seq}/${type}`;
}
