import { partitionKey, Streams, type DomainEvent } from '@vgpu-twin/contracts';
import { KafkaEventLog, partitionFor, prefixed, type EventLog } from '@vgpu-twin/event-log';
import { streamSpecs } from '@vgpu-twin/service-kit';
import { createScenarioRun, demoIncident } from '@vgpu-twin/simulation';
import { TwinProcessor } from '@vgpu-twin/twin';
import { defaultTwinConfig } from '@vgpu-twin/twin-core';
import { eventually, readAll } from '../libs/event-log/src/testing/event-log-contract';
import { describeIf, kafkaBrokers, warmUpKafka } from './support/components';

/**
 * Two twin instances on a real Kafka broker share the telemetry partitions through one consumer
 * group; every instance reads the whole inventory. Each GPU must be spoken for by exactly one
 * instance, and when one stops, the other takes its partitions over.
 */
const brokers = kafkaBrokers();
describeIf(brokers)('twin scale-out on Kafka (two instances, one consumer group)', () => {
  jest.setTimeout(180_000);
  const prefix = `so${Date.now()}.`;
  const PARTITIONS = 3; // telemetry partitions to share; the demo cluster's GPUs land on all 3 (murmur2 of their ids, checked below)
  const logs: EventLog[] = [];
  const open = (clientId: string) => {
    const log = prefixed(new KafkaEventLog({ brokers: brokers!, clientId, replicationFactor: 1 }), prefix);
    logs.push(log);
    return log;
  };
  const twin = (instanceId: string) =>
    new TwinProcessor(
      open(`twin-${instanceId}`),
      // `source` names the instance on every event it writes, so the test can tell who spoke
      { ...defaultTwinConfig, source: `twin/${instanceId}` },
      { group: 'twin', instanceId, maxBatchSize: 200 },
    );
  const t0 = Date.UTC(2026, 5, 1);
  const at = (s: number) => new Date(t0 + s * 1000).toISOString();
  // A calm cluster (the demo's, its incident never starts): this test is about who speaks, not what.
  const run = createScenarioRun(demoIncident({ startS: 1e9, endS: 0 }), {
    startMs: t0,
    stepMs: 1000,
    seed: 5,
  });
  const cluster = run.cluster;
  const records = (events: readonly DomainEvent[]) =>
    events.map((e) => ({ key: partitionKey(e), value: JSON.stringify(e), timestamp: Date.parse(e.ts) }));
  /** Telemetry of ticks `fromS` … `toS` − 1 (1 s each); the run's ticks only go forward. */
  const telemetry = (fromS: number, toS: number) => {
    while (run.ticks < fromS) run.tick();
    return records(Array.from({ length: toS - fromS }, () => run.tick().telemetry).flat());
  };
  /** Who wrote observations for each GPU, from `afterS` on. */
  const speakers = async (log: EventLog, afterS: number) => {
    const byGpu = new Map<string, Set<string>>();
    for (const r of await readAll(log, Streams.twin)) {
      const e = JSON.parse(r.value) as DomainEvent;
      if (e.type !== 'twin.observation' || e.ts < at(afterS)) continue;
      const set = byGpu.get(e.data.gpuId) ?? new Set<string>();
      set.add(e.source);
      byGpu.set(e.data.gpuId, set);
    }
    return byGpu;
  };

  beforeAll(async () => {
    await warmUpKafka(brokers!);
  });
  afterAll(async () => {
    await Promise.all(logs.map((l) => l.close().catch(() => undefined)));
  });

  it('splits the GPUs between the instances, each GPU to exactly one, and hands them all to the survivor when one stops', async () => {
    const writer = open('writer');
    await writer.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: PARTITIONS }));
    const gpuIds = cluster.gpus.map((g) => g.gpuId);
    expect(new Set(gpuIds.map((g) => partitionFor(g, PARTITIONS))).size).toBe(PARTITIONS);
    const a = twin('a');
    const b = twin('b');
    await a.start();
    await b.start();
    await eventually(
      () => {
        const [pa, pb] = [a.status().partitions, b.status().partitions];
        return pa.length > 0 && pb.length > 0 && pa.length + pb.length === PARTITIONS;
      },
      'both instances to hold telemetry partitions',
      60_000,
    );
    const [pa, pb] = [a.status().partitions, b.status().partitions];
    expect([...pa, ...pb].sort()).toEqual([0, 1, 2]); // a partition to one member only

    // The inventory arrives once the group is settled (see the README on rebalances: a GPU's
    // inventory-driven predictions can be written again, under the same ids, while one is under way).
    await writer.append(Streams.inventory, records(run.inventory()));
    await writer.append(Streams.telemetry, telemetry(1, 31));
    await eventually(
      async () => (await speakers(writer, 1)).size === gpuIds.length,
      'observations for every GPU',
      60_000,
    );
    const split = await speakers(writer, 1);
    for (const gpuId of gpuIds) {
      const owner = pa.includes(partitionFor(gpuId, PARTITIONS)) ? 'twin/a' : 'twin/b';
      expect({ gpuId, speakers: [...split.get(gpuId)!] }).toEqual({ gpuId, speakers: [owner] });
    }
    // predictions from the inventory are written once, by the GPU's owner only
    const predictions = (await readAll(writer, Streams.twin))
      .map((r) => JSON.parse(r.value) as DomainEvent)
      .filter((e) => e.type === 'twin.prediction');
    const ids = predictions.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of predictions) {
      if (p.type !== 'twin.prediction') continue;
      const owner = pa.includes(partitionFor(p.data.gpuId, PARTITIONS)) ? 'twin/a' : 'twin/b';
      expect({ id: p.id, source: p.source }).toEqual({ id: p.id, source: owner });
    }

    // b stops: the group rebalances and a takes every partition
    await b.stop();
    await eventually(() => a.status().partitions.length === PARTITIONS, 'a to take every partition', 60_000);
    await writer.append(Streams.telemetry, telemetry(31, 61));
    await eventually(
      async () => {
        const after = await speakers(writer, 31);
        return after.size === gpuIds.length;
      },
      'observations for every GPU after the rebalance',
      60_000,
    );
    const after = await speakers(writer, 31);
    for (const gpuId of gpuIds)
      expect({ gpuId, speakers: [...after.get(gpuId)!] }).toEqual({ gpuId, speakers: ['twin/a'] });
    // nothing b had already handled was repeated by a: every observation id once
    const observations = (await readAll(writer, Streams.twin))
      .map((r) => JSON.parse(r.value) as DomainEvent)
      .filter((e) => e.type === 'twin.observation')
      .map((e) => e.id);
    expect(new Set(observations).size).toBe(observations.length);
    await a.stop();
  });
});
