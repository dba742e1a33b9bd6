import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningAlertmanager {
  readonly url: string;
  /** The last few KB of what it logged, for a failing test's message. */
  log(): string;
  /** SIGTERM; resolves once it has exited (it writes its snapshots under `dir` on the way out). */
  stop(): Promise<void>;
}

/** One route to one receiver with no integrations: Alertmanager keeps, groups and serves alerts, and sends nothing. */
export const MINIMAL_ALERTMANAGER_CONFIG = `route:
  receiver: blackhole
receivers:
  - name: blackhole
`;

/**
 * A real Alertmanager (Debian's `prometheus-alertmanager` package; .ci/run installs it) on `port`
 * with this `alertmanager.yml`, its silences and notification log under `dir`, gossip off.
 * Missing binary: a failure naming the package, never a skip.
 */
export function startAlertmanager(
  dir: string,
  port: number,
  config: string = MINIMAL_ALERTMANAGER_CONFIG,
): RunningAlertmanager {
  const which = spawnSync('prometheus-alertmanager', ['--version']);
  if (which.error)
    throw new Error(
      'the prometheus-alertmanager binary is missing: apt-get install prometheus-alertmanager (.ci/run does)',
    );
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  let stderr = '';
  const child: ChildProcess = spawn(
    'prometheus-alertmanager',
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', // empty: no gossip, no peers to wait for
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    log: () => stderr,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `GET /-/ready` until Alertmanager answers 200, or throws after `timeoutMs`. */
export async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms (last: ${last})`);
}
