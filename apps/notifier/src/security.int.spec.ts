import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { EventLogModule, listeningPort, loadConfig, streamSpecs } from '@vgpu-twin/service-kit';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotifierConfigSchema } from './config';
import { dashboardPage } from './dashboard-page';
import { NotifierModule } from './notifier.module';

describe('dashboard security headers and socket.io CORS', () => {
  let dir: string;
  let app: INestApplication | null = null;

  async function boot(env: NodeJS.ProcessEnv): Promise<string> {
    const log = new EmbeddedEventLog({ file: join(dir, 'log.sqlite') });
    await log.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
    @Module({
      imports: [
        EventLogModule.forLog(log),
        NotifierModule.forRoot(loadConfig(NotifierConfigSchema, env), dir),
      ],
    })
    class TestApp {}
    app = await NestFactory.create(TestApp, { logger: false });
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${listeningPort(app)}`;
  }
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vgpu-sec-'))));
  afterEach(async () => {
    await app?.close();
    app = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page with a CSP that runs only its own scripts (the inline one by hash) and cannot be framed', async () => {
    const base = await boot({});
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    const inline = /<script>([\s\S]*?)<\/script>/.exec(dashboardPage)![1]!;
    const hash = createHash('sha256').update(inline).digest('base64');
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  const polling = (base: string, origin: string) =>
    fetch(`${base}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });

  it('lets any origin open the socket while no token is set, and none but the listed ones once one is', async () => {
    let base = await boot({});
    expect((await polling(base, 'http://elsewhere.example')).headers.get('access-control-allow-origin')).toBe(
      'http://elsewhere.example',
    );
    await app!.close();
    app = null;
    base = await boot({ NOTIFIER_TOKEN: 't0ken', NOTIFIER_CORS_ORIGINS: 'https://ops.example' });
    expect(
      (await polling(base, 'http://elsewhere.example')).headers.get('access-control-allow-origin'),
    ).toBeNull();
    expect((await polling(base, 'https://ops.example')).headers.get('access-control-allow-origin')).toBe(
      'https://ops.example',
    );
  });
});
