import type { INestApplication } from '@nestjs/common';
import { Streams } from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { embeddedLogFile, streamSpecs } from '@vgpu-twin/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignature } from '../delivery/http-delivery';
import { api, append, bootNotifier, inventory, raised, resolved, until } from '../testing/notifier-harness';

jest.setTimeout(60_000);

interface Received {
  readonly at: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly raw: string;
  readonly body: {
    version: string;
    status: string;
    receiver: string;
    groupKey: string;
    alerts: { status: string; labels: Record<string, string>; fingerprint: string; endsAt: string }[];
    commonLabels: Record<string, string>;
    externalURL: string;
  };
}

/** A webhook receiver on a free port: records what it gets, answers `status()` (200 unless told). */
async function receiver(
  status: () => number = () => 200,
): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const code = status();
      if (code < 300)
        got.push({ at: Date.now(), headers: req.headers, raw, body: JSON.parse(raw) as Received['body'] });
      res.writeHead(code).end(code < 300 ? 'ok' : 'down');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, server };
}

const SECRET = 'a-webhook-secret-of-32-characters';

describe('webhooks: Alertmanager payload v4, signatures, timing, retries, dead letters, durability', () => {
  let dir: string;
  let writer: EmbeddedEventLog;
  let app: INestApplication | null = null;
  let url: string;
  let servers: Server[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-webhooks-'));
    writer = new EmbeddedEventLog({ file: embeddedLogFile({ VGPU_TWIN_DATA_DIR: dir }) });
    await writer.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
    await append(writer, inventory());
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    for (const s of servers) s.close();
    servers = [];
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends one signed notification per incident after group_wait, its change after group_interval, and its end', async () => {
    const hook = await receiver();
    servers.push(hook.server);
    ({ app, url } = await bootNotifier(dir, {
      NOTIFIER_WEBHOOK_URLS: `ops=${hook.url}`,
      NOTIFIER_WEBHOOK_SECRET: SECRET,
      NOTIFIER_GROUP_WAIT_MS: '800',
      NOTIFIER_GROUP_INTERVAL_MS: '1500',
      NOTIFIER_TICK_MS: '50',
      NOTIFIER_EXTERNAL_URL: 'http://dash.example:8080',
    }));
    const t0 = Date.now();
    // two victims of vm-3 on gpu-1 within group_wait: one incident, one notification
    await append(writer, [
      raised('interference:vm-1:w', 'interference', 'vm-1', 10),
      raised('interference:vm-2:w', 'interference', 'vm-2', 11),
    ]);
    await until('the first notification', async () => hook.got.length >= 1);
    const first = hook.got[0]!;
    expect(first.at - t0).toBeGreaterThanOrEqual(800); // group_wait
    expect(first.body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'ops',
      externalURL: 'http://dash.example:8080',
    });
    expect(first.body.alerts.map((a) => a.labels.vm)).toEqual(['vm-1', 'vm-2']);
    expect(first.body.commonLabels).toMatchObject({
      alertname: 'VgpuInterference',
      cluster: 'cluster-a',
      gpu: 'gpu-1',
      kind: 'interference',
    });
    expect(first.body.groupKey).toMatch(/incident="incident:[0-9a-f]{16}"/);
    const ts = first.headers['x-vgpu-twin-timestamp'] as string;
    const sig = first.headers['x-vgpu-twin-signature'] as string;
    expect(verifySignature(SECRET, ts, sig, first.raw, Math.floor(Date.now() / 1000))).toBe(true);
    expect(
      verifySignature('another-secret-of-32-characters!', ts, sig, first.raw, Math.floor(Date.now() / 1000)),
    ).toBe(false);

    await append(writer, [resolved('interference:vm-1:w', 'interference', 'vm-1', 20)]);
    await until('the change', async () => hook.got.length >= 2);
    // group_interval 1500 ms between the decisions; measured at the receiver, the first delivery's
    // own latency (tens of ms) counts against it
    expect(hook.got[1]!.at - first.at).toBeGreaterThanOrEqual(1300);
    expect(hook.got[1]!.body.alerts.map((a) => `${a.labels.vm}:${a.status}`)).toEqual([
      'vm-1:resolved',
      'vm-2:firing',
    ]);
    await append(writer, [resolved('interference:vm-2:w', 'interference', 'vm-2', 30)]);
    await until('the end', async () => hook.got.length >= 3);
    expect(hook.got[2]!.body.status).toBe('resolved');

    const status = await until('receiver status', async () => {
      const r = await api<{
        receivers: { name: string; queued: number; delivered: number; pending: number }[];
      }>(url, '/v1/receivers');
      return r.body.receivers[0]!.delivered === 3 ? r.body.receivers[0] : null;
    });
    expect(status).toMatchObject({ name: 'ops', queued: 3, delivered: 3, pending: 0 });
  });

  it('retries a failing receiver with backoff, then dead-letters the notification', async () => {
    let calls = 0;
    const hook = await receiver(() => (++calls, 503));
    servers.push(hook.server);
    ({ app, url } = await bootNotifier(dir, {
      NOTIFIER_WEBHOOK_URLS: hook.url,
      NOTIFIER_GROUP_WAIT_MS: '0',
      NOTIFIER_TICK_MS: '50',
      NOTIFIER_WEBHOOK_MAX_ATTEMPTS: '3',
      NOTIFIER_WEBHOOK_BACKOFF_MS: '20',
    }));
    await append(writer, [raised('interference:vm-4:d', 'interference', 'vm-4', 10)]);
    const status = await until('dead-lettered', async () => {
      const r = await api<{ receivers: { deadLettered: number; lastError: string | null; name: string }[] }>(
        url,
        '/v1/receivers',
      );
      return r.body.receivers[0]!.deadLettered === 1 ? r.body.receivers[0] : null;
    });
    expect(calls).toBe(3); // NOTIFIER_WEBHOOK_MAX_ATTEMPTS
    expect(status.name).toBe('webhook-1');
    expect(status.lastError).toMatch(/gave up after 3 attempts: .*503/);
    const [end] = await writer.endOffsets(Streams.deadLetter);
    const dead = await writer.read(Streams.deadLetter, 0, 0, end!.offset);
    expect(dead.map((r) => (JSON.parse(r.value) as { consumer: string }).consumer)).toEqual([
      'notifier:delivery',
    ]);
  });

  it('loses nothing queued across a restart: a notification that could not be sent is sent after it', async () => {
    let up = false;
    const hook = await receiver(() => (up ? 200 : 503));
    servers.push(hook.server);
    const env = {
      NOTIFIER_WEBHOOK_URLS: hook.url,
      NOTIFIER_GROUP_WAIT_MS: '0',
      NOTIFIER_TICK_MS: '50',
      NOTIFIER_WEBHOOK_MAX_ATTEMPTS: '1000',
      NOTIFIER_WEBHOOK_BACKOFF_MS: '50',
      NOTIFIER_WEBHOOK_BACKOFF_MAX_MS: '200',
    };
    ({ app, url } = await bootNotifier(dir, env));
    await append(writer, [raised('interference:vm-4:r', 'interference', 'vm-4', 10)]);
    await until('queued', async () => {
      const r = await api<{ receivers: { queued: number }[] }>(url, '/v1/receivers');
      return r.body.receivers[0]!.queued === 1;
    });
    await app.close(); // mid-retry
    up = true;
    ({ app, url } = await bootNotifier(dir, env));
    await until('delivered after the restart', async () => hook.got.length >= 1);
    expect(hook.got[0]!.body.alerts[0]!.labels.vm).toBe('vm-4');
    const status = await until('status', async () => {
      const r = await api<{ receivers: { queued: number; delivered: number; pending: number }[] }>(
        url,
        '/v1/receivers',
      );
      return r.body.receivers[0]!.delivered === 1 ? r.body.receivers[0] : null;
    });
    expect(status).toMatchObject({ queued: 1, delivered: 1, pending: 0 });
  });
});
