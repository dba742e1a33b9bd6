import type { INestApplication } from '@nestjs/common';
import type { AlertView, SilenceView } from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { embeddedLogFile, streamSpecs } from '@vgpu-twin/service-kit';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../apps/ingest/src/testing/ingest-harness';
import {
  api,
  append,
  bootNotifier,
  inventory,
  raised,
  resolved,
  until,
} from '../apps/notifier/src/testing/notifier-harness';
import { startAlertmanager, waitReady, type RunningAlertmanager } from './support/alertmanager';

/**
 * The notifier with NOTIFIER_ALERTMANAGER_URL set, against a real Alertmanager (Debian's
 * prometheus-alertmanager 0.25): what we decide here is what Alertmanager lists there. The
 * twin's alerts go straight into the notifier's embedded log, as the twin would write them.
 */
jest.setTimeout(60_000);

/** Alertmanager's OpenAPI `gettableAlert`, the fields we check. */
interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  generatorURL: string;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}
interface ReceiverStatus {
  name: string;
  kind: string;
  url: string;
  queued: number;
  delivered: number;
  deadLettered: number;
  pending: number;
  lastDeliveredAt: string | null;
  lastError: string | null;
}

const RESEND_MS = 2000; // a firing alert's endsAt in Alertmanager is 4 × this ahead: 8 s
/**
 * An end we sent, not a timeout: the last firing send was at most one re-send (2 s) before the
 * change, so without an end Alertmanager would list the alert for 8 − 2 = 6 s more.
 */
const ENDED_WITHIN_MS = 3000;
const ALL = '?active=true&silenced=true&inhibited=true&unprocessed=true';

describe('notifier → a real Alertmanager (v2 API)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-notifier-am-'));
  let am: RunningAlertmanager | null = null;
  let writer: EmbeddedEventLog;
  let app: INestApplication | null = null;
  let url: string;

  const ours = async (id: string) =>
    (await api<{ alert: AlertView }>(url, `/v1/alerts/${encodeURIComponent(id)}`)).body.alert;
  const listed = async (): Promise<GettableAlert[]> => {
    const res = await fetch(`${am!.url}/api/v2/alerts${ALL}`);
    expect(res.status).toBe(200);
    return (await res.json()) as GettableAlert[];
  };
  const inAlertmanager = async (fingerprint: string) =>
    (await listed()).find((a) => a.fingerprint === fingerprint);
  /** Our alert once the history has it in `state`. */
  const once = (id: string, state: AlertView['state']) =>
    until(`${id} ${state} here`, async () => {
      const r = await api<{ alert: AlertView }>(url, `/v1/alerts/${encodeURIComponent(id)}`);
      return r.status === 200 && r.body.alert.state === state ? r.body.alert : null;
    });

  beforeAll(async () => {
    mkdirSync(join(dir, 'am'));
    mkdirSync(join(dir, 'notifier'));
    am = startAlertmanager(join(dir, 'am'), await freePort());
    await waitReady(am.url, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${am?.log()}`);
    });
    writer = new EmbeddedEventLog({ file: embeddedLogFile({ VGPU_TWIN_DATA_DIR: join(dir, 'notifier') }) });
    await writer.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
    await append(writer, inventory());
    ({ app, url } = await bootNotifier(join(dir, 'notifier'), {
      NOTIFIER_ALERTMANAGER_URL: am.url,
      NOTIFIER_ALERTMANAGER_RESEND_MS: String(RESEND_MS),
      NOTIFIER_TICK_MS: '100',
      NOTIFIER_GROUP_WAIT_MS: '0',
      NOTIFIER_EXTERNAL_URL: 'http://notifier.test:8082',
    }));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await writer?.close();
    await am?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('sends a raised interference alert: Alertmanager lists it with our labels and fingerprint, and re-sends keep it alive', async () => {
    await append(writer, [
      raised('interference:vm-1:am', 'interference', 'vm-1', 10),
      raised('framebuffer:vm-4:am', 'framebuffer', 'vm-4', 11, null),
    ]);
    const view = await once('interference:vm-1:am', 'firing');
    const there = await until('the alert in Alertmanager', () => inAlertmanager(view.fingerprint));
    // the one fingerprint: Alertmanager's FNV-1a over the labels we sent is the one we show
    expect(there.fingerprint).toBe(view.fingerprint);
    expect(there.labels).toEqual(view.labels);
    expect(there.labels).toMatchObject({
      alertname: 'VgpuInterference',
      cluster: 'cluster-a',
      gpu: 'gpu-1',
      vm: 'vm-1',
      kind: 'interference',
      severity: 'warning', // the fixture's
    });
    expect(there.status).toEqual({ state: 'active', silencedBy: [], inhibitedBy: [] });
    expect(there.startsAt).toBe(view.startsAt); // the twin's raise time, 2026-03-01T00:00:10Z
    expect(there.annotations).toMatchObject({
      summary: view.message,
      incident: view.incidentId,
      aggressor_vm: 'vm-3',
    });
    expect(there.generatorURL).toBe('http://notifier.test:8082/?alert=interference%3Avm-1%3Aam');
    // firing: it ends 4 × 2 s after each send, so a re-send moves its end forward
    expect(Date.parse(there.endsAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(there.endsAt)).toBeLessThanOrEqual(Date.now() + 4 * RESEND_MS);
    const later = await until(
      'a re-send',
      async () => {
        const a = await inAlertmanager(view.fingerprint);
        return a && Date.parse(a.endsAt) > Date.parse(there.endsAt) ? a : null;
      },
      10_000,
    );
    expect(later.startsAt).toBe(there.startsAt); // the same alert, extended
    const framebuffer = await once('framebuffer:vm-4:am', 'firing');
    expect(await inAlertmanager(framebuffer.fingerprint)).toMatchObject({
      labels: { alertname: 'VgpuFramebuffer', vm: 'vm-4', gpu: 'gpu-2' },
    });
  });

  it('ends it when the twin resolves it: Alertmanager no longer lists it, and still lists the other', async () => {
    const view = await ours('interference:vm-1:am');
    const framebuffer = await ours('framebuffer:vm-4:am');
    await append(writer, [resolved('interference:vm-1:am', 'interference', 'vm-1', 40)]);
    const closed = await once('interference:vm-1:am', 'resolved');
    expect(closed.endsAt).toBe('2026-03-01T00:00:40.000Z');
    // Alertmanager 0.25 drops alerts whose endsAt has passed from GET /api/v2/alerts, whatever the filters
    await until(
      'the alert gone from Alertmanager',
      async () => !(await inAlertmanager(view.fingerprint)),
      ENDED_WITHIN_MS,
    );
    // …and it stays gone: no later re-send brings it back (two re-send periods)
    await new Promise((r) => setTimeout(r, 2 * RESEND_MS));
    expect(await inAlertmanager(view.fingerprint)).toBeUndefined();
    expect(await inAlertmanager(framebuffer.fingerprint)).toMatchObject({ status: { state: 'active' } });
  });

  it('ends an alert in Alertmanager when a silence created through our API mutes it here, and sends it again when the silence expires', async () => {
    const framebuffer = await ours('framebuffer:vm-4:am');
    expect(await inAlertmanager(framebuffer.fingerprint)).toBeDefined();
    const created = await api<{ silence: SilenceView }>(url, '/v1/silences', {
      method: 'POST',
      body: {
        matchers: ['vm=vm-4', 'kind=framebuffer'],
        duration: '1h',
        createdBy: 'alice',
        comment: 'swap',
      },
    });
    expect(created.status).toBe(201);
    const silenceId = created.body.silence.silenceId;
    const silenced = await once('framebuffer:vm-4:am', 'silenced');
    expect(silenced.silencedBy).toEqual([silenceId]);
    // silenced here: sent with endsAt = now, so Alertmanager drops it (it knows nothing of our silence)
    await until(
      'the silenced alert gone from Alertmanager',
      async () => !(await inAlertmanager(framebuffer.fingerprint)),
      ENDED_WITHIN_MS,
    );
    await new Promise((r) => setTimeout(r, 2 * RESEND_MS)); // no re-send while silenced
    expect(await inAlertmanager(framebuffer.fingerprint)).toBeUndefined();

    const expired = await api<{ silence: SilenceView }>(url, `/v1/silences/${silenceId}?by=alice`, {
      method: 'DELETE',
    });
    expect(expired.body.silence.state).toBe('expired');
    await once('framebuffer:vm-4:am', 'firing');
    const back = await until('the alert back in Alertmanager', () => inAlertmanager(framebuffer.fingerprint));
    expect(back).toMatchObject({ startsAt: framebuffer.startsAt, status: { state: 'active' } });
  });

  it('shows the alertmanager receiver in GET /v1/receivers with deliveries and no errors', async () => {
    const r = await until('every queued notification delivered', async () => {
      const body = (await api<{ receivers: ReceiverStatus[] }>(url, '/v1/receivers')).body;
      const one = body.receivers.find((x) => x.name === 'alertmanager');
      return one && one.pending === 0 ? body.receivers : null;
    });
    expect(r).toHaveLength(1); // no webhooks configured
    const [receiver] = r;
    expect(receiver).toMatchObject({
      name: 'alertmanager',
      kind: 'alertmanager',
      url: `${am!.url}/api/v2/alerts`,
      deadLettered: 0,
      lastError: null,
    });
    // at least: the first send, a re-send, the resolve, the silence's end, the return
    expect(receiver!.delivered).toBeGreaterThanOrEqual(5);
    expect(receiver!.delivered).toBe(receiver!.queued);
    expect(receiver!.lastDeliveredAt).not.toBeNull();
  });
});
