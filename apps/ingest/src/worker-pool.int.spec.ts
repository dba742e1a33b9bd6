import { Streams } from '@vgpu-twin/contracts';
import { EmbeddedEventLog, KafkaEventLog, prefixed, type EventLog } from '@vgpu-twin/event-log';
import { decodeRecords } from '@vgpu-twin/service-kit';
import { Kafka, logLevel } from 'kafkajs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAll } from '../../../libs/event-log/src/testing/event-log-contract';
import { describeIf, kafkaBrokers, warmUpKafka } from '../../../test/support/components';
import { spawnTs, type Spawned } from '../../../test/support/process';

/**
 * The standalone ingest as a pool, INGEST_WORKERS=2: the real entry point (apps/ingest/src/main.ts)
 * in a child process, a node:cluster primary and two workers sharing one port, each with its own
 * log client. Several keep-alive connections post telemetry; every sample must be in the log
 * exactly once, and `/metrics` must count the pool's samples whichever worker answers.
 */
jest.setTimeout(180_000);

const WORKERS = 2;
// Cluster's primary hands new connections to the workers in turn: 4 connections, 2 a worker.
const CONNECTIONS = 4;
const REQUESTS = 10; // per connection, one after another on it
const GPUS = 50;
const SAMPLES = 250; // per request: 5 VMs on each of the 50 GPUs
const TOTAL = CONNECTIONS * REQUESTS * SAMPLES; // 10,000 samples posted

interface Pool {
  readonly proc: Spawned;
  readonly port: number;
  readonly pids: readonly number[];
}

/** Boots apps/ingest/src/main.ts with INGEST_WORKERS=2 and waits for the pool's banner. */
async function bootPool(env: NodeJS.ProcessEnv): Promise<Pool> {
  const proc = spawnTs('apps/ingest/src/main.ts', [], {
    INGEST_WORKERS: String(WORKERS),
    INGEST_PORT: '0', // the workers share the one port the primary picks
    INGEST_RATE_LIMIT_PER_S: '0', // 40 requests in about a second from one address
    LOG_FORMAT: 'json',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...env,
  });
  const m = await proc.waitFor(
    /^ingest listening on http:\/\/localhost:(\d+) \(log: \w+\); 2 workers \(pids (\d+), (\d+)\)$/m,
    120_000,
  );
  return { proc, port: Number(m[1]), pids: [Number(m[2]), Number(m[3])] };
}

function batch(connection: number, req: number): unknown[] {
  const ts = new Date().toISOString();
  return Array.from({ length: SAMPLES }, (_, i) => ({
    id: `s-${connection}-${req}-${i}`,
    type: 'telemetry.vm_sample',
    ts,
    data: {
      vmId: `vm-${i}`,
      gpuId: `gpu-${i % GPUS}`,
      gpuUtilPct: i % 101,
      memUtilPct: 40,
      fbUsedMib: 2048,
      pcieRxMBps: 100,
      pcieTxMBps: 10,
      vcpuUtilPct: 30,
      vmMemUtilPct: 50,
      progressRate: 9.5,
    },
  }));
}

function call(
  port: number,
  method: 'GET' | 'POST',
  path: string,
  agent: Agent | false,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Posts every batch, CONNECTIONS keep-alive connections at once; returns them still open. */
async function postAll(port: number): Promise<Agent[]> {
  const agents = Array.from({ length: CONNECTIONS }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  await Promise.all(
    agents.map(async (agent, c) => {
      for (let r = 0; r < REQUESTS; r++) {
        const res = await call(port, 'POST', '/v1/telemetry', agent, JSON.stringify(batch(c, r)));
        expect({
          status: res.status,
          accepted: (JSON.parse(res.text) as { accepted: number }).accepted,
        }).toEqual({
          status: 202,
          accepted: SAMPLES,
        });
      }
    }),
  );
  return agents;
}

/** The telemetry counter as `/metrics` serves it, each scrape on a fresh connection. */
async function acceptedPerScrape(port: number, scrapes: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < scrapes; i++) {
    const res = await call(port, 'GET', '/metrics', false);
    expect(res.status).toBe(200);
    const m = /^vgpu_twin_ingest_records_accepted_total\{stream="[^"]*telemetry"\} (\d+)$/m.exec(res.text);
    out.push(m ? Number(m[1]) : 0);
  }
  return out;
}

/** Established TCP connections a process holds on `port` (from /proc: its socket fds, /proc/net/tcp). */
function connectionsOf(pid: number, port: number): number {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m ? [m[1]!] : [];
      } catch {
        return [];
      }
    }),
  );
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${portHex}`) && f[3] === '01' && inodes.has(f[9]!)).length;
}

/** Every posted sample id, how many times the log holds it. */
async function idsInLog(log: EventLog): Promise<Map<string, number>> {
  const { events, bad } = decodeRecords(await readAll(log, Streams.telemetry));
  expect(bad).toEqual([]);
  const seen = new Map<string, number>();
  for (const { event } of events) seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
  return seen;
}

function expectEachOnce(seen: Map<string, number>): void {
  const missing: string[] = [];
  for (let c = 0; c < CONNECTIONS; c++)
    for (let r = 0; r < REQUESTS; r++)
      for (let i = 0; i < SAMPLES; i++)
        if (seen.get(`s-${c}-${r}-${i}`) !== 1) missing.push(`s-${c}-${r}-${i}`);
  expect(missing).toEqual([]); // none missing, none twice
  expect(seen.size).toBe(TOTAL); // and nothing else
}

/** Posts, checks both workers served and the pool's counter, stops the pool gracefully. */
async function postAndStop(pool: Pool): Promise<void> {
  const agents = await postAll(pool.port);
  // while the keep-alive connections are open: each worker holds some of them
  expect(pool.pids.map((pid) => connectionsOf(pid, pool.port) > 0)).toEqual([true, true]);
  agents.forEach((a) => a.destroy());
  // 4 scrapes on fresh connections are answered by both workers in turn; each sees the whole pool
  expect(await acceptedPerScrape(pool.port, 4)).toEqual([TOTAL, TOTAL, TOTAL, TOTAL]);
  await pool.proc.stop('SIGTERM');
  expect(pool.proc.child.signalCode).toBe('SIGTERM'); // re-raised once the workers closed, as Nest does
  expect(pool.proc.output()).toMatch(/SIGTERM: stopping 2 workers/);
  for (const pid of pool.pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/); // no worker left behind
}

describe('ingest pool (INGEST_WORKERS=2) on the embedded log', () => {
  let dir: string;
  let pool: Pool | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-ingest-pool-'));
  });
  afterEach(async () => {
    await pool?.proc.stop('SIGKILL');
    pool = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every sample of several keep-alive connections exactly once, and /metrics counts the pool', async () => {
    // a fresh data folder: the key store (default sqlite) and the log are created by the first worker
    pool = await bootPool({ EVENT_LOG: 'embedded', VGPU_TWIN_DATA_DIR: dir });
    await postAndStop(pool);
    const log = new EmbeddedEventLog({ file: join(dir, 'log.sqlite') });
    try {
      expectEachOnce(await idsInLog(log));
    } finally {
      await log.close();
    }
  });

  it('re-forks a worker that dies, logging it in one line', async () => {
    pool = await bootPool({ EVENT_LOG: 'embedded', VGPU_TWIN_DATA_DIR: dir });
    const victim = pool.pids[1]!;
    process.kill(victim, 'SIGKILL');
    await pool.proc.waitFor(
      new RegExp(`"msg":"worker 2 \\(pid ${victim}\\) died: killed by SIGKILL; re-forking in 500 ms"`),
    );
    await pool.proc.waitFor(/"msg":"worker 2 \(pid \d+\) listening again"/);
    const res = await call(pool.port, 'POST', '/v1/telemetry', false, JSON.stringify(batch(0, 0)));
    expect(res.status).toBe(202);
  });

  it('gives up in one line when re-forked workers keep failing to start', async () => {
    pool = await bootPool({ EVENT_LOG: 'embedded', VGPU_TWIN_DATA_DIR: dir });
    // From now on a worker cannot open the log: its file is a folder (worker 1 keeps its open file).
    for (const f of ['log.sqlite', 'log.sqlite-wal', 'log.sqlite-shm']) rmSync(join(dir, f), { force: true });
    mkdirSync(join(dir, 'log.sqlite'));
    let stderr = '';
    pool.proc.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => pool!.proc.child.on('close', resolve));
    process.kill(pool.pids[1]!, 'SIGKILL');
    expect(await closed).toBe(1);
    // the death, then 4 failed starts, each waiting twice as long (500 ms doubling); the 5th gives up
    const waits = [...pool.proc.output().matchAll(/re-forking in (\d+) ms/g)].map((m) => Number(m[1]));
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
    expect(stderr).toMatch(
      /^ingest: 5 workers in a row failed to start; the last: cannot open the event log \(EVENT_LOG=embedded, [^\n]*\n$/,
    );
    for (const pid of pool.pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/); // worker 1 stopped too
  });

  describe('a port in use', () => {
    let busy: Server;
    beforeAll(async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
    });
    afterAll(() => busy.close());

    it('stops the start with one line naming the cause, and exit status 1', async () => {
      const port = (busy.address() as { port: number }).port;
      const proc = spawnTs('apps/ingest/src/main.ts', [], {
        INGEST_WORKERS: String(WORKERS),
        INGEST_PORT: String(port),
        VGPU_TWIN_DATA_DIR: dir,
        LOG_FORMAT: 'json',
      });
      let stderr = '';
      proc.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const killer = setTimeout(() => void proc.stop('SIGKILL'), 90_000); // a start that hangs fails
      const code = await new Promise<number | null>((resolve) => proc.child.on('close', resolve));
      clearTimeout(killer);
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(`^cannot listen on port ${port}: .*EADDRINUSE[^\n]*\n$`)); // one line
      expect(proc.output()).not.toMatch(/^\s+at /m); // no stack frame
      expect(proc.output()).not.toMatch(/listening/); // no banner
    });
  });
});

const brokers = kafkaBrokers();

describeIf(brokers)('ingest pool (INGEST_WORKERS=2) on Kafka', () => {
  const prefix = `wp${Date.now()}.`; // topics of this run only
  let pool: Pool | undefined;
  let dir: string;
  beforeAll(async () => {
    await warmUpKafka(brokers!);
    dir = mkdtempSync(join(tmpdir(), 'vgpu-ingest-pool-kafka-'));
  });
  afterAll(async () => {
    await pool?.proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    const admin = new Kafka({
      clientId: 'pool-cleanup',
      brokers: brokers!,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.disconnect();
  });

  it('stores every sample exactly once through two idempotent producers, and /metrics counts the pool', async () => {
    pool = await bootPool({
      EVENT_LOG: 'kafka',
      KAFKA_BROKERS: brokers!.join(','),
      VGPU_TWIN_STREAM_PREFIX: prefix,
      VGPU_TWIN_DATA_DIR: dir,
      KAFKA_TELEMETRY_PARTITIONS: '4',
    });
    await postAndStop(pool);
    const log = prefixed(
      new KafkaEventLog({ brokers: brokers!, clientId: 'pool-check', replicationFactor: 1 }),
      prefix,
    );
    try {
      expectEachOnce(await idsInLog(log));
    } finally {
      await log.close();
    }
  });
});
