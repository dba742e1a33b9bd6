import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTs } from '../../../../test/support/process';

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `vgpu-twin start` (or another entry point) in a child process, to its exit (killed after 60 s: a start that hangs fails). */
async function start(
  env: NodeJS.ProcessEnv,
  entry = 'apps/cli/src/main.ts',
  args = ['start'],
): Promise<Exit> {
  const proc = spawnTs(entry, args, env);
  let stdout = '';
  let stderr = '';
  proc.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => void proc.stop('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => proc.child.on('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/**
 * A start that cannot succeed says why in one line on stderr and exits 1: no stack trace, no
 * half-written log (Nest's injector logs a failing provider's error, stack and all, unless told not to).
 */
describe('vgpu-twin start: start-up failures are one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-startup-'));
  const brokenModel = join(dir, 'broken-model.json');
  const notADir = join(dir, 'a-file');
  writeFileSync(brokenModel, '{"version": ');
  writeFileSync(notADir, '');
  let busy: Server;
  let busyPort: number;

  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => {
    busy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, () => NodeJS.ProcessEnv, RegExp][] = [
    [
      'a missing model file',
      () => ({ TWIN_MODEL: '/missing/model.json' }),
      /TWIN_MODEL.*\/missing\/model\.json/,
    ],
    ['a broken model file', () => ({ TWIN_MODEL: brokenModel }), /TWIN_MODEL.*broken-model\.json: not JSON/],
    [
      'an unreadable mapping file',
      () => ({ INGEST_MAPPING_FILE: '/missing.json' }),
      /INGEST_MAPPING_FILE.*\/missing\.json/,
    ],
    ['a bad LOG_LEVEL', () => ({ LOG_LEVEL: 'loud' }), /LOG_LEVEL="loud": must be one of trace, debug/],
    ['a bad PORT', () => ({ PORT: 'abc' }), /PORT="abc": must be a number/],
    ['a port in use', () => ({ PORT: String(busyPort) }), /^cannot listen on port \d+: .*EADDRINUSE/],
    [
      'an event log it cannot open',
      () => ({ VGPU_TWIN_DATA_DIR: join(notADir, 'data') }),
      /cannot open the event log \(EVENT_LOG=embedded.*ENOTDIR/,
    ],
  ];

  it.each(cases)(
    '%s',
    async (_name, env, cause) => {
      const { code, stdout, stderr } = await start({
        VGPU_TWIN_DATA_DIR: join(dir, 'data'),
        PORT: '0',
        ...env(),
      });
      expect(code).toBe(1);
      const lines = stderr.split('\n').filter((l) => l.length > 0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(cause);
      expect(`${stdout}${stderr}`).not.toMatch(/^\s+at /m); // no stack frame
      expect(stdout).toBe(''); // and no banner, no log line
    },
    90_000,
  );

  it('the standalone twin too', async () => {
    const { code, stdout, stderr } = await start(
      { VGPU_TWIN_DATA_DIR: join(dir, 'data'), TWIN_PORT: '0', TWIN_MODEL: '/missing/model.json' },
      'apps/twin/src/main.ts',
      [],
    );
    expect(code).toBe(1);
    expect(stderr).toBe('TWIN_MODEL: model /missing/model.json: no such file or directory\n');
    expect(stdout).toBe('');
  }, 90_000);
});
