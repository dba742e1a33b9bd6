import type { INestApplication } from '@nestjs/common';
import { fixtures, Streams } from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { ApiKeyRepository, openDataSource } from '@vgpu-twin/persistence';
import { streamSpecs } from '@vgpu-twin/service-kit';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerKeysCommands } from '../../../cli/src/commands/keys';
import { runCliAsync } from '../../../cli/src/testing/run-cli';
import { databaseUrl, describeIf } from '../../../../test/support/components';
import { bootIngest, eventsIn } from '../testing/ingest-harness';

const host = (hostId: string, clusterId: string, id: string) => ({
  ...fixtures['host.registered'],
  id,
  data: { ...fixtures['host.registered'].data, hostId, clusterId },
});
const gpu = (gpuId: string, hostId: string, id: string) => ({
  ...fixtures['gpu.registered'],
  id,
  data: { ...fixtures['gpu.registered'].data, gpuId, hostId },
});
const sample = (gpuId: string, id: string) => ({
  ...fixtures['telemetry.vm_sample'],
  id,
  data: { ...fixtures['telemetry.vm_sample'].data, gpuId },
});

describe('per-cluster API keys (keys.sqlite, a real SQLite file)', () => {
  let dir: string;
  let log: EmbeddedEventLog;
  let app: INestApplication | null = null;
  const saved = process.env['VGPU_TWIN_DATA_DIR'];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-keys-'));
    process.env['VGPU_TWIN_DATA_DIR'] = dir;
    log = new EmbeddedEventLog({ file: join(dir, 'log.sqlite') });
    await log.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await log.close().catch(() => undefined);
    if (saved === undefined) delete process.env['VGPU_TWIN_DATA_DIR'];
    else process.env['VGPU_TWIN_DATA_DIR'] = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  const create = async (cluster: string) => {
    const r = await runCliAsync(registerKeysCommands, [
      'keys',
      'create',
      '--cluster',
      cluster,
      '--name',
      `agents of ${cluster}`,
    ]);
    expect(r.exitCode).toBe(0);
    return r.json as { id: string; key: string; cluster: string };
  };
  const post = (base: string, path: string, body: unknown, key?: string) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    });

  it('keys create prints a key once and stores only its scrypt hash; list never shows it; revoke marks it', async () => {
    const a = await create('cluster-a');
    expect(a.key).toMatch(/^vgt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const secret = a.key.split('_').slice(2).join('_');
    expect(readFileSync(join(dir, 'keys.sqlite')).includes(Buffer.from(secret))).toBe(false);
    const list = await runCliAsync(registerKeysCommands, ['keys', 'list']);
    expect(list.out).not.toContain(secret);
    expect(JSON.parse(list.out.trim())).toMatchObject({
      id: a.id,
      cluster: 'cluster-a',
      name: 'agents of cluster-a',
      revokedAt: null,
    });
    const revoked = await runCliAsync(registerKeysCommands, ['keys', 'revoke', a.id]);
    expect(revoked.exitCode).toBe(0);
    expect((revoked.json as { revokedAt: string | null }).revokedAt).not.toBeNull();
    const missing = await runCliAsync(registerKeysCommands, ['keys', 'revoke', 'ffffffffffff']);
    expect(missing.exitCode).toBe(1);
    expect(missing.err).toMatch(/no key with id 'ffffffffffff'/);
    const bad = await runCliAsync(registerKeysCommands, ['keys', 'create']);
    expect(bad.exitCode).toBe(2);
    expect(bad.err).toMatch(/--cluster/);
  });

  it("a cluster's key writes only its cluster: another cluster's host or GPU is refused with 403 by index, the rest stored", async () => {
    const a = await create('cluster-a');
    await create('cluster-b');
    let base: string;
    ({ app, base } = await bootIngest(log, { INGEST_API_KEYS: 'ops-key' }, 0, { dataDir: dir }));

    // keys are now required
    expect((await post(base, '/v1/inventory', [host('h-a', 'cluster-a', 'e0')])).status).toBe(401);
    expect(
      (
        await post(
          base,
          '/v1/inventory',
          [host('h-a', 'cluster-a', 'e0')],
          'vgt_000000000000_' + 'x'.repeat(43),
        )
      ).status,
    ).toBe(401);
    // an environment key writes every cluster: cluster-b's host and GPU
    expect(
      (
        await post(
          base,
          '/v1/inventory',
          [host('h-b', 'cluster-b', 'e1'), gpu('g-b', 'h-b', 'e2')],
          'ops-key',
        )
      ).status,
    ).toBe(202);

    const res = await post(
      base,
      '/v1/inventory',
      [
        host('h-a', 'cluster-a', 'a0'), // its own cluster
        gpu('g-a', 'h-a', 'a1'), // on the host registered just before, in this batch
        host('h-x', 'cluster-b', 'a2'), // another cluster's host
        gpu('g-x', 'h-b', 'a3'), // a GPU on cluster-b's host
      ],
      a.key,
    );
    expect(res.status).toBe(403);
    const body = (await res.json()) as {
      accepted: number;
      rejected: { index: number; issues: { message: string }[] }[];
    };
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => r.index)).toEqual([2, 3]);
    expect(body.rejected[0]!.issues[0]!.message).toMatch(
      /host h-x belongs to cluster cluster-b; this key \([0-9a-f]{12}\) writes cluster-a/,
    );

    const telemetry = await post(base, '/v1/telemetry', [sample('g-a', 't0'), sample('g-b', 't1')], a.key);
    expect(telemetry.status).toBe(403);
    expect(
      ((await telemetry.json()) as { rejected: { index: number }[] }).rejected.map((r) => r.index),
    ).toEqual([1]);

    const stored = await eventsIn(log, Streams.inventory);
    expect(stored.map((e) => e.id)).toEqual(['e1', 'e2', 'a0', 'a1']);
    expect((await eventsIn(log, Streams.telemetry)).map((e) => e.id)).toEqual(['t0']);
  });

  it("stored keys alone turn keys on; the process's internal key (the all-in-one's simulator) gets in without turning anything on", async () => {
    let base: string;
    ({ app, base } = await bootIngest(log, {}, 0, { dataDir: dir, internalKeys: ['vgt_internal_sim'] }));
    expect((await post(base, '/v1/inventory', [host('h-a', 'cluster-a', 'i0')])).status).toBe(202); // no keys at all: open
    await app.close();
    app = null;
    log = new EmbeddedEventLog({ file: join(dir, 'log.sqlite') });
    const a = await create('cluster-a');
    ({ app, base } = await bootIngest(log, {}, 0, { dataDir: dir, internalKeys: ['vgt_internal_sim'] }));
    expect((await post(base, '/v1/inventory', [host('h-a', 'cluster-a', 'i1')])).status).toBe(401);
    expect(
      (await post(base, '/v1/inventory', [host('h-a', 'cluster-a', 'i2')], 'vgt_internal_sim')).status,
    ).toBe(202);
    expect((await post(base, '/v1/inventory', [host('h-a', 'cluster-a', 'i3')], a.key)).status).toBe(202);
  });
});

describe('the rate limit per key', () => {
  let dir: string;
  let log: EmbeddedEventLog;
  let app: INestApplication | null = null;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-rate-'));
    log = new EmbeddedEventLog({ file: join(dir, 'log.sqlite') });
    await log.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After past INGEST_RATE_LIMIT_PER_S, each key counted apart', async () => {
    let base: string;
    ({ app, base } = await bootIngest(log, { INGEST_API_KEYS: 'k1,k2', INGEST_RATE_LIMIT_PER_S: '3' }));
    const send = (key: string, i: number) =>
      fetch(`${base}/v1/inventory`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify([host(`h-${key}-${i}`, 'c', `${key}-${i}`)]),
      });
    const first = await Promise.all([0, 1, 2].map((i) => send('k1', i)));
    expect(first.map((r) => r.status)).toEqual([202, 202, 202]); // 3 a second
    const fourth = await send('k1', 3);
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await fourth.json()) as { error: string }).error).toMatch(/at most 3 requests a second per key/);
    expect((await send('k2', 0)).status).toBe(202); // another key: its own count
    expect((await eventsIn(log, Streams.inventory)).length).toBe(4); // the refused one was not stored
  });
});

describe('an address presenting wrong keys', () => {
  it('gets 401 for 20 wrong keys in 10 s, then 429 before any key is checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vgpu-authfail-'));
    const log = new EmbeddedEventLog({ file: join(dir, 'log.sqlite') });
    await log.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
    const { app, base } = await bootIngest(log, { INGEST_API_KEYS: 'right' });
    try {
      const attempt = (key: string) =>
        fetch(`${base}/v1/inventory`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify([host('h', 'c', `x-${key}`)]),
        });
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++) statuses.push((await attempt(`wrong-${i}`)).status);
      expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401)); // 20 failures allowed in 10 s
      expect(statuses[20]).toBe(429);
      expect((await attempt('right')).status).toBe(429); // the address waits, whatever it sends now
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const pg = databaseUrl();
describeIf(pg)('API keys in PostgreSQL', () => {
  it('creates, verifies and revokes through the same repository (migrations run)', async () => {
    const repo = new ApiKeyRepository(await openDataSource({ type: 'postgres', url: pg! }));
    try {
      const { key, info } = await repo.create(`pg-${Date.now()}`, 'int test', new Date());
      expect(await repo.verify(key)).toMatchObject({ id: info.id, cluster: info.cluster });
      expect(await repo.verify(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'))).toBeNull(); // one character off
      expect(await repo.revoke(info.id, new Date())).toBe(true);
      expect(await repo.verify(key)).toBeNull();
    } finally {
      await repo.close();
    }
  });
});
