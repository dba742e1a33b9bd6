import { partitionKey, Streams, type DomainEvent } from '@vgpu-twin/contracts';
import { loadConfig, LogConfigSchema, openEventLog } from '@vgpu-twin/service-kit';
import { mulberry32 } from '@vgpu-twin/scheduler';
import { createScenarioRun, demoIncident, recordRun } from '@vgpu-twin/simulation';
import { defaultModelPath, loadModel } from '../apps/twin/src/model-file';
import { defaultTwinConfig, initialState, stateHash, step } from '@vgpu-twin/twin-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { databaseUrl, describeIf, kafkaBrokers } from './support/components';
import { readAll } from '../libs/event-log/src/testing/event-log-contract';
import { spawnTs } from './support/process';

/**
 * kill -9 the twin at several points while it consumes a recorded stream, restart it each time,
 * and compare with an uninterrupted run: the same final state hash, and no alert emitted twice.
 */
const twinEnv = {
  TWIN_PORT: '0',
  TWIN_INSTANCE_ID: 'crash-test',
  TWIN_SNAPSHOT_EVERY: '300', // events between snapshots: several per run
  TWIN_SNAPSHOT_MIN_INTERVAL_MS: '0',
  TWIN_MAX_BATCH: '20', // small batches: many commit points to be killed between
  TWIN_SUSTAIN_SAMPLES: '5',
};
// The service predicts with the shipped model (TWIN_MODEL's default): the reference fold does too.
const twinConfig = { ...defaultTwinConfig, sustainSamples: 5, model: loadModel(defaultModelPath()).model };

function recordedStream(): { inventory: DomainEvent[]; telemetry: DomainEvent[] } {
  const t0 = Date.UTC(2026, 4, 1);
  const run = createScenarioRun(demoIncident({ startS: 30, endS: 150 }), {
    startMs: t0,
    stepMs: 1000,
    seed: 11,
  });
  return recordRun(run, 300);
}

function crashSuite(name: string, env: () => NodeJS.ProcessEnv): void {
  it(`${name}: after kill -9 and restarts the twin ends in the uninterrupted run's state and repeats no alert`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vgpu-crash-'));
    const allEnv = { VGPU_TWIN_DATA_DIR: dir, ...env(), ...twinEnv };
    const log = await openEventLog(loadConfig(LogConfigSchema, allEnv));
    try {
      const { inventory, telemetry } = recordedStream();
      const total = inventory.length + telemetry.length;
      const toRecords = (events: readonly DomainEvent[]) =>
        events.map((e) => ({ key: partitionKey(e), value: JSON.stringify(e), timestamp: Date.parse(e.ts) }));
      await log.append(Streams.inventory, toRecords(inventory));
      for (let i = 0; i < telemetry.length; i += 1000)
        await log.append(Streams.telemetry, toRecords(telemetry.slice(i, i + 1000)));

      // The uninterrupted run: the pure fold over the same events.
      const reference = initialState(twinConfig.dedupeWindow);
      const referenceAlerts = [...inventory, ...telemetry]
        .flatMap((e) => step(reference, e as Parameters<typeof step>[1], twinConfig))
        .filter(
          (o) => (o.type === 'alert.raised' || o.type === 'alert.resolved') && o.data.kind !== 'model_stale',
        )
        .map((o) => o.id);
      expect(referenceAlerts.length).toBeGreaterThanOrEqual(2); // the incident raises and resolves

      const rng = mulberry32(2026);
      const killAt = [0.15, 0.45, 0.75].map((f) => Math.floor(total * (f + rng() * 0.1))); // seeded "random" points
      const restored: unknown[] = [];
      for (let run = 0; ; run++) {
        const twin = spawnTs('apps/twin/src/main.ts', [], allEnv);
        const url = (await twin.waitFor(/status on (http:\/\/localhost:\d+)/, 90_000))[1]!;
        const status = async () =>
          (await (await fetch(`${url}/v1/twin/status`)).json()) as { events: number; restoredFrom: unknown };
        if (run > 0) restored.push((await status()).restoredFrom);
        const target = killAt[run];
        if (target === undefined) {
          const deadline = Date.now() + 120_000;
          while ((await status()).events < total && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 100));
          const final = (await (await fetch(`${url}/v1/twin/state-hash`)).json()) as {
            stateHash: string;
            events: number;
          };
          await twin.stop();
          expect(final.events).toBe(total); // each event applied once
          expect(final.stateHash).toBe(stateHash(reference));
          break;
        }
        while ((await status()).events < target) await new Promise((r) => setTimeout(r, 20));
        expect(await twin.stop('SIGKILL')).toBeNull(); // killed, not exited
      }
      expect(restored.filter((r) => r !== null).length).toBeGreaterThanOrEqual(2); // restarts resumed from snapshots

      const logged = (await readAll(log, Streams.alerts)).map(
        (r) => JSON.parse(r.value) as { id: string; type: string; data: { kind: string } },
      );
      const ids = logged.map((a) => a.id);
      expect(new Set(ids).size).toBe(ids.length); // no alert emitted twice
      // Per-VM alerts match the uninterrupted run exactly; the cluster-wide "model stale" alert is
      // named after whichever sample tipped it, which depends on how partitions interleaved.
      const perVm = logged
        .filter((a) => a.type.startsWith('alert.') && a.data.kind !== 'model_stale')
        .map((a) => a.id);
      expect([...perVm].sort()).toEqual([...referenceAlerts].sort());
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
}

describe('twin crash recovery (kill -9)', () => {
  crashSuite('embedded log + SQLite snapshots', () => ({
    EVENT_LOG: 'embedded',
    TWIN_SNAPSHOT_STORE: 'sqlite',
  }));

  const brokers = kafkaBrokers();
  const pg = databaseUrl();
  describeIf(brokers && pg)('on Kafka + PostgreSQL', () => {
    const db = `vgpu_crash_${process.pid}_${Date.now()}`;
    const dbUrl = () => {
      const u = new URL(pg!);
      u.pathname = `/${db}`;
      return u.toString();
    };
    const admin = async (sql: string) => {
      const c = new Client({ connectionString: pg });
      await c.connect();
      await c.query(sql);
      await c.end();
    };
    beforeAll(() => admin(`CREATE DATABASE ${db}`));
    afterAll(() => admin(`DROP DATABASE IF EXISTS ${db}`));
    crashSuite('Kafka + PostgreSQL snapshots', () => ({
      EVENT_LOG: 'kafka',
      KAFKA_BROKERS: brokers!.join(','),
      KAFKA_REPLICATION_FACTOR: '1',
      KAFKA_TELEMETRY_PARTITIONS: '4',
      KAFKA_SESSION_TIMEOUT_MS: '6000', // the broker's minimum: a killed member's partitions move on sooner
      VGPU_TWIN_STREAM_PREFIX: `crash-${Date.now()}.`,
      TWIN_SNAPSHOT_STORE: 'postgres',
      DATABASE_URL: dbUrl(),
    }));
  });
});
