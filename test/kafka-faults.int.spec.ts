import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { fixtures, partitionKey, Streams, type DomainEvent, type VmSample } from '@vgpu-twin/contracts';
import { KafkaEventLog, prefixed, type EventLog, type LogRecord } from '@vgpu-twin/event-log';
import { IngestConfigSchema, IngestModule, configureIngestHttp } from '@vgpu-twin/ingest';
import { bootService, listeningPort, loadConfig, streamSpecs } from '@vgpu-twin/service-kit';
import { createScenarioRun, demoIncident, recordRun } from '@vgpu-twin/simulation';
import { TwinConfigSchema, TwinModule, TwinProcessor, twinConfigFrom } from '@vgpu-twin/twin';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually, readAll } from '../libs/event-log/src/testing/event-log-contract';
import { describeIf, kafkaBrokers } from './support/components';
import { repoRoot } from './support/process';

/**
 * Fault tests on a real Apache Kafka broker of their own (port 29092, a temp data dir), started
 * and stopped with the project's deploy/local scripts, so stopping it disturbs nothing else.
 */
const run = promisify(execFile);
const PORT = 29092; // its controller listens on 29093
const BROKER = `127.0.0.1:${PORT}`;

describeIf(kafkaBrokers())('Kafka faults (a broker of their own)', () => {
  jest.setTimeout(240_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'vgpu-kafka-faults-'));
  const env = { ...process.env, KAFKA_PORT: String(PORT), KAFKA_DATA_DIR: dataDir };
  const broker = (action: 'up' | 'down') =>
    run('bash', [join(repoRoot, 'deploy/local', `kafka-${action}.sh`)], { env });
  const logs: EventLog[] = [];
  const open = (prefix: string) => {
    const log = prefixed(
      new KafkaEventLog({ brokers: [BROKER], clientId: 'faults', replicationFactor: 1 }),
      prefix,
    );
    logs.push(log);
    return log;
  };
  // a packed telemetry record (one GPU's samples of one request) is a JSON array of events
  const idsOf = (records: readonly LogRecord[]) =>
    records.flatMap((r) => {
      const v = JSON.parse(r.value) as { id: string } | { id: string }[];
      return (Array.isArray(v) ? v : [v]).map((e) => e.id);
    });

  beforeAll(async () => {
    await broker('up');
  });
  afterAll(async () => {
    await Promise.all(logs.map((l) => l.close().catch(() => undefined)));
    await broker('down').catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('(a) a broker restart mid-stream: every acknowledged event is in the log once and applied once; requests while it is down get a quick 503', async () => {
    const prefix = `fa${Date.now()}.`;
    const common = {
      EVENT_LOG: 'kafka',
      KAFKA_BROKERS: BROKER,
      KAFKA_REPLICATION_FACTOR: '1',
      VGPU_TWIN_STREAM_PREFIX: prefix,
      KAFKA_TELEMETRY_PARTITIONS: '3',
    };
    const ingestConfig = loadConfig(IngestConfigSchema, common);
    const twinConfig = loadConfig(TwinConfigSchema, { ...common, TWIN_INSTANCE_ID: 'fault-a' });
    const app: INestApplication = await bootService(
      {
        name: 'FaultA',
        port: 0,
        modules: () => [IngestModule.forRoot(ingestConfig), TwinModule.forRoot(twinConfig, dataDir)],
        bodyParser: false,
        shutdownHooks: false,
        configure: (a) => configureIngestHttp(a, ingestConfig),
        banner: () => 'fault test app up',
      },
      common,
    );
    try {
      const base = `http://127.0.0.1:${listeningPort(app)}`;
      const twin = app.get(TwinProcessor);
      const post = async (path: string, events: readonly DomainEvent[]) => {
        const t0 = Date.now();
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(events),
        });
        await res.text();
        return { status: res.status, ms: Date.now() - t0 };
      };
      const inventory = ['host.registered', 'gpu.registered', 'workload.profiled', 'vm.placed'] as const;
      expect(
        (
          await post(
            '/v1/inventory',
            inventory.map((t) => fixtures[t]),
          )
        ).status,
      ).toBe(202);

      const batch = (k: number): VmSample[] =>
        Array.from({ length: 20 }, (_, i) => ({
          ...fixtures['telemetry.vm_sample'],
          id: `a-${k}-${i}`,
          ts: new Date(Date.UTC(2026, 0, 1) + (k * 20 + i) * 1000).toISOString(),
        }));
      const acked = new Set<string>();
      const during: { status: number; ms: number }[] = [];
      const state = { phase: 'before' as 'before' | 'down' | 'after' };
      // A client that retries a batch (same ids) until ingest acknowledges it.
      const send = async (k: number) => {
        for (;;) {
          const r = await post('/v1/telemetry', batch(k));
          if (state.phase === 'down') during.push(r);
          if (r.status === 202) {
            batch(k).forEach((e) => acked.add(e.id));
            return;
          }
          expect([429, 503]).toContain(r.status); // a clear "retry later", never a 4xx for valid input
          await new Promise((res) => setTimeout(res, 200));
        }
      };
      let k = 0;
      for (; k < 10; k++) await send(k);
      state.phase = 'down';
      const stopped = broker('down');
      const sender = (async () => {
        for (; state.phase !== 'after' || k < 30; k++) await send(k);
      })();
      await stopped;
      await new Promise((r) => setTimeout(r, 3000)); // writes keep arriving while the broker is gone
      await broker('up');
      state.phase = 'after';
      await sender;

      expect(during.some((r) => r.status === 503)).toBe(true); // the outage was seen by clients…
      expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(15_000); // …quickly, not as a hang

      const telemetry = await readAll(open(prefix), Streams.telemetry);
      const ids = idsOf(telemetry);
      for (const id of acked) expect(ids.filter((x) => x === id)).toHaveLength(1);
      expect(new Set(ids).size).toBe(ids.length); // nothing written twice

      // The twin applied each acknowledged event once: 4 inventory events + every sample.
      await eventually(
        () => twin.status().events === inventory.length + acked.size,
        'the twin to apply everything',
        60_000,
      );
      expect(twin.status().events).toBe(inventory.length + acked.size);
    } finally {
      await app.close();
    }
  });

  it('(b) an undecodable telemetry message goes to the dead-letter stream with the reason, and the consumer goes on', async () => {
    const prefix = `fb${Date.now()}.`;
    const log = open(prefix);
    await log.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 1 }));
    const config = { ...twinConfigFrom(loadConfig(TwinConfigSchema, {})), dedupeWindow: 1000 };
    const twin = new TwinProcessor(log, config, { group: 'twin', instanceId: 'fault-b' });
    await twin.start();
    try {
      const inv = [
        fixtures['host.registered'],
        fixtures['gpu.registered'],
        fixtures['workload.profiled'],
        fixtures['vm.placed'],
      ];
      await log.append(
        Streams.inventory,
        inv.map((e) => ({ key: partitionKey(e), value: JSON.stringify(e), timestamp: 0 })),
      );
      const sample = (id: string) => ({ ...fixtures['telemetry.vm_sample'], id });
      await log.append(Streams.telemetry, [
        { key: 'gpu-1', value: JSON.stringify(sample('b-1')), timestamp: 1 },
        { key: 'gpu-1', value: '{"this is": not json', timestamp: 2 },
        { key: 'gpu-1', value: JSON.stringify({ ...sample('b-bad'), data: { vmId: 'vm-1' } }), timestamp: 3 },
        { key: 'gpu-1', value: JSON.stringify(sample('b-2')), timestamp: 4 },
      ]);
      await eventually(() => twin.status().events === inv.length + 2, 'the two valid samples', 60_000);
      await eventually(() => twin.status().deadLettered === 2, 'two dead letters', 30_000);
      const dead = (await readAll(log, Streams.deadLetter)).map(
        (r) => JSON.parse(r.value) as { reason: string; offset: number; stream: string; consumer: string },
      );
      expect(dead.map((d) => d.offset)).toEqual([1, 2]); // the two bad records, by their telemetry offsets
      expect(dead[0]!.reason).toMatch(/^not JSON/);
      expect(dead[1]!.reason).toMatch(/data\.gpuId/); // names the missing field
      expect(dead[0]!.stream).toBe(Streams.telemetry);
      expect(dead[0]!.consumer).toBe('twin:twin');
    } finally {
      await twin.stop();
    }
  });

  it('(c) a twin restarted mid-stream resumes from its committed offset without repeating an effect', async () => {
    const prefix = `fc${Date.now()}.`;
    const log = open(prefix);
    await log.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 3 }));
    const t0 = Date.UTC(2026, 2, 1);
    const run = createScenarioRun(demoIncident({ startS: 20, endS: 60 }), {
      startMs: t0,
      stepMs: 1000,
      seed: 5,
    });
    const { inventory: inv, telemetry: tel } = recordRun(run, 90);
    const toRecords = (events: readonly DomainEvent[]) =>
      events.map((e) => ({ key: partitionKey(e), value: JSON.stringify(e), timestamp: Date.parse(e.ts) }));
    await log.append(Streams.inventory, toRecords(inv));
    for (let i = 0; i < tel.length; i += 200)
      await log.append(Streams.telemetry, toRecords(tel.slice(i, i + 200)));

    const config = { ...twinConfigFrom(loadConfig(TwinConfigSchema, {})), dedupeWindow: 10_000 };
    const first = new TwinProcessor(log, config, { group: 'twin', instanceId: 'fault-c', maxBatchSize: 50 });
    await first.start();
    await eventually(
      () => first.status().events > inv.length + tel.length / 3,
      'a third of the stream',
      60_000,
    );
    await first.stop(); // mid-stream
    const appliedBefore = first.status().events;
    expect(appliedBefore).toBeLessThan(inv.length + tel.length);

    const second = new TwinProcessor(log, config, { group: 'twin', instanceId: 'fault-c', maxBatchSize: 50 });
    await second.start();
    await eventually(
      () => second.status().events === inv.length + tel.length,
      'the rest of the stream',
      60_000,
    );
    await second.stop();

    const alertRecords = await readAll(log, Streams.alerts);
    const alerts = idsOf(
      alertRecords.filter((r) => (JSON.parse(r.value) as { type: string }).type.startsWith('alert.')),
    );
    const everything = idsOf(alertRecords);
    expect(new Set(everything).size).toBe(everything.length); // suggestions not repeated either
    const twinOut = idsOf(await readAll(log, Streams.twin));
    expect(new Set(alerts).size).toBe(alerts.length); // no alert emitted twice
    expect(new Set(twinOut).size).toBe(twinOut.length); // no prediction or observation either
    // An uninterrupted run (the pure fold over the same events) raises exactly these alerts.
    const { initialState, step } = await import('@vgpu-twin/twin-core');
    const state = initialState(config.dedupeWindow);
    const expected = [...inv, ...tel]
      .flatMap((e) => step(state, e, config))
      .filter((o) => o.type.startsWith('alert.'))
      .map((o) => o.id);
    expect(expected.length).toBeGreaterThan(0); // the incident between 20 s and 60 s raises and resolves
    expect([...alerts].sort()).toEqual([...expected].sort());
  });
});
