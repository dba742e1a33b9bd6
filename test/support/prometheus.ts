import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningPrometheus {
  readonly url: string;
  /** The last few KB of what it logged, for a failing test's message. */
  log(): string;
  stop(): void;
}

/**
 * A real Prometheus (Debian's `prometheus` package; .ci/run installs it) on `port` with this
 * `prometheus.yml`, its data under `dir`. Missing binary: a failure naming the package, never a skip.
 */
export function startPrometheus(dir: string, port: number, config: string): RunningPrometheus {
  const which = spawnSync('prometheus', ['--version']);
  if (which.error)
    throw new Error('the prometheus binary is missing: apt-get install prometheus (.ci/run does)');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  let stderr = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  return { url: `http://127.0.0.1:${port}`, log: () => stderr, stop: () => void child.kill('SIGTERM') };
}
