// bench/twin replay: end-to-end `vgpu-twin replay` (read the log, decode, order, rebuild, report)
// from the embedded log and from Kafka, against the fold alone over the same decoded events.
// Run: SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register bench/twin/replay.bench.ts [telemetry events]
//      (KAFKA_BROKERS=host:port adds the Kafka rows; the events are written once per log first)
import { partitionKey, Streams, type DomainEvent } from '@vgpu-twin/contracts';
import { loadConfig, LogConfigSchema, openEventLog } from '@vgpu-twin/service-kit';
import { defaultTwinConfig, replay, type TwinInput } from '@vgpu-twin/twin-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplay } from '../../apps/cli/src/commands/replay';
import { inventory, samples } from './workload';

const VMS = 1000; // DESIGN.md's replay target is a 1,000-VM cluster at 1 Hz
const total = Number(process.argv[2] ?? 300_000);
const seconds = Math.ceil(total / VMS);
const t0 = Date.UTC(2026, 0, 1);
const at = (s: number) => new Date(t0 + s * 1000).toISOString();
const RUNS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function record(env: Record<string, string>, events: readonly DomainEvent[][]): Promise<void> {
  const log = await openEventLog(loadConfig(LogConfigSchema, env));
  const records = (es: readonly DomainEvent[]) =>
    es.map((e) => ({ key: partitionKey(e), value: JSON.stringify(e), timestamp: Date.parse(e.ts) }));
  await log.append(Streams.inventory, records(events[0]!));
  for (let i = 0; i < events[1]!.length; i += 10_000)
    await log.append(Streams.telemetry, records(events[1]!.slice(i, i + 10_000)));
  await log.close();
}

async function main(): Promise<void> {
  const inv = inventory(VMS).map((e) => ({ ...e, ts: at(0) }));
  const tel = samples(VMS, seconds, 11);
  const n = inv.length + tel.length;
  const window = { from: at(Math.floor(seconds / 2)), to: at(seconds) };
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, Node ${process.version}, load ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `${n.toLocaleString('en')} events (${VMS} VMs × ${seconds} s at 1 Hz + inventory); window = second half\n`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'vgpu-replay-bench-'));
  const logs: [string, Record<string, string>][] = [
    ['embedded log (SQLite file)', { VGPU_TWIN_DATA_DIR: dir, TWIN_SNAPSHOT_STORE: 'none' }],
  ];
  const brokers = process.env['KAFKA_BROKERS'];
  if (brokers)
    logs.push([
      'Kafka 3.9.2 (local broker)',
      {
        VGPU_TWIN_DATA_DIR: dir,
        EVENT_LOG: 'kafka',
        KAFKA_BROKERS: brokers,
        KAFKA_REPLICATION_FACTOR: '1',
        VGPU_TWIN_STREAM_PREFIX: `bench${Date.now()}.`,
        TWIN_SNAPSHOT_STORE: 'none',
      },
    ]);
  for (const [, env] of logs) await record(env, [inv, tel]);

  console.log(
    '| log | end-to-end replay, events/s (median of 3) | runs | fold alone, events/s (median of 3) | ratio | alerts |',
  );
  console.log('| --- | ---: | --- | ---: | ---: | ---: |');
  const events = [...inv, ...tel] as TwinInput[];
  for (const [name, env] of logs) {
    const e2e: number[] = [];
    const fold: number[] = [];
    let alerts = 0;
    for (let r = 0; r < RUNS; r++) {
      let t = process.hrtime.bigint();
      const report = await runReplay({ ...window, out: '' }, env, () => undefined);
      e2e.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
      alerts = report.alerts.length;
      // Baseline in the same run: twin-core's replay over the same events already in memory.
      t = process.hrtime.bigint();
      replay(events, { ...window, config: defaultTwinConfig });
      fold.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
    }
    const fmt = (x: number) => Math.round(x).toLocaleString('en');
    console.log(
      `| ${name} | ${fmt(median(e2e))} | ${e2e.map((x) => `${Math.round(x / 1000)}k`).join(', ')} | ${fmt(median(fold))} | ${(median(e2e) / median(fold)).toFixed(2)} | ${alerts} |`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  const rss = process.memoryUsage().rss;
  console.log(`\npeak-ish RSS at the end: ${(rss / 2 ** 20).toFixed(0)} MiB`);
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
