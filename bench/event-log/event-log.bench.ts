/**
 * Event-log benchmark: produce and consume rates of both EventLog adapters with telemetry-sized
 * messages (real `telemetry.vm_sample` events, ~300 B of JSON, keyed by gpuId) at batch sizes 1,
 * 100 and 1000, and our Kafka adapter's produce rate as a ratio of a bare kafkajs producer's rate
 * for the same messages in the same run.
 *
 *   KAFKA_PORT=39092 KAFKA_DATA_DIR=/tmp/kafka-bench bash deploy/local/kafka-up.sh
 *   KAFKA_BROKERS=127.0.0.1:39092 SWC_NODE_PROJECT=tsconfig.json KAFKAJS_NO_PARTITIONER_WARNING=1 \
 *     node -r @swc-node/register bench/event-log/event-log.bench.ts
 *   KAFKA_PORT=39092 KAFKA_DATA_DIR=/tmp/kafka-bench bash deploy/local/kafka-down.sh
 *
 * Env: KAFKA_BROKERS (default 127.0.0.1:9092), BENCH_RUNS (5), BENCH_SCALE (1: multiplies every
 * message count), BENCH_EMBEDDED_DIR (a temporary directory: must be a real disk for FULL to mean
 * anything), KAFKA_VERSION (only printed; 3.9.2 is what deploy/local starts).
 *
 * Every append is awaited before the next, as ingest does (one HTTP request = one append = one
 * batch). Each measurement runs BENCH_RUNS times with fresh topics / streams / groups. The contenders
 * of a comparison (KafkaEventLog, bare kafkajs idempotent, bare kafkajs non-idempotent; SQLite FULL
 * and NORMAL) are interleaved in 10–20 slices per measurement with a rotating order, so load from other
 * processes hits them alike; ratios are computed from the medians. With KAFKA_DATA_DIR (or
 * KAFKA_BROKER_PID) set, the broker's CPU time is read from /proc as well. Raw runs go to
 * bench/event-log/results.json.
 */
import { fixtures } from '@vgpu-twin/contracts';
import {
  EmbeddedEventLog,
  KafkaEventLog,
  partitionFor,
  type AppendRecord,
  type EventLog,
  type LogRecord,
} from '@vgpu-twin/event-log';
import { Kafka, logLevel, type Admin, type Message, type Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

// --- configuration --------------------------------------------------------------------------
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter((b) => b !== '');
const RUNS = Math.max(1, Number.parseInt(process.env.BENCH_RUNS ?? '5', 10) || 5);
const SCALE = Number.parseFloat(process.env.BENCH_SCALE ?? '1') || 1;
const KAFKA_VERSION = process.env.KAFKA_VERSION ?? '3.9.2';
/** The services' default KAFKA_TELEMETRY_PARTITIONS. */
const PARTITIONS = 12;
const BATCH_SIZES = [1, 100, 1000] as const;
type BatchSize = (typeof BATCH_SIZES)[number];
/** Distinct GPUs (keys) and VMs per GPU in the message pool. */
const GPUS = 500;
const VMS_PER_GPU = 4;

/** Messages per measurement, picked so one measurement takes ~1–3 s on the 2-core dev machine. */
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE));
const COUNTS = {
  'embedded FULL': { 1: scaled(3_000), 100: scaled(40_000), 1000: scaled(100_000) },
  'embedded NORMAL': { 1: scaled(10_000), 100: scaled(50_000), 1000: scaled(100_000) },
  kafka: { 1: scaled(2_000), 100: scaled(30_000), 1000: scaled(60_000) },
} satisfies Record<string, Record<BatchSize, number>>;

const KAFKA_CLIENT = {
  // Same client settings as KafkaEventLog, so the baselines differ from it only in what we measure.
  logLevel: logLevel.NOTHING,
  connectionTimeout: 3000,
  requestTimeout: 10_000,
  retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
};

// --- helpers --------------------------------------------------------------------------------
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmtInt = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const fmt1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);
const MB = 1e6;

// --- messages -------------------------------------------------------------------------------
interface Pool {
  readonly records: AppendRecord[];
  /** The same records as kafkajs messages with the partition our adapter would choose. */
  readonly messages: Message[];
  /** key + value bytes of records[0..i) */
  readonly bytesBefore: Float64Array;
}

/** Real telemetry events as ingest appends them: JSON of the validated event, key = gpuId. */
function makePool(n: number): Pool {
  const base = fixtures['telemetry.vm_sample'];
  // Recent event times, as live telemetry has: Kafka's retention works on CreateTime (the record
  // timestamp), so events dated months back would be deleted by the broker while we read them.
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const records: AppendRecord[] = [];
  const messages: Message[] = [];
  const bytesBefore = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const gpu = i % GPUS;
    const vm = gpu * VMS_PER_GPU + (Math.floor(i / GPUS) % VMS_PER_GPU);
    const ts = t0 + Math.floor(i / (GPUS * VMS_PER_GPU)) * 1000;
    const event = {
      ...base,
      id: randomUUID(),
      ts: new Date(ts).toISOString(),
      source: 'simulator',
      data: {
        ...base.data,
        vmId: `vm-${String(vm).padStart(5, '0')}`,
        gpuId: `gpu-${String(gpu).padStart(4, '0')}`,
        gpuUtilPct: (i * 7) % 101,
        memUtilPct: (i * 13) % 101,
        fbUsedMib: 4096 + ((i * 31) % 12288),
        progressRate: Math.round(((i * 17) % 1000) / 10) / 10,
      },
    };
    const r: AppendRecord = { key: event.data.gpuId, value: JSON.stringify(event), timestamp: ts };
    records.push(r);
    messages.push({
      key: r.key,
      value: r.value,
      timestamp: String(r.timestamp),
      partition: partitionFor(r.key, PARTITIONS),
    });
    bytesBefore[i + 1] = bytesBefore[i]! + Buffer.byteLength(r.key) + Buffer.byteLength(r.value);
  }
  return { records, messages, bytesBefore };
}

function batchesOf<T>(items: readonly T[], n: number, size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < n; i += size) out.push(items.slice(i, Math.min(n, i + size)));
  return out;
}

// --- measurements ---------------------------------------------------------------------------
interface ProduceRun {
  readonly kind: 'produce';
  readonly adapter: string;
  readonly batch: BatchSize;
  readonly run: number;
  readonly messages: number;
  readonly bytes: number;
  readonly seconds: number;
  /** CPU time of this (client) process during the measurement: user + system. */
  readonly cpuSeconds: number;
  /** CPU time of the Kafka broker's JVM during the measurement (null: unknown pid / embedded). */
  readonly brokerCpuSeconds: number | null;
  readonly msgsPerSec: number;
  readonly mbPerSec: number;
}

interface ConsumeRun {
  readonly kind: 'consume';
  readonly adapter: string;
  readonly run: number;
  readonly messages: number;
  readonly bytes: number;
  /** From the consume()/connect call to the last record handled (includes joining the group). */
  readonly seconds: number;
  /** From the first handler call to the last (steady-state reading). */
  readonly secondsAfterFirst: number;
  readonly firstBatch: number;
  readonly msgsPerSec: number;
  readonly msgsPerSecAfterFirst: number;
  readonly mbPerSec: number;
}

const produceRuns: ProduceRun[] = [];
const consumeRuns: ConsumeRun[] = [];

function recordProduce(
  adapter: string,
  batch: BatchSize,
  run: number,
  n: number,
  { seconds, cpuSeconds, brokerCpuSeconds }: Timing,
  pool: Pool,
): void {
  const bytes = pool.bytesBefore[n]!;
  produceRuns.push({
    kind: 'produce',
    adapter,
    batch,
    run,
    messages: n,
    bytes,
    seconds,
    cpuSeconds,
    brokerCpuSeconds,
    msgsPerSec: n / seconds,
    mbPerSec: bytes / seconds / MB,
  });
  log(`run ${run} produce ${adapter} batch ${batch}: ${fmtInt(n / seconds)} msg/s (${seconds.toFixed(2)} s)`);
}

interface Timing {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly brokerCpuSeconds: number | null;
}

/**
 * The local broker's pid (deploy/local writes it to $KAFKA_DATA_DIR/kafka.pid, or set
 * KAFKA_BROKER_PID), to measure its CPU time from /proc: Linux, same machine only.
 */
const brokerPid = ((): number | null => {
  const explicit = process.env.KAFKA_BROKER_PID;
  const file = process.env.KAFKA_DATA_DIR ? join(process.env.KAFKA_DATA_DIR, 'kafka.pid') : null;
  const text = explicit ?? (file && existsSync(file) ? readFileSync(file, 'utf8') : '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && existsSync(`/proc/${pid}/stat`) ? pid : null;
})();

/** utime + stime of the broker in seconds (clock ticks of 10 ms). */
function brokerCpu(): number | null {
  if (brokerPid === null) return null;
  try {
    const stat = readFileSync(`/proc/${brokerPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function timed(f: () => Promise<void>, broker = false): Promise<Timing> {
  const b0 = broker ? brokerCpu() : null;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const b1 = b0 === null ? null : brokerCpu();
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    brokerCpuSeconds: b0 === null || b1 === null ? null : b1 - b0,
  };
}

/** One side of a comparison: `append(i)` sends batch i of `batches` and resolves once acknowledged. */
interface Contender {
  readonly adapter: string;
  readonly messages: number;
  readonly batches: number;
  readonly append: (i: number) => Promise<unknown>;
  /** Whether to measure the broker's CPU too (Kafka contenders). */
  readonly broker: boolean;
}

function contender<T>(
  adapter: string,
  items: readonly T[],
  n: number,
  batch: BatchSize,
  send: (batch: T[]) => Promise<unknown>,
  broker: boolean,
): Contender {
  const batches = batchesOf(items, n, batch);
  return { adapter, messages: n, batches: batches.length, append: (i) => send(batches[i]!), broker };
}

/**
 * Slices per measurement: contenders alternate every 50–250 appends at batch 1 and every 6–50 appends
 * at batches 100 and 1000 (~0.05–0.4 s), so bursts of load from other processes hit them alike.
 */
const SLICES: Record<BatchSize, number> = { 1: 40, 100: 10, 1000: 10 };

/**
 * Appends each contender's batches in order, each append awaited (one ingest request = one append),
 * in SLICES[batch] rounds; within a round every contender sends its next slice, the order rotating by run
 * and round. Time and CPU are summed over a contender's slices.
 */
async function interleaved(
  run: number,
  batch: BatchSize,
  contenders: readonly Contender[],
  pool: Pool,
): Promise<void> {
  const acc = contenders.map(
    (): { seconds: number; cpuSeconds: number; brokerCpuSeconds: number | null } => ({
      seconds: 0,
      cpuSeconds: 0,
      brokerCpuSeconds: 0,
    }),
  );
  const slices = SLICES[batch];
  for (let slice = 0; slice < slices; slice++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + run + slice) % contenders.length;
      const c = contenders[i]!;
      const from = Math.floor((c.batches * slice) / slices);
      const to = Math.floor((c.batches * (slice + 1)) / slices);
      const t = await timed(async () => {
        for (let b = from; b < to; b++) await c.append(b);
      }, c.broker);
      const a = acc[i]!;
      a.seconds += t.seconds;
      a.cpuSeconds += t.cpuSeconds;
      a.brokerCpuSeconds =
        a.brokerCpuSeconds === null || t.brokerCpuSeconds === null
          ? null
          : a.brokerCpuSeconds + t.brokerCpuSeconds;
    }
  }
  contenders.forEach((c, i) => recordProduce(c.adapter, batch, run, c.messages, acc[i]!, pool));
}

interface ReadTiming {
  readonly seconds: number;
  readonly secondsAfterFirst: number;
  readonly firstBatch: number;
}

/** Runs `start` (which must begin delivering batches to `onBatch`) until `expected` records arrived. */
async function timeConsumption(
  expected: number,
  start: (onBatch: (n: number) => void) => Promise<() => Promise<void>>,
  timeoutMs = 120_000,
): Promise<ReadTiming> {
  let seen = 0;
  let tFirst = 0;
  let firstBatch = 0;
  let tLast = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const t0 = performance.now();
  const stop = await start((n) => {
    const now = performance.now();
    if (seen === 0) {
      tFirst = now;
      firstBatch = n;
    }
    seen += n;
    if (seen >= expected && tLast === 0) {
      tLast = now;
      done();
    }
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      finished,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`consumed ${seen} of ${expected} records within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await stop();
  }
  return {
    seconds: (tLast - t0) / 1000,
    secondsAfterFirst: (tLast - tFirst) / 1000,
    firstBatch,
  };
}

function recordConsume(adapter: string, run: number, n: number, bytes: number, t: ReadTiming): void {
  consumeRuns.push({
    kind: 'consume',
    adapter,
    run,
    messages: n,
    bytes,
    seconds: t.seconds,
    secondsAfterFirst: t.secondsAfterFirst,
    firstBatch: t.firstBatch,
    msgsPerSec: n / t.seconds,
    msgsPerSecAfterFirst: (n - t.firstBatch) / t.secondsAfterFirst,
    mbPerSec: bytes / t.seconds / MB,
  });
  log(
    `run ${run} consume ${adapter}: ${fmtInt(n / t.seconds)} msg/s incl. start, ` +
      `${fmtInt((n - t.firstBatch) / t.secondsAfterFirst)} msg/s after the first batch`,
  );
}

// --- Kafka ----------------------------------------------------------------------------------
const OURS = 'kafka: KafkaEventLog';
const BARE = 'kafka: bare kafkajs, idempotent';
const PLAIN = 'kafka: bare kafkajs, not idempotent';
const KAFKA_VARIANTS = [OURS, BARE, PLAIN] as const;
type KafkaVariant = (typeof KAFKA_VARIANTS)[number];
const CONSUME_OURS = 'kafka: KafkaEventLog.consume()';
const CONSUME_BARE = 'kafka: bare kafkajs consumer (eachBatch, auto-commit)';

async function connectOrExplain(): Promise<Admin> {
  const admin = new Kafka({
    ...KAFKA_CLIENT,
    clientId: 'event-log-bench-admin',
    brokers: BROKERS,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return admin;
  } catch (e) {
    await admin.disconnect().catch(() => undefined);
    const why = e instanceof Error ? e.message : String(e);
    process.stderr.write(
      `\nCannot connect to Kafka at ${BROKERS.join(',')} (${why}).\n` +
        'Start a broker of your own and point the bench at it, e.g.\n' +
        '  KAFKA_PORT=39092 KAFKA_DATA_DIR=/tmp/kafka-bench bash deploy/local/kafka-up.sh\n' +
        '  KAFKA_BROKERS=127.0.0.1:39092 SWC_NODE_PROJECT=tsconfig.json KAFKAJS_NO_PARTITIONER_WARNING=1 \\\n' +
        '    node -r @swc-node/register bench/event-log/event-log.bench.ts\n',
    );
    process.exit(2);
  }
}

async function createTopics(admin: Admin, names: readonly string[]): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: names.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: -1 })),
  });
  // A busy broker answers NOT_LEADER_FOR_PARTITION for a while after creating hundreds of
  // partitions, longer than the producers' own retries: wait until every partition's leader answers
  // ListOffsets (which, like Produce, only the leader serves).
  const deadline = Date.now() + 120_000;
  for (const topic of names) {
    for (;;) {
      try {
        await admin.fetchTopicOffsets(topic);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await sleep(500);
      }
    }
  }
}

async function kafkaBench(pool: Pool, tag: string): Promise<void> {
  const admin = await connectOrExplain();
  const ours = new KafkaEventLog({ brokers: BROKERS, clientId: 'event-log-bench-ours' });
  const bareKafka = new Kafka({ ...KAFKA_CLIENT, clientId: 'event-log-bench-bare', brokers: BROKERS });
  // The producer KafkaEventLog makes, minus the adapter around it.
  const bare = bareKafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  const plain = bareKafka.producer({ allowAutoTopicCreation: false });
  await Promise.all([bare.connect(), plain.connect()]);

  const short = { [OURS]: 'ours', [BARE]: 'bare', [PLAIN]: 'plain' } as const;
  const topicOf = (run: number, v: KafkaVariant, b: BatchSize): string =>
    `bench-${tag}-r${run}-${short[v]}-b${b}`;
  const runTopics = (run: number): string[] =>
    BATCH_SIZES.flatMap((b) => KAFKA_VARIANTS.map((v) => topicOf(run, v, b)));
  const warm = `bench-${tag}-warmup`;
  // Every topic up front (fresh ones per run), so no topic creation happens while we measure.
  // They are deleted only at the end: a kafkajs producer keeps every topic it has sent to in its
  // metadata requests, and fails once one of them is gone (UNKNOWN_TOPIC_OR_PARTITION).
  const created = [warm, ...Array.from({ length: RUNS }, (_, r) => runTopics(r + 1)).flat()];
  await createTopics(admin, created);
  log(`created ${created.length} topics of ${PARTITIONS} partitions`);
  await sleep(3000);

  const contenderOf = (v: KafkaVariant, topic: string, batch: BatchSize, n: number): Contender => {
    if (v === OURS) return contender(v, pool.records, n, batch, (b) => ours.append(topic, b), true);
    const producer: Producer = v === BARE ? bare : plain;
    return contender(
      v,
      pool.messages,
      n,
      batch,
      (messages) => producer.send({ topic, acks: -1, messages }),
      true,
    );
  };
  // One record per topic first, untimed: connects the producer to the topic's leader and (ours)
  // caches the partition count, so the timed part is the steady state a long-running ingest sees.
  const prime = async (v: KafkaVariant, topic: string): Promise<void> => {
    await contenderOf(v, topic, 1, 1).append(0);
  };

  const consumeOurs = (topics: readonly string[], expected: number): Promise<ReadTiming> =>
    timeConsumption(expected, async (onBatch) => {
      const c = await ours.consume({
        group: `bench-${tag}-ours-${randomUUID()}`,
        streams: topics,
        handler: async (records: readonly LogRecord[]) => onBatch(records.length),
      });
      return () => c.stop();
    });
  const consumeBare = (topics: readonly string[], expected: number): Promise<ReadTiming> =>
    timeConsumption(expected, async (onBatch) => {
      // Same fetch wait as KafkaEventLog's consumer; kafkajs' auto-commit commits after every batch too.
      const c = bareKafka.consumer({ groupId: `bench-${tag}-bare-${randomUUID()}`, maxWaitTimeInMs: 100 });
      await c.connect();
      for (const topic of topics) await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachBatch: async ({ batch }) => onBatch(batch.messages.length) });
      return () => c.disconnect();
    });

  // Warm-up (JIT of every path, connections, broker page cache) on a topic of its own.
  const warmCounts = [
    [1, 200],
    [100, 10_000],
    [1000, 30_000],
  ] as const;
  for (const v of KAFKA_VARIANTS) {
    await prime(v, warm);
    for (const [b, n] of warmCounts) {
      const c = contenderOf(v, warm, b, n);
      for (let i = 0; i < c.batches; i++) await c.append(i);
    }
  }
  const warmTotal = KAFKA_VARIANTS.length * (1 + warmCounts.reduce((a, [, n]) => a + n, 0));
  await consumeOurs([warm], warmTotal);
  await consumeBare([warm], warmTotal);
  log('kafka warm-up done');

  for (let run = 1; run <= RUNS; run++) {
    for (const batch of BATCH_SIZES) {
      const n = COUNTS.kafka[batch];
      for (const v of KAFKA_VARIANTS) await prime(v, topicOf(run, v, batch));
      await interleaved(
        run,
        batch,
        KAFKA_VARIANTS.map((v) => contenderOf(v, topicOf(run, v, batch), batch, n)),
        pool,
      );
    }

    // Read back everything this run produced: 9 topics, each with its untimed first record.
    const topics = runTopics(run);
    const expected = KAFKA_VARIANTS.length * BATCH_SIZES.reduce((a, b) => a + COUNTS.kafka[b] + 1, 0);
    const bytes =
      KAFKA_VARIANTS.length *
      BATCH_SIZES.reduce((a, b) => a + pool.bytesBefore[COUNTS.kafka[b]]! + pool.bytesBefore[1]!, 0);
    const readers = [
      async () => recordConsume(CONSUME_OURS, run, expected, bytes, await consumeOurs(topics, expected)),
      async () => recordConsume(CONSUME_BARE, run, expected, bytes, await consumeBare(topics, expected)),
    ];
    for (const read of run % 2 ? readers : readers.reverse()) await read();
  }

  await Promise.all([ours.close(), bare.disconnect(), plain.disconnect()]);
  await admin.deleteTopics({ topics: created }).catch((e: unknown) => log(`deleteTopics: ${String(e)}`));
  await admin.disconnect();
}

// --- embedded -------------------------------------------------------------------------------
/** A fresh consumer group reading the streams from the beginning (default maxBatchSize 1000). */
const consumeAll = (el: EventLog, streams: readonly string[], n: number): Promise<ReadTiming> =>
  timeConsumption(n, async (onBatch) => {
    const c = await el.consume({
      group: `g-${randomUUID()}`,
      streams,
      handler: async (records) => onBatch(records.length),
    });
    return () => c.stop();
  });

/** read() of every partition of the streams from offset 0, 1000 records at a time. */
const readAll = (el: EventLog, streams: readonly string[], n: number): Promise<ReadTiming> =>
  timeConsumption(n, async (onBatch) => {
    for (const stream of streams) {
      for (let p = 0; p < PARTITIONS; p++) {
        for (let offset = 0; ;) {
          const records = await el.read(stream, p, offset, 1000);
          if (records.length === 0) break;
          onBatch(records.length);
          offset = records[records.length - 1]!.offset + 1;
        }
      }
    }
    return async () => undefined;
  });

const MODES = ['FULL', 'NORMAL'] as const;

async function embeddedBench(pool: Pool, tag: string): Promise<void> {
  const dir = process.env.BENCH_EMBEDDED_DIR ?? mkdtempSync(join(tmpdir(), 'event-log-bench-'));
  const open = (file: string, mode: (typeof MODES)[number]): EmbeddedEventLog =>
    new EmbeddedEventLog({ file: join(dir, file), synchronous: mode });
  const remove = (file: string): void => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, file + suffix), { force: true });
  };
  const streamOf = (b: BatchSize): string => `bench-b${b}`;
  const streams = BATCH_SIZES.map(streamOf);
  try {
    for (const mode of MODES) {
      const file = `${tag}-warmup-${mode}.sqlite`;
      const w = open(file, mode);
      await w.ensureStreams([{ name: 'w', partitions: PARTITIONS }]);
      for (const [b, n] of [
        [1, 100],
        [1000, 20_000],
      ] as const) {
        const c = contender('', pool.records, n, b, (r) => w.append('w', r), false);
        for (let i = 0; i < c.batches; i++) await c.append(i);
      }
      await readAll(w, ['w'], 20_100);
      await consumeAll(w, ['w'], 20_100);
      await w.close();
      remove(file);
    }
    log('embedded warm-up done');

    for (let run = 1; run <= RUNS; run++) {
      // A fresh file per mode and run; FULL and NORMAL interleaved like the Kafka contenders.
      const logs = MODES.map((mode) => ({ mode, file: `${tag}-r${run}-${mode}.sqlite` })).map(
        ({ mode, file }) => ({ mode, file, log: open(file, mode) }),
      );
      for (const { log: el } of logs) {
        await el.ensureStreams(streams.map((name) => ({ name, partitions: PARTITIONS })));
      }
      for (const batch of BATCH_SIZES) {
        await interleaved(
          run,
          batch,
          logs.map(({ mode, log: el }) =>
            contender(
              `embedded SQLite, synchronous ${mode}`,
              pool.records,
              COUNTS[`embedded ${mode}`][batch],
              batch,
              (r) => el.append(streamOf(batch), r),
              false,
            ),
          ),
          pool,
        );
      }
      // Read back everything the run appended (3 streams).
      for (const { mode, file, log: el } of run % 2 ? logs : [...logs].reverse()) {
        const counts = COUNTS[`embedded ${mode}`];
        const n = BATCH_SIZES.reduce((a, b) => a + counts[b], 0);
        const bytes = BATCH_SIZES.reduce((a, b) => a + pool.bytesBefore[counts[b]]!, 0);
        recordConsume(
          `embedded ${mode}: consume() (commit per 1000)`,
          run,
          n,
          bytes,
          await consumeAll(el, streams, n),
        );
        recordConsume(
          `embedded ${mode}: read() 1000 at a time`,
          run,
          n,
          bytes,
          await readAll(el, streams, n),
        );
        await el.close();
        remove(file);
      }
    }
  } finally {
    if (process.env.BENCH_EMBEDDED_DIR === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

// --- report ---------------------------------------------------------------------------------
async function report(pool: Pool, startedAt: Date, wallSeconds: number, loadStart: string): Promise<void> {
  const lines: string[] = [];
  const out = (s = ''): void => void lines.push(s);
  const cpu = cpus();
  const n = pool.records.length;
  const avgValue = pool.records.reduce((s, r) => s + Buffer.byteLength(r.value), 0) / n;
  const avgTotal = pool.bytesBefore[n]! / n;

  out(
    `Machine: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `Node ${process.version}; Kafka ${KAFKA_VERSION} local single-node (KRaft, broker+controller in one JVM, ` +
      `same machine) at ${BROKERS.join(',')}; kafkajs 2.2.4.`,
  );
  out(
    `Messages: telemetry.vm_sample JSON, value ${avgValue.toFixed(0)} B on average (key + value ${avgTotal.toFixed(0)} B), ` +
      `key = gpuId (${GPUS} GPUs), ${PARTITIONS} partitions, no compression. ${RUNS} runs per cell, medians; ` +
      `MB = 10^6 bytes of key + value. Started ${startedAt.toISOString()}, took ${wallSeconds.toFixed(0)} s; ` +
      `load average ${loadStart} at the start, ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} at the end.`,
  );
  out();

  const cell = (adapter: string, batch: BatchSize): ProduceRun[] =>
    produceRuns.filter((r) => r.adapter === adapter && r.batch === batch);
  const med = (adapter: string, batch: BatchSize, f: (r: ProduceRun) => number): number =>
    median(cell(adapter, batch).map(f));
  const produceAdapters = [
    'embedded SQLite, synchronous FULL',
    'embedded SQLite, synchronous NORMAL',
    ...KAFKA_VARIANTS,
  ];

  out(`### Produce (append N messages in batches, each append awaited; median of ${RUNS})`);
  out();
  out(
    '| adapter | batch | messages per run | msgs/s | MB/s | ms per append | min–max msgs/s | client CPU µs/msg | client CPU / wall | broker CPU µs/msg |',
  );
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const a of produceAdapters) {
    for (const b of BATCH_SIZES) {
      const rs = cell(a, b);
      if (rs.length === 0) continue;
      const rates = rs.map((r) => r.msgsPerSec);
      const ms = median(rs.map((r) => (1000 * r.seconds) / Math.ceil(r.messages / b)));
      out(
        `| ${a} | ${b} | ${fmtInt(rs[0]!.messages)} | ${fmtInt(median(rates))} | ${fmt1(med(a, b, (r) => r.mbPerSec))} | ` +
          `${ms.toFixed(3)} | ${fmtInt(Math.min(...rates))}–${fmtInt(Math.max(...rates))} | ` +
          `${fmt1(med(a, b, (r) => (1e6 * r.cpuSeconds) / r.messages))} | ${pct(med(a, b, (r) => r.cpuSeconds / r.seconds))} | ` +
          `${a.startsWith('kafka') ? fmt1(med(a, b, (r) => (1e6 * (r.brokerCpuSeconds ?? NaN)) / r.messages)) : '–'} |`,
      );
    }
  }
  out();

  const ratios = BATCH_SIZES.map((b) => {
    const o = med(OURS, b, (r) => r.msgsPerSec);
    const bare = med(BARE, b, (r) => r.msgsPerSec);
    const plain = med(PLAIN, b, (r) => r.msgsPerSec);
    // Paired: run i of ours against run i of bare (same run, adjacent in time).
    const paired = median(
      cell(OURS, b).map(
        (r) => r.msgsPerSec / (cell(BARE, b).find((x) => x.run === r.run)?.msgsPerSec ?? NaN),
      ),
    );
    const cpu = (a: string): number => med(a, b, (r) => (1e6 * r.cpuSeconds) / r.messages);
    return {
      batch: b,
      ours: o,
      bare,
      plain,
      ratio: o / bare,
      paired,
      ratioPlain: o / plain,
      oursCpuUsPerMsg: cpu(OURS),
      bareCpuUsPerMsg: cpu(BARE),
    };
  });
  out(`### KafkaEventLog vs a bare kafkajs producer, same messages, same run (target ≥ 80 %)`);
  out();
  out(
    '| batch | KafkaEventLog msgs/s | bare idempotent msgs/s | ours / bare (ratio of medians) | median of per-run ratios | bare non-idempotent msgs/s | ours / non-idempotent | client CPU µs/msg ours vs bare |',
  );
  out('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of ratios) {
    out(
      `| ${r.batch} | ${fmtInt(r.ours)} | ${fmtInt(r.bare)} | **${pct(r.ratio)}** | ${pct(r.paired)} | ` +
        `${fmtInt(r.plain)} | ${pct(r.ratioPlain)} | ${fmt1(r.oursCpuUsPerMsg)} vs ${fmt1(r.bareCpuUsPerMsg)} |`,
    );
  }
  out();

  out(
    `### Consume (a fresh group reads back everything the run produced: Kafka 9 topics, embedded 3 streams; median of ${RUNS})`,
  );
  out();
  out(
    '| reader | messages per run | msgs/s incl. start (group join) | MB/s incl. start | min–max msgs/s incl. start | ms to the first batch | msgs/s after the first batch |',
  );
  out('|---|---:|---:|---:|---:|---:|---:|');
  const readers = [...new Set(consumeRuns.map((r) => r.adapter))];
  for (const a of readers) {
    const rs = consumeRuns.filter((r) => r.adapter === a);
    const rates = rs.map((r) => r.msgsPerSec);
    out(
      `| ${a} | ${fmtInt(rs[0]!.messages)} | ${fmtInt(median(rates))} | ${fmt1(median(rs.map((r) => r.mbPerSec)))} | ` +
        `${fmtInt(Math.min(...rates))}–${fmtInt(Math.max(...rates))} | ` +
        `${fmtInt(median(rs.map((r) => 1000 * (r.seconds - r.secondsAfterFirst))))} | ` +
        `${fmtInt(median(rs.map((r) => r.msgsPerSecAfterFirst)))} |`,
    );
  }
  out();

  const r1000 = ratios.find((r) => r.batch === 1000)!;
  const minRatio = Math.min(...ratios.map((r) => r.ratio));
  out('### Verdict');
  out();
  if (!produceRuns.some((r) => r.adapter === OURS)) {
    out('- Kafka not measured (BENCH_SKIP_KAFKA=1): no verdict on the Kafka targets.');
  } else {
    out(
      `- ingest → Kafka at batch 1000: ${fmtInt(r1000.ours)} samples/s — ` +
        `${r1000.ours >= 100_000 ? 'meets' : 'MISSES'} the ≥ 100k samples/s target.`,
    );
    out(
      `- KafkaEventLog / bare kafkajs (idempotent, acks=all): ${ratios.map((r) => `${pct(r.ratio)} at batch ${r.batch}`).join(', ')} — ` +
        `${minRatio >= 0.8 ? 'meets' : 'MISSES'} the ≥ 80 % target${minRatio >= 0.8 ? ' at every batch size' : ''}.`,
    );
    const bareCpu = r1000.bareCpuUsPerMsg;
    const brokerCpu = med(BARE, 1000, (r) => (1e6 * (r.brokerCpuSeconds ?? NaN)) / r.messages);
    out(
      `- Where the time goes at batch 1000: bare kafkajs uses ${fmt1(bareCpu)} µs of client CPU per message ` +
        `(KafkaEventLog ${fmt1(r1000.oursCpuUsPerMsg)} µs), the broker ${fmt1(brokerCpu)} µs. One Node process ` +
        `therefore tops out at ~${fmtInt(1e6 / bareCpu)} msgs/s with a whole core to itself; ` +
        `100k msgs/s needs ≤ 10 µs per message.`,
    );
  }

  const text = lines.join('\n');
  console.log(text);
  const json = {
    startedAt: startedAt.toISOString(),
    wallSeconds,
    machine: {
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      memoryGiB: totalmem() / 2 ** 30,
      node: process.version,
      kafka: `${KAFKA_VERSION} local single-node`,
      brokers: BROKERS,
      kafkajs: '2.2.4',
      loadAverageAtStart: loadStart,
      loadAverageAtEnd: loadavg(),
    },
    config: {
      runs: RUNS,
      scale: SCALE,
      partitions: PARTITIONS,
      gpus: GPUS,
      counts: COUNTS,
      avgValueBytes: avgValue,
    },
    medians: {
      produce: produceAdapters.flatMap((a) =>
        BATCH_SIZES.filter((b) => cell(a, b).length > 0).map((b) => ({
          adapter: a,
          batch: b,
          msgsPerSec: med(a, b, (r) => r.msgsPerSec),
          mbPerSec: med(a, b, (r) => r.mbPerSec),
        })),
      ),
      ratios,
      consume: readers.map((a) => {
        const rs = consumeRuns.filter((r) => r.adapter === a);
        return {
          adapter: a,
          msgsPerSec: median(rs.map((r) => r.msgsPerSec)),
          msgsPerSecAfterFirst: median(rs.map((r) => r.msgsPerSecAfterFirst)),
          mbPerSec: median(rs.map((r) => r.mbPerSec)),
        };
      }),
    },
    runs: [...produceRuns, ...consumeRuns],
    table: text,
  };
  const file = join(__dirname, 'results.json');
  let body = JSON.stringify(json, null, 2) + '\n';
  try {
    // Formatted as the repository's `prettier --check` expects, so the committed file passes it.
    const prettier = await import('prettier');
    body = await prettier.format(body, { ...(await prettier.resolveConfig(file)), filepath: file });
  } catch {
    // prettier is a dev dependency; without it the plain JSON is written.
  }
  writeFileSync(file, body);
  log(`raw runs written to ${file}`);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadStart = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const t0 = performance.now();
  const skipKafka = process.env.BENCH_SKIP_KAFKA === '1';
  const skipEmbedded = process.env.BENCH_SKIP_EMBEDDED === '1';
  // Fail fast, before minutes of embedded runs, when there is no broker.
  if (!skipKafka) await (await connectOrExplain()).disconnect();
  // At least the 30,000 messages the warm-up passes send, whatever BENCH_SCALE.
  const poolSize = Math.max(30_000, ...Object.values(COUNTS).flatMap((c) => Object.values(c)));
  const pool = makePool(poolSize);
  log(`${poolSize} messages, ${(pool.bytesBefore[poolSize]! / poolSize).toFixed(0)} B each (key + value)`);
  const tag = Date.now().toString(36);
  if (!skipEmbedded) await embeddedBench(pool, tag);
  if (!skipKafka) await kafkaBench(pool, tag);
  await report(pool, startedAt, (performance.now() - t0) / 1000, loadStart);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
