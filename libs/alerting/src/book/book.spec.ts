import {
  fixtures,
  parseEventOrThrow,
  type AlertKind,
  type AlertRaised,
  type AlertResolved,
  type LifecycleEvent,
  type Matcher,
  type OperatorCommand,
} from '@vgpu-twin/contracts';
import {
  decide,
  evolve,
  initialBook,
  tick,
  type BookConfig,
  type BookInput,
  type BookState,
  DEFAULT_BOOK_CONFIG,
} from './index';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const sec = (s: number) => T0 + s * 1000;

function raised(
  alertId: string,
  kind: AlertKind,
  vmId: string,
  s: number,
  aggressor: string | null = 'vm-9',
): AlertRaised {
  const f = fixtures['alert.raised'];
  return {
    ...f,
    id: `r-${alertId}`,
    ts: new Date(sec(s)).toISOString(),
    data: {
      ...f.data,
      alertId,
      kind,
      vmId,
      gpuId: 'gpu-1',
      hostId: 'host-1',
      clusterId: 'cluster-a',
      aggressorVmId: aggressor,
    },
  };
}
function resolvedOf(alertId: string, kind: AlertKind, vmId: string, s: number): AlertResolved {
  const f = fixtures['alert.resolved'];
  return {
    ...f,
    id: `x-${alertId}`,
    ts: new Date(sec(s)).toISOString(),
    data: { ...f.data, alertId, kind, vmId, gpuId: 'gpu-1', hostId: 'host-1', clusterId: 'cluster-a' },
  };
}
const ack = (alertId: string): OperatorCommand => ({
  ...fixtures['operator.acknowledged'],
  id: `ack-${alertId}`,
  data: { alertId, by: 'ops', note: 'on it' },
});
const silence = (silenceId: string, matchers: Matcher[], from: number, to: number): OperatorCommand => ({
  ...fixtures['operator.silence_created'],
  id: `sil-${silenceId}`,
  data: {
    silenceId,
    matchers,
    startsAt: new Date(sec(from)).toISOString(),
    endsAt: new Date(sec(to)).toISOString(),
    createdBy: 'ops',
    comment: 'maintenance',
  },
});

/** Given a book, feeds inputs at times (s) and collects every lifecycle event, each checked against its contract. */
class Given {
  readonly state: BookState;
  readonly events: LifecycleEvent[] = [];
  readonly notifications: ReturnType<typeof tick>['notifications'] = [];
  constructor(config: Partial<BookConfig> = {}) {
    this.state = initialBook({ ...DEFAULT_BOOK_CONFIG, ...config });
  }
  at(s: number, input: BookInput): LifecycleEvent[] {
    const d = decide(this.state, input, { now: sec(s), workloadOf: () => 'resnet50-train' });
    return this.collect(d);
  }
  tickAt(s: number): ReturnType<typeof tick> {
    const d = tick(this.state, sec(s));
    this.collect(d);
    this.notifications.push(...d.notifications);
    return d;
  }
  private collect(d: { lifecycle: LifecycleEvent[]; notifications: unknown[] }): LifecycleEvent[] {
    for (const e of d.lifecycle) parseEventOrThrow(JSON.parse(JSON.stringify(e)));
    for (const n of d.notifications) parseEventOrThrow(JSON.parse(JSON.stringify(n)));
    this.events.push(...d.lifecycle);
    return d.lifecycle;
  }
  types(events = this.events): string[] {
    return events.map((e) => e.type);
  }
  alert(id: string) {
    return this.state.alerts.get(id);
  }
}

describe('the alert lifecycle', () => {
  it('opens an alert and its incident, then closes both when the twin resolves it', () => {
    const g = new Given();
    expect(g.types(g.at(1, raised('i1', 'interference', 'vm-1', 1)))).toEqual([
      'alert.opened',
      'incident.opened',
    ]);
    expect(g.alert('i1')!.state).toBe('firing');
    expect(g.alert('i1')!.labels).toMatchObject({
      alertname: 'VgpuInterference',
      vm: 'vm-1',
      workload: 'resnet50-train',
    });
    expect(g.types(g.at(9, resolvedOf('i1', 'interference', 'vm-1', 9)))).toEqual([
      'alert.closed',
      'incident.resolved',
    ]);
    expect(g.alert('i1')).toBeUndefined(); // the book forgets what is over; history keeps it
    expect(g.state.incidents.size).toBe(0);
  });

  it('is idempotent: a re-delivered raise, resolve or acknowledgement decides nothing', () => {
    const g = new Given();
    g.at(1, raised('i1', 'interference', 'vm-1', 1));
    expect(g.at(1, raised('i1', 'interference', 'vm-1', 1))).toEqual([]);
    g.at(2, ack('i1'));
    expect(g.at(2, ack('i1'))).toEqual([]);
    g.at(3, resolvedOf('i1', 'interference', 'vm-1', 3));
    expect(g.at(3, resolvedOf('i1', 'interference', 'vm-1', 3))).toEqual([]);
    expect(g.at(4, raised('i1', 'interference', 'vm-1', 1))).toEqual([]); // resolved: still known
  });

  it('groups the victims of one aggressor on one GPU, and drift on that GPU, into one incident', () => {
    const g = new Given();
    g.at(1, raised('i1', 'interference', 'vm-1', 1, 'vm-9'));
    g.at(2, raised('i2', 'interference', 'vm-2', 2, 'vm-9'));
    g.at(3, raised('d3', 'drift', 'vm-3', 3, null));
    g.at(4, raised('i4', 'interference', 'vm-4', 4, 'vm-8')); // another aggressor: another cause
    const incidentOf = (id: string) => g.alert(id)!.incidentId;
    expect(incidentOf('i2')).toBe(incidentOf('i1'));
    expect(incidentOf('d3')).toBe(incidentOf('i1'));
    expect(incidentOf('i4')).not.toBe(incidentOf('i1'));
    const inc = g.state.incidents.get(incidentOf('i1'))!;
    expect(inc.title).toBe('vm-9 slows vm-1, vm-2 on gpu-1');
    expect(inc.activeAlertIds).toEqual(['i1', 'i2', 'd3']);
  });

  it('folds an open drift incident into the interference that later explains it (one incident, its cause updated)', () => {
    const g = new Given();
    g.at(1, raised('d1', 'drift', 'vm-1', 1, null));
    const driftIncident = g.alert('d1')!.incidentId;
    expect(g.state.incidents.get(driftIncident)!.cause).toBe('drift');
    g.at(2, raised('i2', 'interference', 'vm-2', 2, 'vm-9'));
    expect(g.alert('i2')!.incidentId).toBe(driftIncident);
    expect(g.state.incidents.get(driftIncident)).toMatchObject({
      cause: 'aggressor:vm-9',
      aggressorVmId: 'vm-9',
    });
    g.at(3, raised('i3', 'interference', 'vm-3', 3, 'vm-9')); // found by its new cause
    expect(g.alert('i3')!.incidentId).toBe(driftIncident);
  });

  it('decides the same after a rebuild as without one: an episode past the flap window opens a new incident', () => {
    // live: raise, resolve, a tick past the 10 min window forgets the alert; rebuilt: a fold of the
    // same events (nothing records the forgetting) — both must open a new incident for the next one
    const live = new Given();
    live.at(0, raised('a1', 'interference', 'vm-1', 0));
    live.at(10, resolvedOf('a1', 'interference', 'vm-1', 10));
    live.tickAt(700);
    const rebuilt = initialBook(live.state.config);
    for (const e of live.events) evolve(rebuilt, e);
    const next = raised('a2', 'interference', 'vm-1', 800);
    const fromLive = decide(live.state, next, { now: sec(800), workloadOf: () => 'resnet50-train' });
    const fromRebuilt = decide(rebuilt, next, { now: sec(800), workloadOf: () => 'resnet50-train' });
    expect(fromRebuilt.lifecycle).toEqual(fromLive.lifecycle);
    expect(fromLive.lifecycle.find((e) => e.type === 'incident.opened')!.data).toMatchObject({
      reason: 'a2 opened it',
    });
  });

  it('attaches a re-placement suggestion to the incident of its alert', () => {
    const g = new Given();
    g.at(1, raised('interference:vm-1:fx', 'interference', 'vm-1', 1));
    const s = fixtures['placement.suggested']; // alertId interference:vm-1:fx
    expect(g.types(g.at(2, s))).toEqual(['incident.updated']);
    const inc = g.state.incidents.get(g.alert('interference:vm-1:fx')!.incidentId)!;
    expect(inc.suggestion).toMatchObject({ vmId: 'vm-2', toGpuId: 'gpu-3' });
  });

  it('inhibits drift and predicted interference on a VM while an interference alert there explains it', () => {
    const g = new Given();
    g.at(1, raised('d1', 'drift', 'vm-1', 1, null));
    expect(g.alert('d1')!.state).toBe('firing');
    const opened = g.at(2, raised('i2', 'interference', 'vm-1', 2));
    expect(g.types(opened)).toContain('alert.inhibited');
    expect(g.alert('d1')).toMatchObject({ state: 'inhibited', inhibitedBy: 'i2' });
    g.at(3, raised('p3', 'predicted_interference', 'vm-1', 3));
    expect(g.alert('p3')).toMatchObject({ state: 'inhibited', inhibitedBy: 'i2' }); // opened inhibited
    g.at(4, raised('d4', 'drift', 'vm-2', 4, null));
    expect(g.alert('d4')!.state).toBe('firing'); // another VM: nothing explains it
    const closed = g.at(5, resolvedOf('i2', 'interference', 'vm-1', 5));
    expect(g.types(closed).filter((t) => t === 'alert.uninhibited')).toHaveLength(2);
    expect(g.alert('d1')!.state).toBe('firing');
  });

  it('acknowledges: the alert stays visible, marked, with who and why', () => {
    const g = new Given();
    g.at(1, raised('i1', 'interference', 'vm-1', 1));
    const [e] = g.at(2, ack('i1'));
    expect(e!.type).toBe('alert.acknowledged');
    expect(g.alert('i1')).toMatchObject({
      state: 'acknowledged',
      acknowledged: { by: 'ops', note: 'on it' },
    });
    expect(g.at(3, ack('nope'))).toEqual([]); // unknown alert: nothing to decide (the API answers 404 first)
  });

  it('silences by matchers from start to end, and expired silences release their alerts', () => {
    const g = new Given();
    g.at(1, raised('i1', 'interference', 'vm-1', 1));
    g.at(1, raised('d2', 'drift', 'vm-2', 1, null));
    // kind=~"interference|drift" and vm!="vm-2": only i1
    g.at(
      2,
      silence(
        's1',
        [
          { name: 'kind', op: '=~', value: 'interference|drift' },
          { name: 'vm', op: '!=', value: 'vm-2' },
        ],
        2,
        60,
      ),
    );
    expect(g.alert('i1')).toMatchObject({ state: 'silenced', silencedBy: ['s1'] });
    expect(g.alert('d2')!.state).toBe('firing');
    g.at(3, raised('i3', 'interference', 'vm-3', 3, 'vm-8'));
    expect(g.alert('i3')!.state).toBe('silenced'); // new alerts are matched at open
    g.tickAt(59);
    expect(g.alert('i1')!.state).toBe('silenced');
    const t = g.tickAt(60); // its end
    expect(g.types(t.lifecycle)).toEqual(['silence.expired', 'alert.unsilenced', 'alert.unsilenced']);
    expect(g.alert('i1')!.state).toBe('firing');
  });

  it('starts a future silence at its start time, and an operator can expire it early', () => {
    const g = new Given();
    g.at(1, raised('i1', 'interference', 'vm-1', 1));
    g.at(2, silence('s1', [{ name: 'gpu', op: '=', value: 'gpu-1' }], 10, 100));
    expect(g.alert('i1')!.state).toBe('firing');
    expect(g.types(g.tickAt(10).lifecycle)).toEqual(['silence.activated', 'alert.silenced']);
    const expire: OperatorCommand = {
      ...fixtures['operator.silence_expired'],
      id: 'exp',
      data: { silenceId: 's1', by: 'ops' },
    };
    expect(g.types(g.at(20, expire))).toEqual(['silence.expired', 'alert.unsilenced']);
    expect(g.state.silences.size).toBe(0);
  });

  it('damps flapping: more than N raises and resolves in the window is one flapping alert until stable', () => {
    // count 4: the 5th change within 10 min flaps
    const g = new Given({ flap: { count: 4, windowMs: 600_000, stableMs: 300_000 } });
    g.at(0, raised('a1', 'drift', 'vm-1', 0, null));
    g.at(30, resolvedOf('a1', 'drift', 'vm-1', 30));
    g.at(60, raised('a2', 'drift', 'vm-1', 60, null));
    g.at(90, resolvedOf('a2', 'drift', 'vm-1', 90));
    expect(g.events.some((e) => e.type === 'alert.flapping')).toBe(false); // 4 changes: not more than 4
    const fifth = g.at(120, raised('a3', 'drift', 'vm-1', 120, null));
    expect(g.types(fifth)).toContain('alert.flapping');
    expect(g.alert('a3')!.state).toBe('flapping');
    g.at(150, resolvedOf('a3', 'drift', 'vm-1', 150));
    g.at(180, raised('a4', 'drift', 'vm-1', 180, null));
    expect(g.alert('a4')!.state).toBe('flapping'); // opens flapping while its fingerprint flaps
    expect(g.types(g.tickAt(479).lifecycle)).not.toContain('alert.settled'); // 299 s since the last change
    expect(g.types(g.tickAt(480).lifecycle)).toContain('alert.settled'); // 300 s stable
    expect(g.alert('a4')!.state).toBe('firing');
  });

  it('gives the same events with the same ids for the same inputs (deterministic), and a fold rebuilds the state', () => {
    const run = () => {
      const g = new Given({ webhookReceivers: ['hook'], alertmanager: true, groupWaitMs: 5000 });
      g.at(1, raised('i1', 'interference', 'vm-1', 1));
      g.at(2, raised('d1', 'drift', 'vm-1', 2, null));
      g.tickAt(10);
      g.at(11, ack('i1'));
      g.at(20, resolvedOf('i1', 'interference', 'vm-1', 20));
      g.tickAt(400);
      return g;
    };
    const a = run();
    const b = run();
    expect(JSON.stringify(a.events)).toBe(JSON.stringify(b.events));
    expect(JSON.stringify(a.notifications)).toBe(JSON.stringify(b.notifications));
    const folded = initialBook(a.state.config);
    for (const e of a.events) evolve(folded, e);
    expect([...folded.alerts.values()]).toEqual([...a.state.alerts.values()]);
    expect([...folded.groups.keys()]).toEqual([...a.state.groups.keys()]);
    expect(new Set(a.events.map((e) => e.id)).size).toBe(a.events.length); // ids are unique
  });
});

describe('notification timing (Alertmanager group_wait / group_interval / repeat_interval)', () => {
  const config = {
    webhookReceivers: ['hook'],
    groupWaitMs: 30_000, // Alertmanager's defaults, in s below: 30 / 300 / 3600 (repeat shortened to 1 h)
    groupIntervalMs: 300_000,
    repeatIntervalMs: 3_600_000,
  };
  const bodies = (g: Given) =>
    g.notifications.map(
      (n) => n.data.body as { status: string; alerts: { labels: { vm: string }; status: string }[] },
    );

  it('waits group_wait, sends the incident once with all its alerts, then waits group_interval for changes', () => {
    const g = new Given(config);
    g.at(0, raised('i1', 'interference', 'vm-1', 0));
    g.at(10, raised('i2', 'interference', 'vm-2', 10)); // same aggressor: same incident
    expect(g.tickAt(29).notifications).toHaveLength(0); // 29 s < group_wait 30 s
    expect(g.tickAt(30).notifications).toHaveLength(1);
    expect(bodies(g)[0]!.alerts.map((a) => a.labels.vm)).toEqual(['vm-1', 'vm-2']);
    g.at(40, resolvedOf('i1', 'interference', 'vm-1', 40));
    expect(g.tickAt(329).notifications).toHaveLength(0); // 30 + 300 = 330
    expect(g.tickAt(330).notifications).toHaveLength(1);
    const second = bodies(g)[1]!;
    expect(second.status).toBe('firing'); // vm-2 still fires
    expect(second.alerts.map((a) => `${a.labels.vm}:${a.status}`).sort()).toEqual([
      'vm-1:resolved',
      'vm-2:firing',
    ]);
  });

  it('repeats an unchanged incident every repeat_interval, and stops repeating once acknowledged', () => {
    const g = new Given(config);
    g.at(0, raised('i1', 'interference', 'vm-1', 0));
    g.tickAt(30);
    expect(g.tickAt(3629).notifications).toHaveLength(0); // 30 + 3600 = 3630
    expect(g.tickAt(3630).notifications).toHaveLength(1);
    g.at(3631, ack('i1'));
    expect(g.tickAt(30_000).notifications).toHaveLength(0); // acknowledged: no more repeats
    expect(g.alert('i1')!.state).toBe('acknowledged');
  });

  it('sends the resolution of a notified incident, then forgets it', () => {
    const g = new Given(config);
    g.at(0, raised('i1', 'interference', 'vm-1', 0));
    g.tickAt(30);
    g.at(100, resolvedOf('i1', 'interference', 'vm-1', 100));
    g.tickAt(330);
    expect(bodies(g).map((b) => b.status)).toEqual(['firing', 'resolved']);
    expect(g.state.groups.size).toBe(0);
    expect(g.tickAt(10_000).notifications).toHaveLength(0);
  });

  it('never notifies silenced or inhibited alerts, nor the end of an alert it never told', () => {
    const g = new Given(config);
    g.at(0, silence('s1', [{ name: 'vm', op: '=', value: 'vm-1' }], 0, 10_000));
    g.at(1, raised('i1', 'interference', 'vm-1', 1));
    g.tickAt(100);
    g.at(200, resolvedOf('i1', 'interference', 'vm-1', 200));
    g.tickAt(1000);
    expect(g.notifications).toHaveLength(0);
    expect(g.state.groups.size).toBe(0);
  });

  it('tells a flapping alert once and holds it until stable', () => {
    const g = new Given({
      ...config,
      groupIntervalMs: 10_000,
      flap: { count: 2, windowMs: 600_000, stableMs: 600_000 },
    });
    g.at(0, raised('a1', 'drift', 'vm-1', 0, null));
    g.tickAt(30); // 1: firing
    g.at(40, resolvedOf('a1', 'drift', 'vm-1', 40));
    g.at(50, raised('a2', 'drift', 'vm-1', 50, null)); // 3rd change > 2: flapping
    expect(g.alert('a2')!.state).toBe('flapping');
    g.tickAt(60); // 2: the fingerprint is flapping (a changed incident, group_interval 10 s after 30)
    g.at(100, resolvedOf('a2', 'drift', 'vm-1', 100));
    g.at(110, raised('a3', 'drift', 'vm-1', 110, null)); // opens flapping
    expect(g.alert('a3')!.state).toBe('flapping');
    g.tickAt(200);
    g.tickAt(500);
    expect(bodies(g)).toHaveLength(2); // held: nothing new while it flaps
    expect(g.tickAt(709).lifecycle.map((e) => e.type)).not.toContain('alert.settled'); // 599 s since 110
    g.tickAt(710); // 600 s stable: settled, and that is news at once (group_interval long past)
    expect(g.alert('a3')!.state).toBe('firing');
    expect(bodies(g)).toHaveLength(3);
    expect(
      bodies(g)[2]!
        .alerts.map((a) => a.status)
        .sort(),
    ).toEqual(['firing', 'resolved', 'resolved']);
  });
});

describe('Alertmanager', () => {
  it('posts every notifiable alert at once, re-sends while firing and ends it when resolved or silenced here', () => {
    const g = new Given({ alertmanager: true, alertmanagerResendMs: 60_000 });
    g.at(0, raised('i1', 'interference', 'vm-1', 0));
    expect(g.tickAt(1).notifications).toHaveLength(1);
    expect(g.tickAt(60).notifications).toHaveLength(0); // 59 s since the send
    const resend = g.tickAt(61).notifications[0]!;
    const alerts = resend.data.body as { endsAt: string; labels: Record<string, string> }[];
    expect(alerts[0]!.labels).toMatchObject({
      vm: 'vm-1',
      gpu: 'gpu-1',
      kind: 'interference',
      severity: 'warning',
      cluster: 'cluster-a',
    });
    expect(Date.parse(alerts[0]!.endsAt)).toBe(sec(61) + 240_000); // 4 × 60 s resend ahead
    g.at(70, silence('s1', [{ name: 'vm', op: '=', value: 'vm-1' }], 70, 1000));
    const ended = g.tickAt(71).notifications[0]!.data.body as { endsAt: string }[];
    expect(Date.parse(ended[0]!.endsAt)).toBeLessThanOrEqual(sec(71)); // silenced here: ended there
    expect(g.tickAt(500).notifications).toHaveLength(0);
  });
});
