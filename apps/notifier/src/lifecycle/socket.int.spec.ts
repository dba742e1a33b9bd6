import type { INestApplication } from '@nestjs/common';
import type { AlertView } from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { embeddedLogFile, streamSpecs } from '@vgpu-twin/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import {
  api,
  append,
  bootNotifier,
  connect,
  inventory,
  raised,
  resolved,
  until,
  type Client,
} from '../testing/notifier-harness';

jest.setTimeout(60_000);

const TOKEN_A = 'token-for-cluster-a';
const TOKEN_B = 'token-for-cluster-b';
const ADMIN = 'token-for-every-cluster';

/** socket.io snapshot, positions, resume after a long gap and recovery after a short one; tokens per cluster. */
describe('socket.io and tokens', () => {
  let dir: string;
  let writer: EmbeddedEventLog;
  let app: INestApplication;
  let url: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-socket-'));
    writer = new EmbeddedEventLog({ file: embeddedLogFile({ VGPU_TWIN_DATA_DIR: dir }) });
    await writer.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
    await append(writer, inventory());
    ({ app, url } = await bootNotifier(dir, {
      NOTIFIER_TICK_MS: '50',
      NOTIFIER_TOKENS: `cluster-a=${TOKEN_A},cluster-b=${TOKEN_B}`,
      NOTIFIER_TOKEN: ADMIN,
      NOTIFIER_RECOVERY_MS: '60000',
      // a small resume buffer: the 5-minute gap below is read back from the log, not from memory
      NOTIFIER_RESUME_BUFFER: '5',
    }));
    await append(writer, [
      raised('interference:vm-1:s', 'interference', 'vm-1', 10),
      raised('interference:vm-9:s', 'interference', 'vm-9', 10, null),
    ]);
    await until('both alerts open', async () => {
      const r = await api<{ alerts: AlertView[] }>(url, '/v1/alerts?state=firing', { token: ADMIN });
      return r.body.alerts.length === 2;
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await app.close();
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const client = async (token: string) => {
    const c = await connect(url, token);
    clients.push(c);
    return c;
  };

  it('asks every read endpoint for a token: 401 without, 403 for another cluster, lists filtered to its clusters', async () => {
    for (const path of [
      '/v1/dashboard/state',
      '/v1/alerts',
      '/v1/silences',
      '/v1/incidents',
      '/v1/receivers',
    ])
      expect({ path, status: (await api(url, path)).status }).toEqual({ path, status: 401 });
    expect((await api(url, '/v1/alerts', { token: 'wrong-token-value' })).status).toBe(401);
    expect((await api(url, '/v1/alerts?cluster=cluster-b', { token: TOKEN_A })).status).toBe(403);
    expect((await api(url, '/v1/alerts/interference:vm-9:s', { token: TOKEN_A })).status).toBe(403);
    const mine = await api<{ alerts: AlertView[] }>(url, '/v1/alerts', { token: TOKEN_A });
    expect(mine.body.alerts.map((a) => a.labels.cluster)).toEqual(['cluster-a']);
    const state = await api<{ clusters: string[]; gpus: { clusterId: string }[] }>(
      url,
      '/v1/dashboard/state',
      { token: TOKEN_B },
    );
    expect(state.body.clusters).toEqual(['cluster-b']);
    expect(new Set(state.body.gpus.map((g) => g.clusterId))).toEqual(new Set(['cluster-b']));
    // a cluster token silences within its cluster only
    const wide = await api(url, '/v1/silences', {
      method: 'POST',
      token: TOKEN_A,
      body: { matchers: ['vm=vm-1'], createdBy: 'a' },
    });
    expect(wide.status).toBe(400);
    const other = await api(url, '/v1/silences', {
      method: 'POST',
      token: TOKEN_A,
      body: { matchers: ['cluster=cluster-b', 'vm=vm-9'], createdBy: 'a' },
    });
    expect(other.status).toBe(403);
  });

  it('refuses a socket without a token, and rooms of another cluster', async () => {
    const anonymous = io(url, { transports: ['websocket'], reconnection: false });
    const refused = await new Promise<string>((resolve) =>
      anonymous.once('connect_error', (e) => resolve(e.message)),
    );
    anonymous.close();
    expect(refused).toMatch(/unauthorized/);
    const a = await client(TOKEN_A);
    expect(await a.subscribe(['cluster:cluster-b'])).toMatchObject({
      error: expect.stringMatching(/forbidden/),
    });
    expect(await a.subscribe(['vm:vm-9'])).toMatchObject({ error: expect.stringMatching(/forbidden/) }); // vm-9 is cluster-b's
  });

  it('sends the open alerts and incidents of the rooms first, then live lifecycle events with positions', async () => {
    const a = await client(TOKEN_A);
    const ack = (await a.subscribe(['cluster:cluster-a'])) as { positions: { lifecycle: number } };
    const snapshot = a.snapshots[0] as {
      alerts: AlertView[];
      incidents: unknown[];
      positions: { lifecycle: number };
    };
    expect(snapshot.alerts.map((x) => x.alertId)).toEqual(['interference:vm-1:s']); // not cluster-b's
    expect(snapshot.incidents).toHaveLength(1);
    expect(ack.positions.lifecycle).toBe(snapshot.positions.lifecycle);
    await append(writer, [raised('drift:vm-2:s', 'drift', 'vm-2', 20, null)]);
    const live = await until('the drift alert live', async () =>
      a.received.find((r) => r.event.type === 'alert.opened'),
    );
    expect(live.position!.stream).toBe('vgpu.alert-lifecycle');
    expect(live.position!.offset).toBeGreaterThan(snapshot.positions.lifecycle);
  });

  it('a client away for 5 minutes of event time resumes from its positions with exactly what a client that stayed saw', async () => {
    const stayed = await client(ADMIN);
    const away = await client(ADMIN);
    await stayed.subscribe(['cluster:cluster-a']);
    await away.subscribe(['cluster:cluster-a']);
    await append(writer, [raised('interference:vm-4:g', 'interference', 'vm-4', 100, 'vm-9')]);
    await until(
      'both see it',
      async () => away.received.length > 0 && stayed.received.length === away.received.length,
    );
    const last = (stream: string) =>
      Math.max(
        -1,
        ...away.received.filter((r) => r.position?.stream === stream).map((r) => r.position!.offset),
      );
    const resume = { alerts: last('vgpu.alerts'), lifecycle: last('vgpu.alert-lifecycle') };
    const before = away.received.map((r) => r.event.id);
    away.close();
    // five minutes of event time: alerts raised and resolved every 30 s from +120 s to +420 s
    const gap = [];
    for (let s = 120; s <= 420; s += 60) {
      gap.push(raised(`drift:vm-3:g${s}`, 'drift', 'vm-3', s, null));
      gap.push(resolved(`drift:vm-3:g${s}`, 'drift', 'vm-3', s + 30));
    }
    await append(writer, gap);
    await until(
      'the stayed client sees the gap',
      async () =>
        stayed.received.filter((r) => r.event.type === 'alert.closed' && r.event.id.includes('g420')).length >
          0 ||
        stayed.received.some(
          (r) =>
            r.event.type === 'alert.resolved' &&
            (r.event.data as { alertId: string }).alertId === 'drift:vm-3:g420',
        ),
    );
    await until('the lifecycle settles', async () => {
      const r = await api<{ alerts: AlertView[] }>(
        url,
        '/v1/alerts?vm=vm-3&kind=drift&state=resolved&limit=1000',
        { token: ADMIN },
      );
      return r.body.alerts.length === 6;
    });
    const back = await client(ADMIN);
    const ack = await back.subscribe(['cluster:cluster-a'], resume);
    expect(ack).toMatchObject({ rooms: ['cluster:cluster-a'] });
    expect(back.snapshots).toHaveLength(0); // resumed: the missed events instead of a snapshot
    await until(
      'the same events',
      async () => before.length + back.received.length >= stayed.received.length,
    );
    const ids = [...before, ...back.received.map((r) => r.event.id)];
    expect(new Set(ids).size).toBe(ids.length); // none twice
    expect(ids.sort()).toEqual(stayed.received.map((r) => r.event.id).sort());
    // in order, per stream
    for (const stream of ['vgpu.alerts', 'vgpu.alert-lifecycle']) {
      const offsets = back.received
        .filter((r) => r.position?.stream === stream)
        .map((r) => r.position!.offset);
      expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    }
  });

  it('recovers a short gap through socket.io connection-state recovery (rooms and missed events restored)', async () => {
    const socket = io(url, { transports: ['websocket'], auth: { token: ADMIN }, reconnectionDelay: 100 });
    const got: string[] = [];
    socket.on('lifecycle', (e: { id: string }) => got.push(e.id));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    await socket.emitWithAck('subscribe', { rooms: ['gpu:gpu-2'] });
    // recovery needs the client to have received a packet with an offset: one live event first
    await append(writer, [raised('drift:vm-4:r1', 'drift', 'vm-4', 500, null)]);
    await until('a first event', async () => got.length > 0);
    const n = got.length;
    socket.io.engine.close(); // the transport drops; the client reconnects by itself
    await append(writer, [resolved('drift:vm-4:r1', 'drift', 'vm-4', 510)]);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    expect(socket.recovered).toBe(true);
    await until('the missed event', async () => got.length > n);
    expect(new Set(got).size).toBe(got.length);
    socket.close();
  });
});
