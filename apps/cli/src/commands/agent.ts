import { Option, type Command } from 'commander';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HostAgent } from '../agent/agent';
import { failOption } from './options';

/**
 * `vgpu-twin agent --ingest URL`: runs on a vGPU host, posts its inventory (from `nvidia-smi vgpu
 * -q`) and telemetry to ingest, and buffers on disk while ingest is unreachable. Runs until
 * SIGINT/SIGTERM; log lines go to stderr.
 */
export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description(
      'Host agent for a vGPU host: polls nvidia-smi (--query-gpu CSV and vgpu -q) and progress-metric endpoints, ' +
        'posts inventory changes and telemetry to ingest, and keeps a bounded on-disk buffer while ingest is unreachable',
    )
    .addOption(new Option('--ingest <url>', 'ingest base URL (required), e.g. http://twin.example:8080'))
    .addOption(new Option('--api-key <key>', 'ingest API key').env('VGPU_TWIN_API_KEY'))
    .option('--nvidia-smi <path>', 'the nvidia-smi binary', 'nvidia-smi')
    .option('--interval-ms <ms>', 'how often to poll', '1000')
    .option(
      '--metrics <url...>',
      "progress-metric endpoints of this host's workloads (Prometheus text), selected by the mapping file's progress rules",
    )
    .option('--host <id>', "this host's id in the twin", hostname())
    .option(
      '--cluster <id>',
      "the cluster this host joins when it is first discovered (default: ingest's INGEST_CLUSTER)",
    )
    .option(
      '--buffer-dir <dir>',
      'where captures wait while ingest is unreachable',
      join('.vgpu-twin', 'agent-buffer'),
    )
    .option('--buffer-max-captures <n>', 'most captures kept (the oldest go first)', '20000')
    .option('--buffer-max-mb <mb>', 'most megabytes kept', '256')
    .action(async function (this: Command) {
      const o = this.opts<{
        ingest?: string;
        apiKey?: string;
        nvidiaSmi: string;
        intervalMs: string;
        metrics?: string[];
        host: string;
        cluster?: string;
        bufferDir: string;
        bufferMaxCaptures: string;
        bufferMaxMb: string;
      }>();
      if (!o.ingest)
        failOption(this, '--ingest', 'is required: the ingest base URL, e.g. http://127.0.0.1:8080');
      if (!/^https?:\/\/[^/]+/.test(o.ingest))
        failOption(this, '--ingest', `'${o.ingest}' must be an http(s) URL`);
      for (const url of o.metrics ?? [])
        if (!/^https?:\/\/[^/]+/.test(url)) failOption(this, '--metrics', `'${url}' must be an http(s) URL`);
      const int = (option: string, raw: string, min: number) => {
        const n = Number(raw);
        if (!Number.isInteger(n) || n < min) failOption(this, option, `'${raw}' must be an integer ≥ ${min}`);
        return n;
      };
      const agent = new HostAgent({
        ingest: o.ingest,
        ...(o.apiKey ? { apiKey: o.apiKey } : {}),
        nvidiaSmi: o.nvidiaSmi,
        intervalMs: int('--interval-ms', o.intervalMs, 100),
        metrics: o.metrics ?? [],
        host: o.host,
        ...(o.cluster ? { cluster: o.cluster } : {}),
        bufferDir: o.bufferDir,
        limits: {
          maxCaptures: int('--buffer-max-captures', o.bufferMaxCaptures, 1),
          maxBytes: int('--buffer-max-mb', o.bufferMaxMb, 1) * 1024 * 1024,
        },
        log: (line) => void process.stderr.write(`${line}\n`),
      });
      process.stderr.write(
        `agent for host ${o.host}: every ${o.intervalMs} ms → ${o.ingest} (buffer: ${o.bufferDir}, ${agent.stats.buffered} waiting)\n`,
      );
      agent.start();
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await agent.stop();
      process.stderr.write(
        `agent stopped: ${agent.stats.delivered} capture(s) delivered, ${agent.stats.buffered} left in the buffer, ${agent.stats.dropped} dropped\n`,
      );
    });
}
