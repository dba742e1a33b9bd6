import type { INestApplication } from '@nestjs/common';
import type { AlertView, IncidentView, SilenceView } from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { embeddedLogFile, streamSpecs } from '@vgpu-twin/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, append, bootNotifier, inventory, raised, resolved, until } from '../testing/notifier-harness';

/**
 * The alert lifecycle through the notifier's HTTP API, on an embedded log and a SQLite history
 * file in a temp dir: the twin's alerts are appended straight into the log, as the twin would.
 */
jest.setTimeout(30_000);

describe('alert lifecycle over HTTP (embedded log, SQLite history)', () => {
  let dir: string;
  let writer: EmbeddedEventLog;
  let app: INestApplication | null = null;
  let url: string;
  const env = { NOTIFIER_TICK_MS: '50' };

  const boot = async (extra: Record<string, string> = {}) => {
    ({ app, url } = await bootNotifier(dir, { ...env, ...extra }));
  };
  const alert = async (id: string) =>
    (
      await api<{ alert: AlertView; transitions: { type: string; to: string; actor: string | null }[] }>(
        url,
        `/v1/alerts/${encodeURIComponent(id)}`,
      )
    ).body;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-lifecycle-'));
    writer = new EmbeddedEventLog({ file: embeddedLogFile({ VGPU_TWIN_DATA_DIR: dir }) });
    await writer.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
    await append(writer, inventory());
    await boot();
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the twin’s alerts with labels, incident and inhibition, and pages through history', async () => {
    await append(writer, [
      raised('drift:vm-1:a', 'drift', 'vm-1', 10, null),
      raised('interference:vm-1:a', 'interference', 'vm-1', 20),
      raised('interference:vm-2:a', 'interference', 'vm-2', 21),
    ]);
    const page = await until('three alerts in history', async () => {
      const r = await api<{ alerts: AlertView[]; nextCursor: string | null }>(url, '/v1/alerts?limit=2');
      return r.body.alerts.length === 2 && r.body.nextCursor ? r.body : null;
    });
    expect(page.alerts.map((a) => a.alertId)).toEqual(['interference:vm-2:a', 'interference:vm-1:a']); // newest first
    const rest = await api<{ alerts: AlertView[]; nextCursor: string | null }>(
      url,
      `/v1/alerts?limit=2&cursor=${page.nextCursor}`,
    );
    expect(rest.body.alerts.map((a) => a.alertId)).toEqual(['drift:vm-1:a']);
    expect(rest.body.nextCursor).toBeNull();
    const drift = await until('drift inhibited', async () => {
      const a = (await alert('drift:vm-1:a')).alert;
      return a.state === 'inhibited' ? a : null;
    });
    expect(drift).toMatchObject({
      inhibitedBy: 'interference:vm-1:a',
      labels: { workload: 'resnet50-train', cluster: 'cluster-a' },
    });
    // the two victims of vm-3 on gpu-1, and the drift on gpu-1: one incident
    const incidents = await api<{ incidents: IncidentView[] }>(url, '/v1/incidents?status=open');
    expect(incidents.body.incidents).toHaveLength(1);
    expect(incidents.body.incidents[0]).toMatchObject({
      title: 'vm-3 slows vm-1, vm-2 on gpu-1',
      gpuId: 'gpu-1',
    });
    const filtered = await api<{ alerts: AlertView[] }>(url, '/v1/alerts?state=inhibited&kind=drift');
    expect(filtered.body.alerts.map((a) => a.alertId)).toEqual(['drift:vm-1:a']);
    const bad = await api<{ error: string }>(url, '/v1/alerts?state=burning');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/state/);
  });

  it('acknowledges an alert (who and why), answers 404 for an unknown one and 409 for a resolved one', async () => {
    const acked = await api<{ alert: AlertView }>(url, '/v1/alerts/interference:vm-2:a/ack', {
      method: 'POST',
      body: { by: 'alice', note: 'moving vm-3' },
    });
    expect(acked.status).toBe(200);
    expect(acked.body.alert).toMatchObject({
      state: 'acknowledged',
      acknowledged: { by: 'alice', note: 'moving vm-3' },
    });
    expect((await api(url, '/v1/alerts/nope/ack', { method: 'POST', body: { by: 'alice' } })).status).toBe(
      404,
    );
    await append(writer, [resolved('interference:vm-1:a', 'interference', 'vm-1', 30)]);
    await until('resolved', async () => (await alert('interference:vm-1:a')).alert.state === 'resolved');
    expect(
      (await api(url, '/v1/alerts/interference:vm-1:a/ack', { method: 'POST', body: { by: 'alice' } }))
        .status,
    ).toBe(409);
    // its inhibition ends with it
    expect((await alert('drift:vm-1:a')).alert.state).toBe('firing');
    const history = await alert('interference:vm-2:a');
    expect(history.transitions.map((t) => `${t.type}:${t.to}`)).toEqual([
      'alert.opened:firing',
      'alert.acknowledged:acknowledged',
    ]);
    expect(history.transitions[1]!.actor).toBe('alice');
  });

  it('silences by matchers, lists the silence, and expires it (it stays in history)', async () => {
    const created = await api<{ silence: SilenceView }>(url, '/v1/silences', {
      method: 'POST',
      body: {
        matchers: ['vm=vm-1', 'kind=~"drift|predicted_interference"'],
        duration: '1h',
        createdBy: 'bob',
        comment: 'driver upgrade',
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.silence.silenceId;
    expect(created.body.silence).toMatchObject({ state: 'active', createdBy: 'bob' });
    await until('drift silenced', async () => (await alert('drift:vm-1:a')).alert.state === 'silenced');
    const active = await api<{ silences: SilenceView[] }>(url, '/v1/silences?state=active');
    expect(active.body.silences.map((s) => s.silenceId)).toEqual([id]);
    const expired = await api<{ silence: SilenceView }>(url, `/v1/silences/${id}?by=bob`, {
      method: 'DELETE',
    });
    expect(expired.body.silence).toMatchObject({ state: 'expired', expiredBy: 'bob' });
    await until('drift firing again', async () => (await alert('drift:vm-1:a')).alert.state === 'firing');
    await until('expired in history', async () => {
      const r = await api<{ silences: SilenceView[] }>(url, '/v1/silences?state=expired');
      return r.body.silences.some((s) => s.silenceId === id);
    });
    const refused = await api<{ error: string }>(url, '/v1/silences', {
      method: 'POST',
      body: { matchers: ['vm=~".*"'], createdBy: 'bob' },
    });
    expect(refused.status).toBe(400); // it would silence everything
  });

  it('keeps acknowledgements and silences across a restart', async () => {
    await app!.close();
    // closing the app closes its log handle; the writer's stays open
    await boot();
    const a = await until('history after restart', async () => {
      const r = await api<{ alert: AlertView }>(url, '/v1/alerts/interference:vm-2:a');
      return r.status === 200 ? r.body.alert : null;
    });
    expect(a).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'alice' } });
    // the open alert is open in the rebuilt book too: a second ack is answered with it, unchanged
    const again = await api<{ alert: AlertView }>(url, '/v1/alerts/interference:vm-2:a/ack', {
      method: 'POST',
      body: { by: 'carol' },
    });
    expect(again.body.alert.acknowledged!.by).toBe('alice');
  });
});
