import { partitionKey, Streams, type DomainEvent } from '@vgpu-twin/contracts';
import { loadConfig, LogConfigSchema, openEventLog, packRecords } from '@vgpu-twin/service-kit';
import { createScenarioRun, demoIncident, recordRun } from '@vgpu-twin/simulation';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplay } from '../apps/cli/src/commands/replay';
import { mergeLog } from '../apps/cli/src/replay/merge';
import { at } from '../apps/cli/src/testing/record-incident';
import { describeIf, kafkaBrokers, warmUpKafka } from './support/components';

/**
 * `vgpu-twin replay --workers N` reads and decodes the log in N worker threads and merges their
 * columns on the main thread: the report must be byte for byte the one a single thread makes, on
 * a log that holds both record forms (single events and packed arrays), device samples and
 * undecodable records — on both logs.
 */
async function recordMixedLog(env: NodeJS.ProcessEnv): Promise<number> {
  // the demo incident (libs/simulation): vm-002 turns heavy next to vm-001 from +60 s to +180 s
  const run = createScenarioRun(demoIncident({ startS: 60, endS: 180 }), {
    startMs: Date.parse(at(0)),
    stepMs: 1000,
    seed: 3,
  });
  const { inventory, telemetry } = recordRun(run, 300);
  const log = await openEventLog(loadConfig(LogConfigSchema, env));
  const single = (events: readonly DomainEvent[]) =>
    events.map((e) => ({ key: partitionKey(e), value: JSON.stringify(e), timestamp: Date.parse(e.ts) }));
  try {
    await log.append(Streams.inventory, single(inventory));
    const half = Math.floor(telemetry.length / 2);
    await log.append(Streams.telemetry, single(telemetry.slice(0, half)));
    // the rest as ingest writes it: one record per GPU per request, 4 events at most
    for (let i = half; i < telemetry.length; i += 64)
      await log.append(Streams.telemetry, packRecords(telemetry.slice(i, i + 64), partitionKey, 4));
    await log.append(Streams.telemetry, [
      { key: 'host-1-gpu-0', value: '{not json', timestamp: Date.parse(at(100)) },
      { key: 'host-1-gpu-1', value: '[{"type":"telemetry.vm_sample"}]', timestamp: Date.parse(at(101)) },
    ]);
    return telemetry.length;
  } finally {
    await log.close();
  }
}

function replayTwice(env: NodeJS.ProcessEnv) {
  return async (workers: number) => {
    const lines: string[] = [];
    const report = await runReplay({ from: at(30), to: at(240), out: '', workers }, env, (m) =>
      lines.push(m),
    );
    return { json: JSON.stringify(report), skipped: lines.filter((l) => l.includes('undecodable')) };
  };
}

async function expectSameReports(env: NodeJS.ProcessEnv): Promise<void> {
  const replay = replayTwice(env);
  const alone = await replay(0);
  const report = JSON.parse(alone.json) as { alerts: unknown[]; events: { inWindow: number } };
  expect(report.alerts.length).toBeGreaterThan(0); // the incident raised and resolved alerts
  expect(report.events.inWindow).toBeGreaterThan(0);
  expect(alone.skipped).toEqual(['replay: skipped 2 undecodable records (see the dead-letter stream)']); // the two appended above
  for (const workers of [1, 3]) {
    const pooled = await replay(workers);
    expect(pooled.json).toBe(alone.json);
    expect(pooled.skipped).toEqual(alone.skipped);
  }
}

describe('replay read workers on the embedded log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-replay-workers-'));
  const env = { VGPU_TWIN_DATA_DIR: dir };
  beforeAll(() => recordMixedLog(env), 120_000); // a loaded CI runner
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('give the report a single thread gives, byte for byte', () => expectSameReports(env), 120_000);

  it('stop the replay with the reason when one of them cannot read the log', async () => {
    // a data dir under a file: the worker cannot open the log; the merge must not wait for it forever
    const broken = loadConfig(LogConfigSchema, { VGPU_TWIN_DATA_DIR: '/dev/null/log' });
    const log = await openEventLog(loadConfig(LogConfigSchema, env));
    try {
      const range = { stream: Streams.telemetry, rank: 1, partition: 0, from: 0, to: 10 };
      await expect(
        mergeLog(
          log,
          broken,
          [range],
          1,
          () => undefined,
          () => undefined,
        ),
      ).rejects.toThrow(/ENOTDIR/);
    } finally {
      await log.close();
    }
  }, 60_000);
});

const brokers = kafkaBrokers();
describeIf(brokers)('replay read workers on Kafka', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-replay-workers-k-'));
  const env = {
    EVENT_LOG: 'kafka',
    KAFKA_BROKERS: brokers?.join(',') ?? '',
    VGPU_TWIN_STREAM_PREFIX: `replay-workers-${process.pid}-${Date.now()}.`,
    KAFKA_TELEMETRY_PARTITIONS: '4',
    VGPU_TWIN_DATA_DIR: dir,
  };
  beforeAll(async () => {
    await warmUpKafka(brokers!);
    await recordMixedLog(env);
  }, 180_000); // a fresh broker creates its internal topics first
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('give the report a single thread gives, byte for byte', () => expectSameReports(env), 180_000);
});
