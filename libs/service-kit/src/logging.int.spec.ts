import 'reflect-metadata';
import { Controller, Get, Logger, Module, Req, type INestApplication } from '@nestjs/common';
import type { Request } from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootService, listeningPort } from './boot';

@Controller('v1/echo')
class EchoController {
  private readonly logger = new Logger('Echo');

  /** A careless handler: it logs the credential it was sent. */
  @Get()
  echo(@Req() req: Request): { ok: true } {
    this.logger.log(`authorized by ${req.headers.authorization}`);
    return { ok: true };
  }

  @Get('fail')
  fail(): never {
    throw new Error('disk on fire');
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

/**
 * One service booted by bootService, its log lines captured: what a request writes, and what it
 * must not. (One boot per file: nestjs-pino keeps one root logger a process.)
 */
describe('service log lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-logging-'));
  const written: string[] = [];
  let app: INestApplication;
  let base: string;
  const lines = () => written.map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    app = await bootService(
      {
        name: 'Ingest',
        port: 0,
        modules: () => [{ module: EchoModule }],
        banner: (url) => `echo on ${url}`,
        shutdownHooks: false,
        logTo: { write: (s: string) => void written.push(s) },
      },
      {
        VGPU_TWIN_DATA_DIR: dir,
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        INGEST_API_KEYS: 'other-key,s3cret',
      },
    );
    base = `http://127.0.0.1:${listeningPort(app)}`;
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one line per request with its id (the client’s, echoed back), and no secret anywhere', async () => {
    const res = await fetch(`${base}/v1/echo?token=s3cret`, {
      headers: { Authorization: 'Bearer s3cret', 'X-Request-Id': 'abc-123' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('abc-123');

    const mine = lines().filter((l) => (l.req as { id?: string } | undefined)?.id === 'abc-123');
    const handler = mine.find((l) => l.context === 'Echo');
    const request = mine.find((l) => l.route === '/v1/echo');
    expect(handler).toMatchObject({
      level: 'info',
      service: 'ingest',
      msg: 'authorized by Bearer [Redacted]',
    });
    expect(request).toMatchObject({
      level: 'info',
      service: 'ingest',
      msg: 'GET /v1/echo 200',
      req: { id: 'abc-123', method: 'GET', url: '/v1/echo?token=[Redacted]' },
      res: { statusCode: 200 },
    });
    expect(request!.responseTime).toEqual(expect.any(Number));
    expect(Object.keys(request!.req as object).sort()).toEqual(['id', 'method', 'url']); // no headers, no body
    expect(written.join('')).not.toContain('s3cret');
  });

  it('generates an id when the client sends none (or an unsafe one)', async () => {
    const res = await fetch(`${base}/v1/echo`, { headers: { 'X-Request-Id': 'x'.repeat(200) } });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines().some((l) => (l.req as { id?: string } | undefined)?.id === id)).toBe(true);
  });

  it('a failed request is an error line; the unexpected error is logged once, with its stack', async () => {
    const res = await fetch(`${base}/v1/echo/fail`);
    expect(res.status).toBe(500);
    const request = lines().find((l) => l.route === '/v1/echo/fail');
    expect(request).toMatchObject({ level: 'error', msg: 'GET /v1/echo/fail 500' });
    expect(request).not.toHaveProperty('err');
    const error = lines().find((l) => l.context === 'DomainErrorFilter');
    expect(error).toMatchObject({ level: 'error', err: { message: 'disk on fire' } });
  });

  it("Nest's start-up chatter is below info; the start is one info line", () => {
    expect(lines().filter((l) => l.context === 'RouterExplorer')).toEqual([]); // debug: not written at info
    expect(lines().find((l) => l.context === 'Ingest')).toMatchObject({
      level: 'info',
      msg: expect.stringMatching(/^listening on http:\/\/localhost:\d+$/),
    });
  });
});
