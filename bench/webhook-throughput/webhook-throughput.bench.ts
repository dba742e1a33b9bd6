/**
 * Webhook deliveries per second through the notifier's durable queue: N `notification.requested`
 * events appended to the notifications stream, then the real DeliveryWorker
 * (apps/notifier/src/lifecycle/delivery.ts: consume, decode, POST, append the outcome to the
 * lifecycle stream, commit) drains them into a local receiver (node:http on 127.0.0.1, 200 to
 * every POST, counting). Baseline in the same run: N plain sequential `fetch` POSTs of the same
 * body to the same receiver.
 *
 *   SWC_NODE_PROJECT=tsconfig.json KAFKAJS_NO_PARTITIONER_WARNING=1 \
 *     node -r @swc-node/register bench/webhook-throughput/webhook-throughput.bench.ts [embedded,kafka]
 *
 * Contenders, interleaved in each run (rotating order): the baseline; the worker with one
 * receiver (one partition: one notification at a time, as a receiver's queue is served in order);
 * the worker with RECEIVERS receivers, the same N notifications split among them, named so their
 * queues land on distinct partitions, and named so they share one partition (a batch's receivers
 * are served side by side). Rates are over the receiver's first
 * to last POST (a Kafka consumer group join before the first is left out and shown apart).
 *
 * Env: BENCH_RUNS (5), BENCH_N (2000), BENCH_RECEIVERS (4), KAFKA_BROKERS (127.0.0.1:9092).
 */
import { webhookPayload } from '@vgpu-twin/alerting';
import { fixtures, Streams, type NotificationRequested } from '@vgpu-twin/contracts';
import { partitionFor, type EventLog } from '@vgpu-twin/event-log';
import { appendEvents, loadConfig, LogConfigSchema, openEventLog } from '@vgpu-twin/service-kit';
import { partitionKey } from '@vgpu-twin/contracts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_RETRY_POLICY } from '../../apps/notifier/src/delivery/retry';
import type { Receiver } from '../../apps/notifier/src/delivery/receivers';
import { DeliveryWorker } from '../../apps/notifier/src/lifecycle/delivery';
import { deleteBenchTopics } from '../support/kafka';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5) || 5);
const N = Math.max(10, Number(process.env.BENCH_N ?? 2000) || 2000);
const RECEIVERS = Math.max(2, Number(process.env.BENCH_RECEIVERS ?? 4) || 4);
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const LOGS = (process.argv[2] ?? 'embedded,kafka').split(',') as ('embedded' | 'kafka')[];
/** The services' default KAFKA_TELEMETRY_PARTITIONS, which the notifications stream also gets. */
const PARTITIONS = 12;

const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// --- the receiver ---------------------------------------------------------------------------
interface Sink {
  readonly url: string;
  count: number;
  first: number;
  last: number;
  bytes: number;
  reset(): void;
  close(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const sink: { -readonly [K in keyof Sink]: Sink[K] } = {
    url: '',
    count: 0,
    first: 0,
    last: 0,
    bytes: 0,
    reset() {
      sink.count = 0;
      sink.first = 0;
      sink.last = 0;
      sink.bytes = 0;
    },
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((req, res) => {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => {
      const now = performance.now();
      if (sink.count === 0) sink.first = now;
      sink.count++;
      sink.last = now;
      sink.bytes += n;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  sink.close = () => new Promise<void>((r) => server.close(() => r()));
  return sink;
}

// --- the notifications ----------------------------------------------------------------------
const alert = fixtures['alert.opened'].data.alert;

/** A realistic body: Alertmanager's webhook payload (version 4) for an incident of one alert. */
function bodyFor(receiver: string, i: number): NotificationRequested['data']['body'] {
  return webhookPayload({
    receiver,
    groupKey: `{}:{incident="incident-${i}"}`,
    groupLabels: { incident: `incident-${i}` },
    alerts: [{ ...alert, alertId: `${alert.alertId}-${i}`, incidentId: `incident-${i}` }],
    externalURL: 'http://vgpu-twin.example:8080',
  });
}

function notifications(receivers: readonly string[], tag: string): NotificationRequested[] {
  const ts = new Date().toISOString();
  return Array.from({ length: N }, (_, i) => {
    const receiver = receivers[i % receivers.length]!;
    const notificationId = `${tag}-n${i}`;
    return {
      id: notificationId,
      type: 'notification.requested',
      version: 1,
      ts,
      source: 'notifier',
      data: {
        notificationId,
        receiver,
        receiverKind: 'webhook',
        incidentId: `incident-${i}`,
        body: bodyFor(receiver, i),
      },
    };
  });
}

/** Receiver names whose queues (keyed by name) land on distinct partitions, or all on hook-0's. */
function receiverNames(n: number, samePartition: boolean): string[] {
  const names: string[] = [];
  const used = new Set<number>();
  const first = partitionFor('hook-0', PARTITIONS);
  for (let i = 0; names.length < n; i++) {
    const p = partitionFor(`hook-${i}`, PARTITIONS);
    if (samePartition ? p !== first : used.has(p)) continue;
    used.add(p);
    names.push(`hook-${i}`);
  }
  return names;
}

// --- contenders -----------------------------------------------------------------------------
interface Measured {
  /** Deliveries per second between the receiver's first and last POST. */
  readonly rate: number;
  /** From start() (or the first fetch) to the first POST at the receiver. */
  readonly startMs: number;
  /** From start() to the last outcome event on the lifecycle stream. */
  readonly totalMs: number;
}

async function baseline(sink: Sink): Promise<Measured> {
  const body = JSON.stringify(bodyFor('hook-0', 0));
  sink.reset();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const res = await fetch(sink.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.body?.cancel();
    if (res.status !== 200) throw new Error(`receiver answered ${res.status}`);
  }
  const t1 = performance.now();
  return {
    rate: (sink.count - 1) / ((sink.last - sink.first) / 1000),
    startMs: sink.first - t0,
    totalMs: t1 - t0,
  };
}

async function openLog(
  kind: 'embedded' | 'kafka',
  tag: string,
): Promise<{ log: EventLog; done: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-webhook-bench-'));
  const prefixes = [`bench-whk-${tag}.`, `bench-whk-${tag}r.`];
  const open = (prefix: string) =>
    openEventLog(
      loadConfig(LogConfigSchema, {
        EVENT_LOG: kind,
        VGPU_TWIN_DATA_DIR: dir,
        KAFKA_BROKERS: BROKERS,
        VGPU_TWIN_STREAM_PREFIX: kind === 'kafka' ? prefix : '',
      }),
    );
  const cleanUp = async () => {
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'kafka') toDelete.push(...prefixes);
  };
  // Under load a fresh topic's metadata can lag its creation (kafkajs createTopics with
  // waitForLeaders throws "This server does not host this topic-partition"): tried once more,
  // on fresh topics.
  let eventLog: EventLog;
  try {
    eventLog = await open(prefixes[0]!).catch((e: unknown) => {
      log(`opening the log failed, trying once more: ${(e as Error).message}`);
      return open(prefixes[1]!);
    });
  } catch (e) {
    await cleanUp();
    throw e;
  }
  return {
    log: eventLog,
    done: async () => {
      await eventLog.close();
      await cleanUp();
    },
  };
}

async function worker(
  kind: 'embedded' | 'kafka',
  sink: Sink,
  receivers: readonly string[],
): Promise<Measured> {
  const tag = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const { log: eventLog, done } = await openLog(kind, tag);
  const w = new DeliveryWorker(eventLog, {
    group: `bench.delivery.${tag}`,
    receivers: receivers.map((name): Receiver => ({ name, kind: 'webhook', url: sink.url })),
    policy: DEFAULT_RETRY_POLICY,
  });
  try {
    const queued = notifications(receivers, tag);
    for (let i = 0; i < queued.length; i += 500)
      await appendEvents(
        eventLog,
        new Map([[Streams.notifications, queued.slice(i, i + 500)]]),
        partitionKey,
      );
    sink.reset();
    const outcomes0 = await lifecycleLength(eventLog);
    const t0 = performance.now();
    await w.start();
    const deadline = t0 + 120_000;
    while (
      (sink.count < N || (await lifecycleLength(eventLog)) - outcomes0 < N) &&
      performance.now() < deadline
    )
      await sleep(5);
    const t1 = performance.now();
    if (sink.count !== N) throw new Error(`${sink.count} of ${N} delivered after 120 s`);
    return {
      rate: (sink.count - 1) / ((sink.last - sink.first) / 1000),
      startMs: sink.first - t0,
      totalMs: t1 - t0,
    };
  } finally {
    await w.stop();
    await done();
  }
}

async function lifecycleLength(eventLog: EventLog): Promise<number> {
  return (await eventLog.endOffsets(Streams.lifecycle)).reduce((s, p) => s + p.offset, 0);
}

/** Topic prefixes of this bench's Kafka runs, deleted when it ends (deleteBenchTopics). */
const toDelete: string[] = [];

// --- main -----------------------------------------------------------------------------------
async function main(): Promise<void> {
  log(
    `${cpus()[0]?.model ?? '?'}, ${cpus().length} cores, Node ${process.version}, load ${loadavg()[0]!.toFixed(1)}; ` +
      `logs ${LOGS.join(',')}, N ${N}, ${RUNS} runs, ${RECEIVERS} receivers in the parallel case`,
  );
  const sink = await startSink();
  const spread = receiverNames(RECEIVERS, false);
  const shared = receiverNames(RECEIVERS, true);
  log(`receivers on distinct partitions: ${spread.join(', ')}; on one partition: ${shared.join(', ')}`);
  type Key = string;
  const results = new Map<Key, Measured[]>();
  const add = (k: Key, m: Measured) => results.set(k, [...(results.get(k) ?? []), m]);
  // warm-up: the fetch path, an embedded worker
  await baseline(sink);
  await worker('embedded', sink, ['hook-0']);
  for (let run = 1; run <= RUNS; run++) {
    const contenders: [Key, () => Promise<Measured>][] = [['baseline', () => baseline(sink)]];
    for (const kind of LOGS) {
      contenders.push([`${kind} 1`, () => worker(kind, sink, ['hook-0'])]);
      contenders.push([`${kind} ${RECEIVERS} spread`, () => worker(kind, sink, spread)]);
      contenders.push([`${kind} ${RECEIVERS} shared`, () => worker(kind, sink, shared)]);
    }
    const order = contenders.map((_, i) => contenders[(i + run) % contenders.length]!);
    for (const [k, f] of order) {
      const m = await f();
      add(k, m);
      log(
        `run ${run} ${k}: ${fInt(m.rate)}/s (first POST after ${m.startMs.toFixed(0)} ms, all outcomes in ${m.totalMs.toFixed(0)} ms)`,
      );
    }
  }
  await sink.close();

  const base = median(results.get('baseline')!.map((m) => m.rate));
  const rows = [
    `| contender | deliveries/s (median of ${RUNS}) | runs | ratio to baseline (median) | first POST after, ms (median) | N in, ms (median) |`,
    '| --- | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const [k, ms] of results) {
    const rate = median(ms.map((m) => m.rate));
    const label =
      k === 'baseline'
        ? 'baseline: sequential `fetch`'
        : `DeliveryWorker, ${k.split(' ')[0]} log, ${
            k.endsWith(' 1')
              ? '1 receiver'
              : `${RECEIVERS} receivers, ${k.endsWith('spread') ? 'distinct partitions' : 'one partition'}`
          }`;
    rows.push(
      `| ${label} | ${fInt(rate)} | ${ms.map((m) => fInt(m.rate)).join(', ')} | ${(rate / base).toFixed(2)} | ` +
        `${median(ms.map((m) => m.startMs)).toFixed(0)} | ${fInt(median(ms.map((m) => m.totalMs)))} |`,
    );
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  log(`load ${loadavg()[0]!.toFixed(1)} at the end`);
}

main()
  .finally(() => deleteBenchTopics(BROKERS, toDelete, log))
  .catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
