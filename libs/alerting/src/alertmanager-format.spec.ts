import { ValidationError } from '@vgpu-twin/contracts';
import { alertmanagerAlerts, goTime, GO_ZERO_TIME, webhookPayload } from './alertmanager-format';
import { fingerprint } from './fingerprint';
import { anAlertView } from './testing/alert-view';

const externalURL = 'http://notifier.example:8080';
const group = {
  receiver: 'ops',
  groupKey: '{}:{gpu="gpu-1"}',
  groupLabels: { gpu: 'gpu-1', cluster: 'cluster-a' },
  externalURL,
};
const vm1 = anAlertView();
const vm3 = anAlertView({
  alertId: 'interference:vm-3:fx',
  labels: { vm: 'vm-3', severity: 'critical' },
  message: 'vm-3 runs 2.50× slower than alone',
  aggressorVmId: 'vm-2',
  evidence: { ...vm1.evidence, observedSlowdown: 2.5, predictedSlowdown: null },
  startsAt: '2026-01-01T00:00:07.250Z',
});

describe('webhookPayload (Alertmanager webhook, version 4)', () => {
  it('given one firing alert, then the body is exactly what Alertmanager POSTs to a webhook', () => {
    const body = webhookPayload({ ...group, alerts: [vm1] });
    expect(body).toEqual({
      receiver: 'ops',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { ...vm1.labels },
          annotations: {
            summary: vm1.message,
            state: 'firing',
            incident: 'inc-1',
            aggressor_vm: 'vm-2',
            observed_slowdown: '1.9', // evidence.observedSlowdown 1.9 as a decimal string
            predicted_slowdown: '1.84',
          },
          startsAt: '2026-01-01T00:00:04Z', // Go drops a zero fraction: .000Z → Z
          endsAt: '0001-01-01T00:00:00Z', // types.Alerts hides the end of a firing alert: Go's zero time
          generatorURL: 'http://notifier.example:8080/?alert=interference%3Avm-1%3Afx', // ':' percent-encoded
          fingerprint: fingerprint(vm1.labels),
        },
      ],
      groupLabels: { cluster: 'cluster-a', gpu: 'gpu-1' },
      commonLabels: { ...vm1.labels }, // one alert: all of its labels are common
      commonAnnotations: {
        summary: vm1.message,
        state: 'firing',
        incident: 'inc-1',
        aggressor_vm: 'vm-2',
        observed_slowdown: '1.9',
        predicted_slowdown: '1.84',
      },
      externalURL,
      version: '4',
      groupKey: '{}:{gpu="gpu-1"}',
      truncatedAlerts: 0,
    });
  });

  it('given labels and annotations, then their keys are sorted as Go marshals a map', () => {
    const body = webhookPayload({ ...group, alerts: [vm1] });
    const alert = body.alerts[0]!;
    expect(Object.keys(alert.labels)).toEqual([
      'alertname',
      'cluster',
      'gpu',
      'host',
      'kind',
      'severity',
      'vm',
      'workload',
    ]);
    expect(Object.keys(alert.annotations)).toEqual([
      'aggressor_vm',
      'incident',
      'observed_slowdown',
      'predicted_slowdown',
      'state',
      'summary',
    ]);
    expect(Object.keys(body.groupLabels)).toEqual(['cluster', 'gpu']); // given as gpu, cluster
    expect(Object.keys(body)).toEqual([
      'receiver',
      'status',
      'alerts',
      'groupLabels',
      'commonLabels',
      'commonAnnotations',
      'externalURL',
      'version',
      'groupKey',
      'truncatedAlerts',
    ]);
  });

  it('given two alerts, then common labels and annotations are the pairs both share', () => {
    const body = webhookPayload({ ...group, alerts: [vm3, vm1] });
    // vm and severity differ (vm-1/warning vs vm-3/critical); the other six labels are the same.
    expect(body.commonLabels).toEqual({
      alertname: 'VgpuInterference',
      cluster: 'cluster-a',
      gpu: 'gpu-1',
      host: 'host-1',
      kind: 'interference',
      workload: 'resnet50-train',
    });
    // summary and observed_slowdown differ; vm-3 has no predicted_slowdown (null evidence).
    expect(body.commonAnnotations).toEqual({ aggressor_vm: 'vm-2', incident: 'inc-1', state: 'firing' });
  });

  it("given alerts out of order, then they come in Alertmanager's order: by label values in label-name order", () => {
    // Same label names; the first name where they differ is severity (alertname, cluster, gpu, host,
    // kind are equal): "critical" < "warning", so vm-3 comes first although it was given second.
    const body = webhookPayload({ ...group, alerts: [vm1, vm3] });
    expect(body.alerts.map((a) => a.labels.vm)).toEqual(['vm-3', 'vm-1']);
    expect(body.alerts[0]!.startsAt).toBe('2026-01-01T00:00:07.25Z'); // .250Z → .25Z, as Go prints it
  });

  it('given one alert resolved and one firing, then the group is firing and each alert has its own status', () => {
    const resolved = anAlertView({ state: 'resolved', endsAt: '2026-01-01T00:01:00.000Z' });
    const body = webhookPayload({ ...group, alerts: [resolved, vm3] });
    expect(body.status).toBe('firing');
    const byVm = Object.fromEntries(body.alerts.map((a) => [a.labels.vm, a]));
    expect(byVm['vm-1']).toMatchObject({ status: 'resolved', endsAt: '2026-01-01T00:01:00Z' });
    expect(byVm['vm-3']).toMatchObject({ status: 'firing', endsAt: GO_ZERO_TIME });
    expect(byVm['vm-1']!.annotations.state).toBe('resolved');
  });

  it('given only resolved alerts, then the group is resolved', () => {
    const body = webhookPayload({
      ...group,
      alerts: [anAlertView({ state: 'resolved', endsAt: '2026-01-01T00:01:00.000Z' })],
    });
    expect(body.status).toBe('resolved');
  });

  it('given an acknowledged, flapping alert without an aggressor, then the annotations say so and omit the aggressor', () => {
    const view = anAlertView({
      state: 'acknowledged',
      aggressorVmId: null,
      acknowledged: { by: 'alice', note: 'migrating vm-2', at: '2026-01-01T00:00:30.000Z' },
      flapping: true,
      evidence: { ...vm1.evidence, observedSlowdown: null, predictedSlowdown: 2 },
    });
    expect(webhookPayload({ ...group, alerts: [view] }).alerts[0]!.annotations).toEqual({
      acknowledged_by: 'alice',
      acknowledgement_note: 'migrating vm-2',
      flapping: 'true',
      incident: 'inc-1',
      predicted_slowdown: '2', // the number 2 as a decimal string
      state: 'acknowledged',
      summary: vm1.message,
    });
  });

  it('given a receiver name with regex metacharacters, then it is regexp-quoted as template.Data does', () => {
    expect(webhookPayload({ ...group, receiver: 'team.gpu+ops', alerts: [vm1] }).receiver).toBe(
      'team\\.gpu\\+ops',
    );
  });

  it('given a resolved alert without endsAt, then it throws', () => {
    expect(() => webhookPayload({ ...group, alerts: [anAlertView({ state: 'resolved' })] })).toThrow(
      ValidationError,
    );
  });
});

describe('alertmanagerAlerts (POST /api/v2/alerts)', () => {
  const opts = { externalURL, now: '2026-01-01T00:10:00.000Z', resendMs: 60_000 };

  it('given a firing alert, then it ends at now + 4 × resend, as Prometheus sends it', () => {
    expect(alertmanagerAlerts([vm1], opts)).toEqual([
      {
        labels: { ...vm1.labels },
        annotations: {
          aggressor_vm: 'vm-2',
          incident: 'inc-1',
          observed_slowdown: '1.9',
          predicted_slowdown: '1.84',
          state: 'firing',
          summary: vm1.message,
        },
        startsAt: '2026-01-01T00:00:04.000Z',
        endsAt: '2026-01-01T00:14:00.000Z', // 00:10:00 + 4 × 60 s
        generatorURL: 'http://notifier.example:8080/?alert=interference%3Avm-1%3Afx',
      },
    ]);
  });

  it('given a resolved alert, then it ends at its own endsAt (Alertmanager resolves it now)', () => {
    const resolved = anAlertView({ state: 'resolved', endsAt: '2026-01-01T00:09:30.000Z' });
    const [alert] = alertmanagerAlerts([resolved], opts);
    expect(alert!.endsAt).toBe('2026-01-01T00:09:30.000Z');
    expect(alert!.annotations.state).toBe('resolved');
  });

  it('given a resend of 15 s, then a firing alert is valid for 60 s', () => {
    const [alert] = alertmanagerAlerts([vm1], { ...opts, resendMs: 15_000 });
    expect(alert!.endsAt).toBe('2026-01-01T00:11:00.000Z'); // 4 × 15 s = 60 s after 00:10:00
  });

  it('given a bad now or resend, then it throws a ValidationError', () => {
    expect(() => alertmanagerAlerts([vm1], { ...opts, now: 'yesterday' })).toThrow(ValidationError);
    expect(() => alertmanagerAlerts([vm1], { ...opts, resendMs: 0 })).toThrow(ValidationError);
  });
});

describe('goTime (Go time.Time JSON, RFC 3339 with nanoseconds)', () => {
  it.each([
    ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00Z'],
    ['2026-01-01T00:00:00.100Z', '2026-01-01T00:00:00.1Z'],
    ['2026-01-01T00:00:00.123Z', '2026-01-01T00:00:00.123Z'],
    ['2026-01-01T00:00:00.123456789Z', '2026-01-01T00:00:00.123456789Z'],
    ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'],
  ])('given %s, then %s', (iso, go) => {
    expect(goTime(iso)).toBe(go);
  });
});
