import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendNotification, verifySignature } from './http-delivery';
import type { Receiver } from './receivers';
import { deliverWithRetries, type AttemptReport } from './retry';

/** What the receiver got: one entry per request, with its raw body. */
interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  raw: Buffer;
}
/** The receiver's next answers, in order; `hang` never answers. The last one repeats. */
type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

describe('sendNotification against a real HTTP receiver', () => {
  let server: Server;
  let base: string;
  let received: Received[];
  let answers: Answer[];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          raw: Buffer.concat(chunks),
        });
        const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
        if (answer === 'hang') return;
        res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    received = [];
    answers = [{ status: 200 }];
  });
  afterAll(async () => {
    server.closeAllConnections(); // keep-alive sockets would hold close() open
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const webhook = (path = '/hook'): Receiver => ({
    name: 'webhook-1',
    kind: 'webhook',
    url: `${base}${path}`,
  });
  const payload = { version: '4', status: 'firing', alerts: [{ labels: { alertname: 'VgpuInterference' } }] };
  const nowSec = () => Math.floor(Date.now() / 1000);
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  it('POSTs the JSON with a signature that verifies with the secret and not without it', async () => {
    const result = await sendNotification(webhook(), payload, {
      secret: 's3cret',
      timeoutMs: 2000,
      notificationId: 'n-42',
    });
    expect(result).toEqual({ ok: true, status: 200 });
    expect(received).toHaveLength(1);
    const [req] = received as [Received];
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hook');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe('vgpu-twin-notifier');
    expect(req.headers['x-vgpu-twin-notification-id']).toBe('n-42');
    expect(JSON.parse(req.raw.toString('utf8'))).toEqual(payload);

    const timestamp = req.headers['x-vgpu-twin-timestamp'] as string;
    const signature = req.headers['x-vgpu-twin-signature'] as string;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    // sent within this test: the receiver's clock is ours
    expect(Math.abs(Number(timestamp) - nowSec())).toBeLessThanOrEqual(5);
    expect(verifySignature('s3cret', timestamp, signature, req.raw, nowSec())).toBe(true);
    expect(verifySignature('wrong-secret', timestamp, signature, req.raw, nowSec())).toBe(false);
    // replayed ten minutes later: outside the 300 s tolerance
    expect(verifySignature('s3cret', timestamp, signature, req.raw, nowSec() + 600)).toBe(false);
  });

  it('signs nothing without a secret, and never for Alertmanager', async () => {
    await sendNotification(webhook(), payload, { timeoutMs: 2000, notificationId: 'n-1' });
    const alertmanager: Receiver = {
      name: 'alertmanager',
      kind: 'alertmanager',
      url: `${base}/api/v2/alerts`,
    };
    await sendNotification(alertmanager, [{ labels: { alertname: 'x' } }], {
      secret: 's3cret',
      timeoutMs: 2000,
      notificationId: 'n-2',
    });
    expect(received.map((r) => r.url)).toEqual(['/hook', '/api/v2/alerts']);
    for (const r of received) {
      expect(r.headers['x-vgpu-twin-signature']).toBeUndefined();
      expect(r.headers['x-vgpu-twin-timestamp']).toBeUndefined();
    }
    expect(received.map((r) => r.headers['x-vgpu-twin-notification-id'])).toEqual(['n-1', 'n-2']);
  });

  it("sends a URL's credentials as Basic authentication (fetch refuses them in the URL)", async () => {
    const receiver: Receiver = {
      name: 'am',
      kind: 'alertmanager',
      url: base.replace('//', '//alice:p%40ss@') + '/x',
    };
    expect(await sendNotification(receiver, [], { timeoutMs: 2000, notificationId: 'n-1' })).toEqual({
      ok: true,
      status: 200,
    });
    // printf '%s' 'alice:p@ss' | base64
    expect(received[0]!.headers.authorization).toBe('Basic YWxpY2U6cEBzcw==');
  });

  it('is delivered on attempt 2 when the receiver answers 500 then 200', async () => {
    answers = [{ status: 500, body: 'database is down' }, { status: 200 }];
    const reports: AttemptReport[] = [];
    const outcome = await deliverWithRetries(
      () =>
        sendNotification(webhook(), payload, { secret: 's3cret', timeoutMs: 2000, notificationId: 'n-7' }),
      { maxAttempts: 3, baseMs: 5, maxMs: 50 },
      'n-7',
      sleep,
      (r) => reports.push(r),
    );
    expect(outcome).toEqual({ delivered: true, attempts: 2, httpStatus: 200 });
    expect(reports[0]!.result).toEqual({ ok: false, status: 500, error: 'HTTP 500: database is down' });
    // the retry carries the same notification id, so the receiver can dedupe it
    expect(received.map((r) => r.headers['x-vgpu-twin-notification-id'])).toEqual(['n-7', 'n-7']);
  });

  it('gives up after 1 attempt on a 400, naming the status and the first 200 characters of the body', async () => {
    // 300 characters on two lines; the error keeps 200 of them on one line
    const refusal = `${'a'.repeat(150)}\n${'b'.repeat(149)}`;
    answers = [{ status: 400, body: refusal }, { status: 200 }];
    const outcome = await deliverWithRetries(
      () => sendNotification(webhook(), payload, { timeoutMs: 2000, notificationId: 'n-8' }),
      { maxAttempts: 5, baseMs: 5, maxMs: 50 },
      'n-8',
      sleep,
    );
    // 150 a's, the newline as a space, then 49 b's: 200 characters
    expect(outcome).toEqual({
      delivered: false,
      attempts: 1,
      error: `not retried: HTTP 400: ${'a'.repeat(150)} ${'b'.repeat(49)}`,
    });
    expect(received).toHaveLength(1);
  });

  it('times out on a receiver that never answers and retries it', async () => {
    answers = ['hang', { status: 204 }];
    const reports: AttemptReport[] = [];
    const started = Date.now();
    const outcome = await deliverWithRetries(
      () => sendNotification(webhook(), payload, { timeoutMs: 200, notificationId: 'n-9' }),
      { maxAttempts: 3, baseMs: 5, maxMs: 50 },
      'n-9',
      sleep,
      (r) => reports.push(r),
    );
    expect(outcome).toEqual({ delivered: true, attempts: 2, httpStatus: 204 });
    expect(reports[0]!.result).toEqual({ ok: false, status: null, error: 'timed out after 200 ms' });
    // at least the 200 ms timeout; far less than a default 10 s one
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("waits the receiver's Retry-After (in seconds) before the next attempt", async () => {
    answers = [
      { status: 429, body: 'slow down', headers: { 'retry-after': '2' } },
      { status: 503, headers: { 'retry-after': '3600' } },
      { status: 200 },
    ];
    const slept: number[] = [];
    const outcome = await deliverWithRetries(
      () => sendNotification(webhook(), payload, { timeoutMs: 2000, notificationId: 'n-10' }),
      { maxAttempts: 5, baseMs: 5, maxMs: 10_000 },
      'n-10',
      async (ms) => {
        slept.push(ms); // recorded, not waited: the test need not take 12 s
      },
    );
    expect(outcome).toEqual({ delivered: true, attempts: 3, httpStatus: 200 });
    // 2 s as asked; an hour capped at maxMs 10 s
    expect(slept).toEqual([2000, 10_000]);
  });

  it('reports an unreachable receiver as retryable, with the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const receiver: Receiver = { name: 'gone', kind: 'webhook', url: `http://127.0.0.1:${port}/` };
    expect(await sendNotification(receiver, payload, { timeoutMs: 2000, notificationId: 'n-11' })).toEqual({
      ok: false,
      status: null,
      error: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('does not follow a redirect, which would turn the POST into a bodyless GET', async () => {
    answers = [{ status: 302, headers: { location: `${base}/elsewhere` } }];
    const outcome = await deliverWithRetries(
      () => sendNotification(webhook(), payload, { timeoutMs: 2000, notificationId: 'n-12' }),
      { maxAttempts: 3, baseMs: 5, maxMs: 50 },
      'n-12',
      sleep,
    );
    expect(outcome).toEqual({
      delivered: false,
      attempts: 1,
      error: `not retried: HTTP 302: redirected to ${base}/elsewhere; configure the final URL`,
    });
    expect(received.map((r) => r.url)).toEqual(['/hook']);
  });
});
