import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { formatMatcher, parseMatcher } from '@vgpu-twin/alerting';
import type { Matcher, SilenceView } from '@vgpu-twin/contracts';
import { runCliAsync, type CliRun } from '../testing/run-cli';
import { registerSilenceCommands } from './silence';

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

const NOW = '2026-06-01T12:00:00.000Z';
const TOKEN = 'tok-a';

/**
 * The notifier's silence API (the spec: /tmp/spec/alerts-api.md) as far as the CLI uses it, over
 * real HTTP on 127.0.0.1: one token, matchers parsed as the notifier parses them, and every request
 * recorded. Its clock stands at NOW.
 */
class FakeNotifier {
  readonly requests: Recorded[] = [];
  /** Replaces the API's answer, for the answers a well-behaved notifier does not give. */
  override: ((r: Recorded) => Reply | undefined) | undefined;
  private readonly silences = new Map<string, SilenceView>([
    [
      's-1',
      view(
        's-1',
        [parseMatcher('vm=vm-3')],
        'active',
        '2026-06-01T11:00:00.000Z',
        '2026-06-01T13:00:00.000Z',
        'alice',
        'driver upgrade',
      ),
    ],
    [
      's-2',
      view(
        's-2',
        [parseMatcher('kind=~"drift|interference"'), parseMatcher('gpu!=gpu-1')],
        'pending',
        '2026-06-02T00:00:00.000Z',
        '2026-06-02T02:00:00.000Z',
        'bob',
        'maintenance',
      ),
    ],
  ]);
  private next = 3;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const r: Recorded = {
          method: req.method ?? '',
          path: u.pathname,
          query: u.searchParams,
          headers: req.headers,
          body: raw === '' ? undefined : JSON.parse(raw),
        };
        this.requests.push(r);
        const { status, body } = this.override?.(r) ?? this.answer(r);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((e) => (e ? reject(e) : resolve())));
  }

  private answer(r: Recorded): Reply {
    if (r.headers.authorization !== `Bearer ${TOKEN}`)
      return { status: 401, body: { error: 'missing or unknown API token' } };
    const id = /^\/v1\/silences\/([^/]+)$/.exec(r.path)?.[1];
    if (r.method === 'GET' && r.path === '/v1/silences') {
      const state = r.query.get('state');
      return {
        status: 200,
        body: { silences: [...this.silences.values()].filter((s) => !state || s.state === state) },
      };
    }
    if (r.method === 'POST' && r.path === '/v1/silences') {
      const b = r.body as {
        matchers: string[];
        startsAt?: string;
        endsAt?: string;
        duration?: string;
        createdBy: string;
        comment?: string;
      };
      const startsAt = b.startsAt ?? NOW;
      const hours = b.duration === '30m' ? 0.5 : 2; // the durations these tests send
      const endsAt = b.endsAt ?? new Date(Date.parse(startsAt) + hours * 3_600_000).toISOString();
      const silence = view(
        `s-${this.next++}`,
        b.matchers.map(parseMatcher),
        startsAt > NOW ? 'pending' : 'active',
        startsAt,
        endsAt,
        b.createdBy,
        b.comment ?? '',
      );
      this.silences.set(silence.silenceId, silence);
      return { status: 201, body: { silence } };
    }
    if (r.method === 'DELETE' && id !== undefined) {
      const s = this.silences.get(decodeURIComponent(id));
      if (!s) return { status: 404, body: { error: `no silence '${decodeURIComponent(id)}'` } };
      const expired = { ...s, state: 'expired' as const, endsAt: NOW, expiredBy: r.query.get('by') };
      this.silences.set(s.silenceId, expired);
      return { status: 200, body: { silence: expired } };
    }
    return { status: 404, body: { error: `no route ${r.method} ${r.path}` } };
  }
}

function view(
  silenceId: string,
  matchers: Matcher[],
  state: SilenceView['state'],
  startsAt: string,
  endsAt: string,
  createdBy: string,
  comment: string,
): SilenceView {
  return { silenceId, matchers, startsAt, endsAt, createdBy, comment, state, expiredBy: null };
}

/** The real program sets showHelpAfterError, which its subcommands inherit: so do these. */
const register = (program: Command) => {
  program.showHelpAfterError();
  registerSilenceCommands(program);
};

let api: FakeNotifier;
beforeEach(async () => {
  api = new FakeNotifier();
  await api.start();
});
afterEach(() => api.stop());

const silence = (...args: string[]): Promise<CliRun> =>
  runCliAsync(register, ['silence', ...args, '--url', api.url, '--token', TOKEN]);
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('vgpu-twin silence add', () => {
  it('posts the matchers as typed, 2h by default, with the bearer token; prints the new id', async () => {
    const r = await silence(
      'add',
      'vm=vm-3',
      'kind=~"drift|interference"',
      'gpu!=gpu-1',
      '--author',
      'alice',
      '--comment',
      'driver upgrade',
    );
    expect(r.exitCode).toBe(0);
    expect(api.requests).toHaveLength(1);
    const [req] = api.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/silences' });
    expect(req!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.body).toEqual({
      matchers: ['vm=vm-3', 'kind=~"drift|interference"', 'gpu!=gpu-1'],
      duration: '2h',
      createdBy: 'alice',
      comment: 'driver upgrade',
    });
    expect(r.out).toBe('s-3\n'); // the fake's ids count on from its two seeded silences
    expect(r.err).toBe(
      'silence s-3 active from 2026-06-01T12:00:00.000Z until 2026-06-01T14:00:00.000Z, by alice: ' +
        'vm="vm-3" kind=~"drift|interference" gpu!="gpu-1" (driver upgrade)\n', // NOW + 2 h
    );
  });

  it('sends --starts and --ends in UTC, and no duration', async () => {
    const r = await silence(
      'add',
      'cluster=a',
      '--starts',
      '2026-06-02T00:00:00+02:00',
      '--ends',
      '2026-06-02T04:30:00Z',
      '--author',
      'bob',
      '--comment',
      'window',
    );
    expect(r.exitCode).toBe(0);
    expect(api.requests[0]!.body).toEqual({
      matchers: ['cluster=a'],
      startsAt: '2026-06-01T22:00:00.000Z', // 00:00 at +02:00
      endsAt: '2026-06-02T04:30:00.000Z',
      createdBy: 'bob',
      comment: 'window',
    });
    expect(r.err).toMatch(/^silence s-3 pending from 2026-06-01T22:00:00.000Z /);
  });

  it('sends --duration as given', async () => {
    const r = await silence('add', 'vm=vm-1', '--duration', '30m', '--author', 'a', '--comment', 'c');
    expect(r.exitCode).toBe(0);
    expect(api.requests[0]!.body).toMatchObject({ duration: '30m' });
  });

  it('--author defaults to $USER, else "cli"', async () => {
    const before = process.env['USER'];
    try {
      process.env['USER'] = 'carol';
      await silence('add', 'vm=vm-1', '--comment', 'c');
      delete process.env['USER'];
      await silence('add', 'vm=vm-1', '--comment', 'c');
    } finally {
      if (before === undefined) delete process.env['USER'];
      else process.env['USER'] = before;
    }
    expect(api.requests.map((q) => (q.body as { createdBy: string }).createdBy)).toEqual(['carol', 'cli']);
  });

  it('--json prints the API answer as is', async () => {
    const r = await silence('add', 'vm=vm-3', '--author', 'alice', '--comment', 'c', '--json');
    expect(r.exitCode).toBe(0);
    expect(r.json).toEqual({
      silence: view(
        's-3',
        [{ name: 'vm', op: '=', value: 'vm-3' }],
        'active',
        NOW,
        '2026-06-01T14:00:00.000Z',
        'alice',
        'c',
      ),
    });
    expect(r.err).toBe('');
  });

  it.each([
    [['gpu=gpu-1', 'vmm=vm-3'], /^error: unknown label 'vmm' in matcher 'vmm=vm-3'/],
    [['gpu=gpu-1', 'vm'], /^error: bad matcher format: 'vm'/],
    [['kind=~"(drift"', 'vm=vm-3'], /^error: invalid regular expression in matcher kind=~"\(drift"/],
    [['vm="vm-3'], /^error: matcher value contains unescaped double quote: '"vm-3' in 'vm="vm-3'/],
    // each matches an alert whatever its vm and gpu: together they would silence every alert
    [['vm=~".*"', 'gpu=""'], /^error: at least one matcher must not match the empty string/],
  ])('refuses %j with exit code 2, naming the bad matcher, before any request', async (matchers, message) => {
    const r = await silence('add', ...matchers, '--comment', 'c');
    expect(r.exitCode).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
    expect(api.requests).toHaveLength(0);
  });

  it('accepts a match-everything matcher beside one that narrows it (as Alertmanager)', async () => {
    const r = await silence('add', 'vm=~".*"', 'gpu=gpu-1', '--author', 'a', '--comment', 'c');
    expect(r.exitCode).toBe(0);
    expect(api.requests).toHaveLength(1);
  });

  it.each([
    [['--author', 'a'], /option '--comment' is required/],
    [['--comment', '  '], /option '--comment' is required/],
    [
      ['--comment', 'c', '--duration', '2 hours'],
      /option '--duration' '2 hours' must be a whole number of hours, minutes or seconds/,
    ],
    [['--comment', 'c', '--duration', '1d'], /option '--duration' '1d' must be/],
    [
      ['--comment', 'c', '--duration', '1h', '--ends', '2026-06-02T00:00:00Z'],
      /option '--ends' cannot be used with --duration/,
    ],
    [
      ['--comment', 'c', '--ends', 'tomorrow'],
      /option '--ends' 'tomorrow' must be an ISO-8601 time with a zone/,
    ],
    [
      ['--comment', 'c', '--starts', '2026-06-02T10:00:00'],
      /option '--starts' '2026-06-02T10:00:00' must be an ISO-8601 time with a zone/,
    ],
    [
      ['--comment', 'c', '--starts', '2026-06-02T10:00:00Z', '--ends', '2026-06-02T09:00:00Z'],
      /option '--ends' 2026-06-02T09:00:00.000Z must be after --starts/,
    ],
  ])('refuses %j with exit code 2 and no request', async (options, message) => {
    const r = await silence('add', 'vm=vm-3', ...options);
    expect(r.exitCode).toBe(2);
    expect(r.err).toMatch(message);
    expect(api.requests).toHaveLength(0);
  });

  it('shows examples in its help', async () => {
    const r = await runCliAsync(register, ['silence', 'add', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.out).toContain('Examples:\n  $ vgpu-twin silence add vm=vm-3 --comment "driver upgrade"\n');
    expect(r.out).toContain('Matcher labels: cluster, host, gpu, vm, kind, severity, workload, alertname.');
  });
});

describe('vgpu-twin silence list', () => {
  it('prints a table: id, state, matchers, starts, ends, created by, comment', async () => {
    const r = await silence('list');
    expect(r.exitCode).toBe(0);
    expect(api.requests).toMatchObject([{ method: 'GET', path: '/v1/silences' }]);
    expect([...api.requests[0]!.query]).toEqual([]);
    expect(lines(r.out)).toEqual([
      'ID   STATE    MATCHERS                                 STARTS                    ENDS                      CREATED BY  COMMENT',
      's-1  active   vm="vm-3"                                2026-06-01T11:00:00.000Z  2026-06-01T13:00:00.000Z  alice       driver upgrade',
      's-2  pending  kind=~"drift|interference" gpu!="gpu-1"  2026-06-02T00:00:00.000Z  2026-06-02T02:00:00.000Z  bob         maintenance',
    ]);
    // the matchers column is formatMatcher's, which parseMatcher reads back
    expect(parseMatcher(formatMatcher(parseMatcher('kind=~"drift|interference"')))).toEqual({
      name: 'kind',
      op: '=~',
      value: 'drift|interference',
    });
  });

  it('asks for one --state', async () => {
    const r = await silence('list', '--state', 'pending');
    expect(r.exitCode).toBe(0);
    expect(api.requests[0]!.query.get('state')).toBe('pending');
    expect(lines(r.out).map((l) => l.split(' ')[0])).toEqual(['ID', 's-2']);
  });

  it('prints only the header when there is none', async () => {
    const r = await silence('list', '--state', 'expired');
    expect(lines(r.out)).toEqual(['ID  STATE  MATCHERS  STARTS  ENDS  CREATED BY  COMMENT']);
  });

  it('--json prints the API answer as is', async () => {
    const r = await silence('list', '--json');
    expect(r.exitCode).toBe(0);
    const answer = (r.json as { silences: SilenceView[] }).silences;
    expect(answer.map((s) => s.silenceId)).toEqual(['s-1', 's-2']);
    expect(answer[1]!.matchers).toEqual([
      { name: 'kind', op: '=~', value: 'drift|interference' },
      { name: 'gpu', op: '!=', value: 'gpu-1' },
    ]);
  });

  it('refuses --state silenced with exit code 2 and no request', async () => {
    const r = await silence('list', '--state', 'silenced');
    expect(r.exitCode).toBe(2);
    expect(r.err).toMatch(/Allowed choices are pending, active, expired/);
    expect(api.requests).toHaveLength(0);
  });
});

describe('vgpu-twin silence expire', () => {
  it('deletes each id with ?by=, and prints each expired id', async () => {
    const r = await silence('expire', 's-1', 's-2', '--author', 'alice');
    expect(r.exitCode).toBe(0);
    expect(api.requests.map((q) => [q.method, q.path, q.query.get('by'), q.headers.authorization])).toEqual([
      ['DELETE', '/v1/silences/s-1', 'alice', `Bearer ${TOKEN}`],
      ['DELETE', '/v1/silences/s-2', 'alice', `Bearer ${TOKEN}`],
    ]);
    expect(r.out).toBe('s-1\ns-2\n');
  });

  it('--json prints one API answer per line', async () => {
    const r = await silence('expire', 's-1', 's-2', '--author', 'alice', '--json');
    expect(r.exitCode).toBe(0);
    const answers = lines(r.out).map((l) => JSON.parse(l) as { silence: SilenceView });
    expect(answers.map((a) => [a.silence.silenceId, a.silence.state, a.silence.expiredBy])).toEqual([
      ['s-1', 'expired', 'alice'],
      ['s-2', 'expired', 'alice'],
    ]);
  });

  it("stops at an unknown id with the API's message on one line and exit code 1, after printing what it expired", async () => {
    const r = await silence('expire', 's-1', 'nope', 's-2', '--author', 'alice');
    expect(r.exitCode).toBe(1);
    expect(r.out).toBe('s-1\n');
    expect(r.err).toBe(
      "the notifier answered 404 Not Found to DELETE /v1/silences/nope: no silence 'nope'\n",
    ); // one line: no help, no stack
    expect(api.requests).toHaveLength(2); // s-2 is not tried
  });
});

describe('vgpu-twin silence: the notifier failing', () => {
  it('says a 401 on one line with the hint to pass a token when none was given', async () => {
    const r = await runCliAsync(register, ['silence', 'list', '--url', api.url]);
    expect(r.exitCode).toBe(1);
    expect(api.requests[0]!.headers.authorization).toBeUndefined();
    expect(r.err).toBe(
      'the notifier answered 401 Unauthorized to GET /v1/silences: missing or unknown API token (pass --token or set NOTIFIER_API_TOKEN)\n',
    );
  });

  it('says a 401 with a wrong token without the hint', async () => {
    const r = await runCliAsync(register, ['silence', 'list', '--url', api.url, '--token', 'wrong']);
    expect(r.exitCode).toBe(1);
    expect(r.err).toBe(
      'the notifier answered 401 Unauthorized to GET /v1/silences: missing or unknown API token\n',
    );
  });

  it('reads --url and --token from NOTIFIER_URL and NOTIFIER_API_TOKEN', async () => {
    const before = { url: process.env['NOTIFIER_URL'], token: process.env['NOTIFIER_API_TOKEN'] };
    process.env['NOTIFIER_URL'] = `${api.url}/`; // a trailing slash is no extra path segment
    process.env['NOTIFIER_API_TOKEN'] = TOKEN;
    try {
      const r = await runCliAsync(register, ['silence', 'list']);
      expect(r.exitCode).toBe(0);
      expect(api.requests).toMatchObject([
        { path: '/v1/silences', headers: { authorization: `Bearer ${TOKEN}` } },
      ]);
    } finally {
      for (const [k, v] of [
        ['NOTIFIER_URL', before.url],
        ['NOTIFIER_API_TOKEN', before.token],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it('names an answer that is not the API’s on one line, exit code 1', async () => {
    api.override = () => ({ status: 200, body: { silences: [{ silenceId: 's-1' }] } });
    const r = await silence('list');
    expect(r.exitCode).toBe(1);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(
      /^the notifier's answer to GET \/v1\/silences is not what its API describes: silences\.0\.matchers: /,
    );
  });

  it('says a body without {"error"} by its text', async () => {
    api.override = () => ({ status: 409, body: 'conflict' });
    const r = await silence('expire', 's-1');
    expect(r.exitCode).toBe(1);
    expect(r.err).toBe('the notifier answered 409 Conflict to DELETE /v1/silences/s-1: "conflict"\n');
  });

  it('says it cannot reach a notifier that is not listening, on one line, exit code 1', async () => {
    const url = api.url;
    await api.stop();
    const r = await runCliAsync(register, ['silence', 'list', '--url', url]);
    api = new FakeNotifier(); // for afterEach
    await api.start();
    const port = new URL(url).port;
    expect(r.exitCode).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`cannot reach the notifier at ${url}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  it('refuses a --url that is not http(s) with exit code 2', async () => {
    const r = await runCliAsync(register, ['silence', 'list', '--url', 'ftp://127.0.0.1:21']);
    expect(r.exitCode).toBe(2);
    expect(r.err).toMatch(/option '--url' 'ftp:\/\/127.0.0.1:21' must be an http\(s\) URL/);
  });
});
