/**
 * The baseline for `vgpu-twin replay`: the twin's fold alone over the same window, with the log
 * already read, decoded and merged into memory — what the replay would take if reading and
 * decoding cost nothing. Run it next to replay.bench.sh on the same log; the ratio of the two
 * rates is how much of the replay's time the log costs.
 *
 *   VGPU_TWIN_DATA_DIR=/tmp/replay-1h HOURS=1 RUNS=3 SWC_NODE_PROJECT=tsconfig.json \
 *     node --max-old-space-size=12000 -r @swc-node/register bench/replay-24h/fold-alone.ts
 *
 * Env: the log's own (EVENT_LOG, VGPU_TWIN_DATA_DIR, KAFKA_BROKERS, VGPU_TWIN_STREAM_PREFIX), HOURS
 * (the window from 2026-01-01T00:00:00Z, 1), RUNS (3). One line per run on stdout: events,
 * fold seconds, events/s, CPU µs per event; then the median.
 */
import { loadConfig, LogConfigSchema, openEventLog } from '@vgpu-twin/service-kit';
import { TwinConfigSchema, twinConfigFrom } from '@vgpu-twin/twin';
import { startReplay, type TwinInput } from '@vgpu-twin/twin-core';
import { performance } from 'node:perf_hooks';
import { replayRanges } from '../../apps/cli/src/commands/replay';
import { mergeLog } from '../../apps/cli/src/replay/merge';

const HOURS = Number(process.env['HOURS'] ?? 1);
const RUNS = Number(process.env['RUNS'] ?? 3);
const FROM = '2026-01-01T00:00:00.000Z';
const TO = new Date(Date.parse(FROM) + HOURS * 3600e3).toISOString();

async function main(): Promise<void> {
  const config = loadConfig(LogConfigSchema, process.env);
  const log = await openEventLog(config);
  const events: TwinInput[] = [];
  try {
    // the ranges `vgpu-twin replay` itself reads (events past --to are read and ignored, as there)
    const ranges = await replayRanges(log, Date.parse(TO));
    const t = performance.now();
    await mergeLog(
      log,
      config,
      ranges,
      2,
      (e) => void events.push(e as TwinInput),
      () => undefined,
    );
    console.error(
      `fold-alone: ${events.length} events read into memory in ${((performance.now() - t) / 1e3).toFixed(1)} s`,
    );
  } finally {
    await log.close();
  }
  const rates: number[] = [];
  console.log('# events fold_s events_per_s cpu_us_per_event');
  for (let run = 0; run < RUNS; run++) {
    const cpu = process.cpuUsage();
    const t = performance.now();
    // the config `vgpu-twin replay` folds with (the twin's, from the same env: its model included)
    const replay = startReplay({
      from: FROM,
      to: TO,
      config: twinConfigFrom(loadConfig(TwinConfigSchema, process.env)),
    });
    for (const e of events) replay.apply(e);
    const report = replay.finish();
    const seconds = (performance.now() - t) / 1e3;
    const used = process.cpuUsage(cpu);
    const n = report.events.beforeWindow + report.events.inWindow;
    rates.push(n / seconds);
    console.log(
      [n, seconds.toFixed(2), Math.round(n / seconds), ((used.user + used.system) / n).toFixed(2)].join(' '),
    );
  }
  rates.sort((a, b) => a - b);
  console.log(`# median ${Math.round(rates[Math.floor(rates.length / 2)]!)} events/s`);
}

main().catch((e: unknown) => {
  console.error(`fold-alone: ${(e as Error).message}`);
  process.exit(1);
});
