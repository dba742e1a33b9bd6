import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { fixtures, Streams } from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import {
  DomainErrorFilter,
  EventLogModule,
  listeningPort,
  loadConfig,
  streamSpecs,
} from '@vgpu-twin/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestConfigSchema } from './config';
import { configureIngestHttp, IngestModule } from './ingest.module';

interface Reply {
  error: string;
  accepted: number;
  rejected: { index: number; id: string | null; issues: { path: string; message: string }[] }[];
}
const reply = (r: Response) => r.json() as Promise<Reply>;

describe('ingest over HTTP on a real embedded log', () => {
  let dir: string;
  let log: EmbeddedEventLog;
  let app: INestApplication;
  let base: string;

  async function boot(env: NodeJS.ProcessEnv = {}): Promise<void> {
    const config = loadConfig(IngestConfigSchema, {
      INGEST_MAX_BATCH: '100',
      INGEST_MAX_BODY_BYTES: '200000',
      ...env,
    });
    @Module({ imports: [EventLogModule.forLog(log), IngestModule.forRoot(config)] })
    class TestApp {}
    app = await NestFactory.create(TestApp, { bodyParser: false, logger: false });
    configureIngestHttp(app, config);
    app.useGlobalFilters(new DomainErrorFilter());
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${listeningPort(app)}`;
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-ingest-'));
    log = new EmbeddedEventLog({ file: join(dir, 'log.sqlite') });
    await log.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 4 }));
  });
  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const allIn = async (stream: string) => {
    const ends = await log.endOffsets(stream);
    return (await Promise.all(ends.map((e) => log.read(stream, e.partition, 0, 10_000))))
      .flat()
      .flatMap((r) => {
        // a packed record (one GPU's samples of one request) is a JSON array of events
        const v = JSON.parse(r.value) as Record<string, unknown> | Record<string, unknown>[];
        return Array.isArray(v) ? v : [v];
      });
  };

  it('accepts a valid batch with 202 only after the log has it', async () => {
    await boot();
    const res = await post(
      '/v1/inventory',
      JSON.stringify([fixtures['host.registered'], fixtures['gpu.registered']]),
    );
    expect(res.status).toBe(202);
    expect(await reply(res)).toEqual({ accepted: 2, rejected: [] });
    expect((await allIn(Streams.inventory)).map((e) => e.id)).toEqual(['fx-host', 'fx-gpu']);
  });

  it('stamps id, source and version when a producer leaves them out', async () => {
    await boot();
    const { id: _i, source: _s, version: _v, ...bare } = fixtures['telemetry.vm_sample'];
    const res = await post('/v1/telemetry', JSON.stringify({ events: [bare] }));
    expect(res.status).toBe(202);
    const [stored] = await allIn(Streams.telemetry);
    expect(stored!).toMatchObject({ source: 'ingest:telemetry', version: 1, type: 'telemetry.vm_sample' });
    expect(stored!.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects bad records by index and field with a 400, and stores the valid ones of the batch', async () => {
    await boot();
    const sample = fixtures['telemetry.vm_sample'];
    const batch = [
      { ...sample, id: 'ok-1' },
      { ...sample, id: 'bad-type', type: 'telemetry.vm_sampel' },
      { ...sample, id: 'bad-field', data: { ...sample.data, gpuUtilPct: 'ninety' } },
      { ...sample, id: 'missing', data: { ...sample.data, vmId: undefined } },
      { ...sample, id: 'ok-2' },
      'not an event',
    ];
    const res = await post('/v1/telemetry', JSON.stringify(batch));
    expect(res.status).toBe(400);
    const body = await reply(res);
    expect(body.error).toBe('4 of 6 records rejected; the other 2 were accepted');
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => [r.index, r.id, r.issues.map((i) => i.path)])).toEqual([
      [1, 'bad-type', ['type']],
      [2, 'bad-field', ['data.gpuUtilPct']],
      [3, 'missing', ['data.vmId']],
      [5, null, ['']],
    ]);
    expect(body.rejected[0]!.issues[0]!.message).toMatch(/unknown event type 'telemetry.vm_sampel'/);
    expect((await allIn(Streams.telemetry)).map((e) => e.id)).toEqual(['ok-1', 'ok-2']);
  });

  it('rejects an event of the other stream on the wrong endpoint', async () => {
    await boot();
    const res = await post('/v1/telemetry', JSON.stringify([fixtures['vm.placed']]));
    expect(res.status).toBe(400);
    expect((await reply(res)).rejected[0]!.issues[0]!.message).toMatch(
      /expected one of: telemetry.vm_sample, telemetry.gpu_sample/,
    );
    expect(await allIn(Streams.inventory)).toEqual([]);
  });

  it('answers malformed JSON, a non-array body, an empty and an oversized batch with a clear 400/413', async () => {
    await boot();
    const malformed = await post('/v1/telemetry', '[{"id": "x",');
    expect(malformed.status).toBe(400);
    expect((await reply(malformed)).error).toMatch(/^malformed JSON body/);

    const object = await post('/v1/telemetry', JSON.stringify({ id: 'x' }));
    expect(object.status).toBe(400);
    expect((await reply(object)).error).toMatch(/JSON array of events/);

    const empty = await post('/v1/telemetry', '[]');
    expect(empty.status).toBe(400);
    expect((await reply(empty)).error).toMatch(/empty/);

    const many = await post(
      '/v1/telemetry',
      JSON.stringify(Array.from({ length: 101 }, () => fixtures['telemetry.vm_sample'])),
    );
    expect(many.status).toBe(400); // INGEST_MAX_BATCH=100 in this test
    expect((await reply(many)).error).toMatch(/101 records; the limit is 100/);

    const huge = await post('/v1/telemetry', JSON.stringify([{ pad: 'x'.repeat(300_000) }]));
    expect(huge.status).toBe(413); // INGEST_MAX_BODY_BYTES=200000 in this test
    expect((await reply(huge)).error).toMatch(/too large/);

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200); // still serving after all of the above
  });

  it('accepts NDJSON and rejects its unreadable lines by index', async () => {
    await boot();
    const lines = [
      JSON.stringify({ ...fixtures['telemetry.gpu_sample'], id: 'n1' }),
      '{oops',
      JSON.stringify({ ...fixtures['telemetry.gpu_sample'], id: 'n2' }),
    ];
    const res = await post('/v1/telemetry', lines.join('\n'), { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(400);
    const body = await reply(res);
    expect(body.accepted).toBe(2);
    expect(body.rejected).toEqual([
      { index: 1, id: null, issues: [{ path: '', message: expect.stringMatching(/line is not JSON/) }] },
    ]);
  });

  it('requires an API key when keys are configured', async () => {
    await boot({ INGEST_API_KEYS: 'k1,k2' });
    const body = JSON.stringify([fixtures['host.registered']]);
    expect((await post('/v1/inventory', body)).status).toBe(401);
    expect((await post('/v1/inventory', body, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('/v1/inventory', body, { authorization: 'Bearer k2' })).status).toBe(202);
    expect((await post('/v1/inventory', body, { 'x-api-key': 'k1' })).status).toBe(202);
  });
});
