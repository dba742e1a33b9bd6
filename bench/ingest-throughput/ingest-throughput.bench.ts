/**
 * Ingest throughput through the real HTTP API: autocannon POSTs /v1/telemetry batches (SAMPLES
 * telemetry.vm_sample events per request: every VM of a 250-GPU, 4-VMs-per-GPU slice of the
 * cluster, one sample each) at the ingest service (bench/ingest-throughput/server.ts, booted as
 * apps/ingest/src/main.ts boots it, in its own process) on EVENT_LOG=kafka and EVENT_LOG=embedded,
 * with INGEST_PACK_MAX_EVENTS=500 (packed: one log record per GPU per request) and 1 (one record
 * per sample, the old encoding), in one process or, for the configurations ending in `-w<N>`,
 * with INGEST_WORKERS=N (a node:cluster primary and N workers sharing the port). The inventory
 * (host, GPUs, VMs, workload profiles) is registered first through POST /v1/inventory.
 *
 *   SWC_NODE_PROJECT=tsconfig.json KAFKAJS_NO_PARTITIONER_WARNING=1 \
 *     node -r @swc-node/register bench/ingest-throughput/ingest-throughput.bench.ts
 *
 * Env: KAFKA_BROKERS (127.0.0.1:9092), KAFKA_BROKER_PID (the broker's pid, for its CPU time;
 * default: the pid deploy/local/kafka-status.sh prints), BENCH_RUNS (3), BENCH_SECONDS (20),
 * BENCH_CONNECTIONS (8), BENCH_SAMPLES (1000 per request), BENCH_CONFIGS (comma list of
 * kafka-500,kafka-1,embedded-500,embedded-1,kafka-500-w2,embedded-500-w2: log-pack[-w<workers>]),
 * INGEST_NODE_ARGS (node flags for the ingest process and its workers, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/ingest-prof`: one profile per process).
 *
 * Each run starts a fresh ingest process (fresh topic prefix / data folder) per configuration;
 * runs rotate the order of the configurations so load from other processes hits them alike. Counted:
 * 2xx responses × samples per request / measured seconds, after a 3 s warm-up. CPU: utime+stime of
 * the ingest processes (the one process, or the primary and every worker, summed) and of the broker
 * from /proc over the measured window, as cores (CPU s / wall s); the load generator's is this
 * process's own (autocannon runs in it).
 * Raw runs go to bench/ingest-throughput/results.json. Topics created are deleted at the end.
 */
import autocannon from 'autocannon';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchInventory } from '../support/cluster';
import { deleteBenchTopics } from '../support/kafka';

const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const RUNS = Number.parseInt(process.env.BENCH_RUNS ?? '3', 10);
const SECONDS = Number.parseInt(process.env.BENCH_SECONDS ?? '20', 10);
const WARMUP_S = 3;
const CONNECTIONS = Number.parseInt(process.env.BENCH_CONNECTIONS ?? '8', 10);
const SAMPLES = Number.parseInt(process.env.BENCH_SAMPLES ?? '1000', 10);
const VMS_PER_GPU = 4;
const GPUS = Math.ceil(SAMPLES / VMS_PER_GPU);
const CONFIGS = (
  process.env.BENCH_CONFIGS ?? 'kafka-500,kafka-1,embedded-500,embedded-1,kafka-500-w2,embedded-500-w2'
).split(',');
/** `kafka-500-w2`: the log, INGEST_PACK_MAX_EVENTS and INGEST_WORKERS (1 without `-w`). */
function parseConfig(config: string): { logKind: string; pack: string; workers: number } {
  const [logKind, pack, w] = config.split('-') as [string, string, string | undefined];
  return { logKind, pack, workers: w === undefined ? 1 : Number(w.slice(1)) };
}
const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function brokerPid(): number | null {
  if (process.env.KAFKA_BROKER_PID) return Number(process.env.KAFKA_BROKER_PID);
  try {
    const out = execFileSync('bash', ['deploy/local/kafka-status.sh'], { encoding: 'utf8' });
    const m = /^pid:\s+(\d+)/m.exec(out);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
const TICK = 100; // sysconf(_SC_CLK_TCK) on Linux
/** utime + stime of a process (and its reaped children), seconds. */
function cpuSeconds(pid: number | null): number {
  if (pid === null) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return Number.NaN;
  }
}
/** A process and its descendants (an ingest pool's primary and workers), from /proc's ppid fields. */
function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  return tree;
}
const sum = (xs: readonly number[]): number => xs.reduce((a, x) => a + x, 0);
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const gpuId = (g: number): string => `gpu-${pad(g, 4)}`;
const vmId = (v: number): string => `vm-${pad(v, 5)}`;
const WORKLOADS = ['resnet50-train', 'bert-infer', 'stream-memory', 'pcie-copy'] as const;

function inventoryBody(): unknown[] {
  return benchInventory({
    ts: new Date(Date.now() - 60_000).toISOString(),
    gpus: GPUS,
    vmsPerGpu: VMS_PER_GPU,
    gpusPerHost: GPUS, // one host
    hostId: () => 'host-1',
    gpuId,
    vmId,
    workloads: WORKLOADS.map((workload, i) => ({
      workload,
      gpuUtilPct: 90 - 20 * i,
      memUtilPct: 40 + 10 * i,
      pcieRxMBps: 120 * (i + 1),
    })),
  });
}

/**
 * One request: one sample per VM, grouped by GPU as a host agent would send them (ingest assigns
 * ids, so the same body may be sent again and again). ts is recent: Kafka retention works on it.
 */
function telemetryBody(): string {
  const ts = new Date().toISOString();
  const events: unknown[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const g = Math.floor(i / VMS_PER_GPU);
    events.push({
      type: 'telemetry.vm_sample',
      ts,
      data: {
        vmId: vmId(i),
        gpuId: gpuId(g),
        gpuUtilPct: (i * 7) % 101,
        memUtilPct: (i * 13) % 101,
        fbUsedMib: 1024 + ((i * 31) % 3000),
        pcieRxMBps: (i * 11) % 500,
        pcieTxMBps: (i * 3) % 50,
        vcpuUtilPct: (i * 17) % 101,
        vmMemUtilPct: 50,
        progressRate: Math.round(((i * 17) % 1000) / 10) / 10,
      },
    });
  }
  return JSON.stringify(events);
}

interface Server {
  readonly child: ChildProcess;
  readonly port: number;
}
async function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const nodeArgs = (process.env.INGEST_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(
    process.execPath,
    [...nodeArgs, '-r', '@swc-node/register', 'bench/ingest-throughput/server.ts'],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^PORT (\d+)$/m.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`ingest exited (${code}): ${err}`)));
  });
  child.stdout.resume();
  return { child, port };
}
async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.stdin!.end(); // the server closes and exits normally (a CPU profile is written)
  await Promise.race([exited, sleep(10_000).then(() => s.child.kill('SIGTERM'))]);
  await Promise.race([exited, sleep(5_000).then(() => s.child.kill('SIGKILL'))]);
}

interface Run {
  readonly config: string;
  readonly run: number;
  readonly workers: number;
  readonly ingestProcesses: number;
  readonly seconds: number;
  readonly requests2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly samplesPerS: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly ingestCores: number;
  readonly brokerCores: number;
  readonly generatorCores: number;
  readonly ingestRssMb: number;
  readonly loadavg1: number;
}

async function measure(config: string, run: number, body: string, broker: number | null): Promise<Run> {
  const { logKind, pack, workers } = parseConfig(config);
  const prefix = `bench-ingest-${process.pid}-${config}-${run}-`;
  const dataDir = mkdtempSync(join(tmpdir(), 'vgpu-ingest-bench-'));
  prefixes.push(prefix);
  const server = await startServer({
    EVENT_LOG: logKind,
    KAFKA_BROKERS: BROKERS,
    VGPU_TWIN_STREAM_PREFIX: prefix,
    VGPU_TWIN_DATA_DIR: dataDir,
    INGEST_PORT: '0',
    INGEST_PACK_MAX_EVENTS: pack,
    INGEST_WORKERS: String(workers),
    INGEST_KEY_STORE: 'none',
    // the default 200 requests/s per client is a production guard, not what is measured
    INGEST_RATE_LIMIT_PER_S: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    BENCH_EXIT_ON_STDIN_END: '1',
  });
  try {
    const url = `http://127.0.0.1:${server.port}`;
    const inv = await fetch(`${url}/v1/inventory`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(inventoryBody()),
    });
    if (!inv.ok) throw new Error(`inventory: ${inv.status} ${(await inv.text()).slice(0, 500)}`);
    const probe = await fetch(`${url}/v1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const probeText = await probe.text();
    if (!probe.ok || JSON.parse(probeText).accepted !== SAMPLES)
      throw new Error(`telemetry probe: ${probe.status} ${probeText.slice(0, 500)}`);
    const opts = {
      url: `${url}/v1/telemetry`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      body,
      connections: CONNECTIONS,
      pipelining: 1,
    };
    await autocannon({ ...opts, duration: WARMUP_S });
    const pids = processTree(server.child.pid!);
    if (pids.length !== (workers > 1 ? workers + 1 : 1))
      throw new Error(
        `expected ${workers} workers under pid ${server.child.pid}, found processes ${pids.join(', ')}`,
      );
    const cpu = (): number => sum(pids.map(cpuSeconds));
    const c0 = cpu();
    const b0 = cpuSeconds(broker);
    const g0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await autocannon({ ...opts, duration: SECONDS });
    const seconds = (performance.now() - t0) / 1000;
    const g = process.cpuUsage(g0);
    const after = processTree(server.child.pid!);
    if (after.join() !== pids.join())
      log(`${config} run ${run}: ingest processes changed: ${pids.join(', ')} → ${after.join(', ')}`);
    const r: Run = {
      config,
      run,
      workers,
      ingestProcesses: pids.length,
      seconds,
      requests2xx: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      samplesPerS: (result['2xx'] * SAMPLES) / seconds,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      ingestCores: (cpu() - c0) / seconds,
      brokerCores: (cpuSeconds(broker) - b0) / seconds,
      generatorCores: (g.user + g.system) / 1e6 / seconds,
      ingestRssMb: sum(pids.map(rssMb)),
      loadavg1: loadavg()[0]!,
    };
    log(
      `${config} run ${run}: ${Math.round(r.samplesPerS).toLocaleString('en-US')} samples/s ` +
        `(${r.requests2xx} × ${SAMPLES}, non-2xx ${r.non2xx}, errors ${r.errors}), p50 ${r.latencyP50Ms} ms, ` +
        `p99 ${r.latencyP99Ms} ms, ingest ${r.ingestCores.toFixed(2)} cores, broker ${r.brokerCores.toFixed(2)}, ` +
        `generator ${r.generatorCores.toFixed(2)}, RSS ${Math.round(r.ingestRssMb)} MB ` +
        `(${r.ingestProcesses} ingest processes), loadavg ${r.loadavg1.toFixed(2)}`,
    );
    return r;
  } finally {
    await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const prefixes: string[] = [];
async function main(): Promise<void> {
  const broker = brokerPid();
  const body = telemetryBody();
  log(
    `machine: ${cpus()[0]?.model}, ${cpus().length} cores, node ${process.version}; loadavg ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ` +
      `${SAMPLES} samples/request (${(body.length / 1024).toFixed(0)} KiB), ${CONNECTIONS} connections, ` +
      `${RUNS} runs × ${SECONDS} s; broker pid ${broker}`,
  );
  const runs: Run[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const order = CONFIGS.map((_, i) => CONFIGS[(i + run) % CONFIGS.length]!);
      for (const config of order) runs.push(await measure(config, run, body, broker));
    }
  } finally {
    if (CONFIGS.some((c) => c.startsWith('kafka'))) await deleteBenchTopics(BROKERS, prefixes, log);
  }
  log(
    `done; loadavg ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const file = join(__dirname, 'results.json');
  let json = `${JSON.stringify({ samples: SAMPLES, connections: CONNECTIONS, runs }, null, 2)}\n`;
  try {
    // formatted as the repository's `prettier --check` expects, as bench/event-log does
    const prettier = await import('prettier');
    json = await prettier.format(json, { ...(await prettier.resolveConfig(file)), filepath: file });
  } catch {
    // prettier is a dev dependency; without it the plain JSON is written
  }
  writeFileSync(file, json);
  const rows = CONFIGS.map((config) => {
    const rs = runs.filter((r) => r.config === config);
    const m = (f: (r: Run) => number): number => median(rs.map(f));
    return { config, rate: m((r) => r.samplesPerS), rs, m };
  });
  console.log(
    '| log | INGEST_PACK_MAX_EVENTS | INGEST_WORKERS | samples/s accepted (median) | runs | p50 / p99 ms per request | ingest cores | broker cores | generator cores | ingest RSS MB | load avg (1 min) | non-2xx + errors |',
  );
  console.log('| --- | --: | --: | --: | --- | --: | --: | --: | --: | --: | --: | --: |');
  for (const { config, rate, rs, m } of rows) {
    const { logKind, pack, workers } = parseConfig(config);
    console.log(
      `| ${logKind} | ${pack} | ${workers} | **${Math.round(rate).toLocaleString('en-US')}** | ${rs.map((r) => Math.round(r.samplesPerS).toLocaleString('en-US')).join(', ')} | ` +
        `${m((r) => r.latencyP50Ms)} / ${m((r) => r.latencyP99Ms)} | ${m((r) => r.ingestCores).toFixed(2)} | ` +
        `${logKind === 'kafka' ? m((r) => r.brokerCores).toFixed(2) : '–'} | ${m((r) => r.generatorCores).toFixed(2)} | ` +
        `${Math.round(m((r) => r.ingestRssMb))} | ${rs.map((r) => r.loadavg1.toFixed(1)).join(', ')} | ` +
        `${rs.reduce((a, r) => a + r.non2xx + r.errors, 0)} |`,
    );
  }
  for (const logKind of ['kafka', 'embedded']) {
    const a = rows.find((r) => r.config === `${logKind}-500`);
    const b = rows.find((r) => r.config === `${logKind}-1`);
    if (a && b) console.log(`${logKind}: packed / unpacked = ${(a.rate / b.rate).toFixed(2)}×`);
    for (const pool of rows.filter((r) => r.config.startsWith(`${logKind}-500-w`))) {
      if (!a) continue;
      const perRun = pool.rs.flatMap((r) => {
        const single = a.rs.find((s) => s.run === r.run);
        return single ? [r.samplesPerS / single.samplesPerS] : [];
      });
      console.log(
        `${logKind}: ${pool.config} / ${a.config} = ${(pool.rate / a.rate).toFixed(2)}× (ratio of medians; per run ${perRun.map((x) => x.toFixed(2)).join(', ')})`,
      );
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
