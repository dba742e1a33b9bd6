/**
 * End to end: telemetry accepted by ingest → the alert on a socket.io client (DESIGN.md: p99 <
 * 100 ms at 10k samples/s), on the embedded log and on Kafka.
 *
 *   SWC_NODE_PROJECT=tsconfig.json KAFKAJS_NO_PARTITIONER_WARNING=1 \
 *     node -r @swc-node/register bench/alert-latency/alert-latency.bench.ts [embedded|kafka] [1000,10000]
 *
 * Each run spawns a fresh all-in-one process (server.ts: apps/cli's `startApp`, simulator off,
 * default settings but for LOG_LEVEL=warn and INGEST_RATE_LIMIT_PER_S=0 — every agent here shares
 * one client address) on a fresh data folder (embedded) or a fresh topic prefix (Kafka, topics
 * and groups deleted afterwards). This process plays the agents and a dashboard:
 *
 * - background: RATE VMs at 1 Hz (2 VMs per GPU, 8 GPUs per host), sent by RATE/BATCH agents,
 *   each POSTing one second of BATCH VMs' samples to /v1/telemetry once a second, the agents'
 *   phases spread over the second. Like real agents, each has one request in flight at most and
 *   sends what it sampled meanwhile in its next request (a slow ingest grows the batches and
 *   lowers the accepted rate instead of piling up requests). Each VM reports the progress rate and GPU utilisation the
 *   twin predicts for it (read back from /v1/dashboard/state), ±1% noise: no alert of its own.
 * - probes: PROBES VMs alone on their GPUs, each with its own agent POSTing one sample a request
 *   at 1 Hz (same one-in-flight rule, so a probe's samples reach the log in order). A probe alternates SLOW samples at 3× its solo slowdown and NORMAL samples back at
 *   its prediction: with the default smoothing (3) and sustain (5) the interference alert is
 *   raised by the 6th slow sample and resolved by the 6th normal one. The alert's id names the
 *   sample that raised it (`interference:<vm>:<event id>`), so no guessing which one it was.
 * - latency = time the POST carrying that sample got its 202 → time a socket.io client subscribed
 *   to `vm:<probe>` receives `alert` (the twin's alert.raised), and `lifecycle` alert.opened (the
 *   notifier's lifecycle decision). Both clocks are this process's `performance.now()`. Also
 *   from the moment the sample was taken (its ts): what an overloaded ingest's queueing adds.
 *
 * Env: BENCH_RUNS (3), BENCH_WINDOW_S (30: probes flip during this long), BENCH_WARMUP_S (5),
 * BENCH_BATCH (100 samples per background request), BENCH_PROBES (24), BENCH_GRACE_S (10: how
 * long after the last episode its alert may still come, the load still on), KAFKA_BROKERS
 * (127.0.0.1:9092), KAFKA_BROKER_PID (optional: the broker's CPU is read from /proc),
 * BENCH_DEBUG=1 (every POST over 200 ms and every server stall), BENCH_SERVER_NODE_ARGS (node
 * flags for the server, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). Raw runs are appended to
 * bench/alert-latency/results.json; the table goes to stdout, progress to stderr.
 */
import { profileWorkload, catalogueWorkload } from '@vgpu-twin/simulation';
import type {
  AlertRaised,
  AlertResolved,
  InventoryEvent,
  LifecycleEvent,
  PlacementSuggested,
} from '@vgpu-twin/contracts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { format, resolveConfig } from 'prettier';
import { io, type Socket } from 'socket.io-client';
import { deleteBenchTopics } from '../support/kafka';

const REPO = join(__dirname, '..', '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3) || 3);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 30) || 30;
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 5) || 5;
const BATCH = Number(process.env.BENCH_BATCH ?? 100) || 100;
const PROBES = Number(process.env.BENCH_PROBES ?? 24) || 24;
const GRACE_S = Number(process.env.BENCH_GRACE_S ?? 10) || 10;
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const DEBUG = process.env.BENCH_DEBUG === '1';
const LOGS = (process.argv[2] ?? 'embedded,kafka').split(',') as ('embedded' | 'kafka')[];
const RATES = (process.argv[3] ?? '1000,10000').split(',').map(Number);

/** Slow samples per episode: the alert comes with the 6th (3 to fill the smoothing window past 1.5×, then 5 above). */
const SLOW_SAMPLES = 7;
const NORMAL_SAMPLES = 7;
const SLOW_FACTOR = 3;
const VMS_PER_GPU = 2;
const GPUS_PER_HOST = 8;
const CLUSTER = 'bench';
/**
 * Background pair: ResNet-50 training beside an LLM inference service, predicted 1.15× and 1.07×
 * (the shipped hybrid model): under the 1.5× SLO, so the background raises no alert of its own.
 */
const WORKLOADS = ['resnet50-train', 'llm-infer'] as const;
const PROBE_WORKLOAD = 'resnet50-train';

// --- helpers --------------------------------------------------------------------------------
const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** Nearest rank: with n < 100 values, p99 is the largest. */
const pctl = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
};
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const fInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
/** CPU seconds (user + system) of a process, from /proc (Linux). */
function cpuSecondsOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

// --- the system under test ------------------------------------------------------------------
interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  /** The server's event-loop stalls ≥ 50 ms: [duration ms, Date.now() at the end]. */
  readonly stalls: [number, number][];
  stop(): Promise<number | null>;
}

async function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      // e.g. BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the server alone
      ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
      '-r',
      '@swc-node/register',
      join(REPO, 'bench/alert-latency/server.ts'),
    ],
    {
      cwd: REPO,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(REPO, 'tsconfig.json'),
        TZ: 'UTC',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /BENCH_READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited (${code}):\n${out.slice(-4000)}`)));
    setTimeout(
      () => reject(new Error(`server not ready after 120 s:\n${out.slice(-4000)}`)),
      120_000,
    ).unref();
  });
  // Keep the pipes drained; warnings are shown after the run.
  const warnings: string[] = [];
  const stalls: [number, number][] = [];
  const keep = (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      const m = /^BENCH_STALL (\d+) (\d+)/.exec(line);
      if (m) stalls.push([Number(m[1]), Number(m[2])]);
      else if (line.trim() !== '' && warnings.length < 20) warnings.push(line.slice(0, 300));
    }
  };
  child.stdout.removeAllListeners('data').on('data', keep);
  child.stderr.removeAllListeners('data').on('data', keep);
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stalls,
    async stop() {
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000).unref()),
      ]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        return exited;
      }
      if (warnings.length > 0)
        log(`server said (first ${warnings.length} lines):\n  ${warnings.join('\n  ')}`);
      return code;
    },
  };
}

// --- inventory ------------------------------------------------------------------------------
interface Vm {
  readonly vmId: string;
  readonly gpuId: string;
  readonly workload: string;
  /** What the twin predicts (read back once the inventory is in). */
  predicted: number;
}

interface Topology {
  readonly events: InventoryEvent[];
  readonly background: Vm[];
  readonly probes: Vm[];
  readonly profiles: Map<string, ReturnType<typeof profileWorkload>>;
}

function topology(rate: number, tag: string): Topology {
  const ts = new Date().toISOString();
  const env = (id: string) => ({ id: `${tag}-${id}`, ts, source: 'bench', version: 1 as const });
  const events: InventoryEvent[] = [];
  const profiles = new Map<string, ReturnType<typeof profileWorkload>>();
  for (const w of [...WORKLOADS, PROBE_WORKLOAD]) {
    const p = profileWorkload(catalogueWorkload(w));
    profiles.set(w, p);
    events.push({
      ...env(`wl-${w}`),
      type: 'workload.profiled',
      data: {
        workload: w,
        features: p.features,
        soloProgressRate: p.soloProgressRate,
        progressUnit: p.progressUnit,
      },
    });
  }
  const background: Vm[] = [];
  const probes: Vm[] = [];
  const host = (hostId: string) =>
    events.push({
      ...env(`h-${hostId}`),
      type: 'host.registered',
      data: { hostId, clusterId: CLUSTER, homogeneousProfiles: true },
    });
  const gpu = (gpuId: string, hostId: string) =>
    events.push({
      ...env(`g-${gpuId}`),
      type: 'gpu.registered',
      data: {
        gpuId,
        hostId,
        model: 'V100-16GB',
        framebufferMib: 16384,
        policy: 'best_effort',
        timeSliceMs: 1,
      },
    });
  const place = (vm: Vm) =>
    events.push({
      ...env(`p-${vm.vmId}`),
      type: 'vm.placed',
      data: { vmId: vm.vmId, gpuId: vm.gpuId, profile: '8Q', framebufferMib: 8192, workload: vm.workload },
    });
  const gpus = Math.ceil(rate / VMS_PER_GPU);
  for (let g = 0; g < gpus; g++) {
    const hostId = `h${Math.floor(g / GPUS_PER_HOST)}`;
    if (g % GPUS_PER_HOST === 0) host(hostId);
    const gpuId = `${hostId}-g${g % GPUS_PER_HOST}`;
    gpu(gpuId, hostId);
    for (let v = 0; v < VMS_PER_GPU && background.length < rate; v++) {
      const vm = {
        vmId: `vm${background.length}`,
        gpuId,
        workload: WORKLOADS[v % WORKLOADS.length]!,
        predicted: 1,
      };
      background.push(vm);
      place(vm);
    }
  }
  for (let p = 0; p < PROBES; p++) {
    const hostId = `probe-h${Math.floor(p / GPUS_PER_HOST)}`;
    if (p % GPUS_PER_HOST === 0) host(hostId);
    const gpuId = `${hostId}-g${p % GPUS_PER_HOST}`;
    gpu(gpuId, hostId);
    const vm = { vmId: `probe${p}`, gpuId, workload: PROBE_WORKLOAD, predicted: 1 };
    probes.push(vm);
    place(vm);
  }
  return { events, background, probes, profiles };
}

async function post(url: string, body: unknown): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`${url}: HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`);
  await res.arrayBuffer();
  return res.status;
}

/** Waits until the dashboard's read model has a prediction for every VM, and copies them. */
async function readPredictions(url: string, vms: readonly Vm[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const byId = new Map(vms.map((v) => [v.vmId, v]));
  for (;;) {
    const state = (await (await fetch(`${url}/v1/dashboard/state`)).json()) as {
      vms: { vmId: string; predictedSlowdown: number | null }[];
    };
    const known = state.vms.filter((v) => byId.has(v.vmId) && v.predictedSlowdown !== null);
    if (known.length === vms.length) {
      for (const v of known) byId.get(v.vmId)!.predicted = v.predictedSlowdown!;
      return;
    }
    if (Date.now() > deadline)
      throw new Error(`only ${known.length} of ${vms.length} VMs have a prediction after ${timeoutMs} ms`);
    await sleep(500);
  }
}

// --- one run --------------------------------------------------------------------------------
interface RunResult {
  readonly log: 'embedded' | 'kafka';
  readonly rate: number;
  readonly run: number;
  /** 202 of the POST carrying the raising sample → `alert` on the socket. */
  readonly alertMs: number[];
  /** The same from the moment the sample was taken (its ts): includes the agent's wait and the POST. */
  readonly sampledMs: number[];
  readonly openedMs: number[];
  /** Episodes whose raising sample was acknowledged but no alert reached the client. */
  readonly missing: number;
  readonly achievedRate: number;
  /** 202 round trip of the background POSTs. */
  readonly postP50: number;
  readonly postP99: number;
  readonly non2xx: number;
  readonly serverCpu: number;
  /** This process (agents, probes, socket client), and the broker when KAFKA_BROKER_PID is set: cores busy. */
  readonly benchCpu: number;
  readonly brokerCpu: number;
  /** The server's event-loop stalls ≥ 50 ms inside the window: how many, the longest, ms in all. */
  readonly stalls: { readonly n: number; readonly max: number; readonly totalMs: number };
  readonly load: [number, number];
  readonly predicted: { background: [number, number]; probe: number };
  readonly otherAlerts: Record<string, number>;
}

async function runOnce(logName: 'embedded' | 'kafka', rate: number, run: number): Promise<RunResult> {
  const tag = `b${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-alert-bench-'));
  const prefixes: string[] = [];
  const envFor = (attempt: number): NodeJS.ProcessEnv => {
    const prefix = `bench-alat-${tag}${attempt > 0 ? `r${attempt}` : ''}.`;
    prefixes.push(prefix);
    return {
      PORT: '0',
      VGPU_TWIN_DATA_DIR: dir,
      EVENT_LOG: logName,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      INGEST_RATE_LIMIT_PER_S: '0',
      TWIN_INSTANCE_ID: tag,
      NOTIFIER_INSTANCE: tag,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...(logName === 'kafka' ? { KAFKA_BROKERS: BROKERS, VGPU_TWIN_STREAM_PREFIX: prefix } : {}),
    };
  };
  const cleanUp = async () => {
    rmSync(dir, { recursive: true, force: true });
    if (logName === 'kafka') toDelete.push(...prefixes);
  };
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  // Under load a fresh topic's metadata can lag its creation (kafkajs createTopics with
  // waitForLeaders: "This server does not host this topic-partition"): tried once more, on
  // fresh topics.
  let server: Server;
  try {
    server = await startServer(envFor(0)).catch((e: unknown) => {
      log(`server start failed, trying once more: ${(e as Error).message.split('\n').slice(0, 2).join(' ')}`);
      return startServer(envFor(1));
    });
  } catch (e) {
    await cleanUp();
    throw e;
  }
  let socket: Socket | null = null;
  let timer: NodeJS.Timeout | null = null;
  try {
    log(`${logName} ${rate}/s run ${run}: server up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const topo = topology(rate, tag);
    // 1,000 a request: 5,000 (~1.3 MB, all on the one inventory partition) is refused by Kafka's
    // default message.max.bytes (1 MB) — ingest answers 503.
    for (let i = 0; i < topo.events.length; i += 1000)
      await post(`${server.url}/v1/inventory`, topo.events.slice(i, i + 1000));
    await readPredictions(server.url, [...topo.background, ...topo.probes]);
    const bgPred = topo.background.map((v) => v.predicted);
    const predicted = {
      background: [Math.min(...bgPred), Math.max(...bgPred)] as [number, number],
      probe: Math.max(...topo.probes.map((v) => v.predicted)),
    };
    log(
      `inventory in (${topo.events.length} events) after ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `predicted background ${predicted.background.join('–')}×, probes ≤ ${predicted.probe}×`,
    );

    // The dashboard: one socket, every probe's room.
    const acked = new Map<string, number>(); // sample id → time its POST got 202
    const alertAt = new Map<string, number>();
    const openedAt = new Map<string, number>();
    const otherAlerts: Record<string, number> = {};
    const trigger = (alertId: string) => alertId.slice(alertId.lastIndexOf(':') + 1);
    socket = io(server.url, { transports: ['websocket'] });
    socket.on('alert', (e: AlertRaised | AlertResolved | PlacementSuggested) => {
      const now = performance.now();
      if (e.type !== 'alert.raised') return;
      if (e.data.kind === 'interference') alertAt.set(trigger(e.data.alertId), now);
      else otherAlerts[e.data.kind] = (otherAlerts[e.data.kind] ?? 0) + 1;
    });
    socket.on('lifecycle', (e: LifecycleEvent) => {
      const now = performance.now();
      if (e.type === 'alert.opened' && e.data.alert.labels.kind === 'interference')
        openedAt.set(trigger(e.data.alert.alertId), now);
    });
    await new Promise<void>((resolve, reject) => {
      socket!.emit(
        'subscribe',
        { rooms: topo.probes.map((p) => `vm:${p.vmId}`) },
        (ack: { rooms?: string[]; error?: string }) => (ack.rooms ? resolve() : reject(new Error(ack.error))),
      );
    });

    // Agents. Background: RATE/BATCH agents, one POST a second each, phases spread over the second.
    const agents: Vm[][] = [];
    for (let i = 0; i < topo.background.length; i += BATCH) agents.push(topo.background.slice(i, i + BATCH));
    const postMs: number[] = [];
    let sent = 0;
    let accepted = 0;
    let non2xx = 0;
    let seq = 0;
    const url = `${server.url}/v1/telemetry`;
    const sampleOf = (vm: Vm, id: string, slowdown: number, noise: number) => {
      const p = topo.profiles.get(vm.workload)!;
      return {
        id,
        type: 'telemetry.vm_sample',
        ts: new Date().toISOString(),
        data: {
          vmId: vm.vmId,
          gpuId: vm.gpuId,
          gpuUtilPct: Math.min(100, Math.round((p.features.gpuUtilPct / vm.predicted) * 10) / 10),
          memUtilPct: p.features.memUtilPct,
          fbUsedMib: 6000,
          pcieRxMBps: p.features.pcieRxMBps,
          pcieTxMBps: p.features.pcieTxMBps,
          vcpuUtilPct: 30,
          vmMemUtilPct: 40,
          progressRate: Math.round((p.soloProgressRate / slowdown) * (1 + noise) * 1000) / 1000,
        },
      };
    };
    type Sample = ReturnType<typeof sampleOf>;
    /**
     * An agent as real ones behave: one request in flight; what it sampled meanwhile goes out in
     * its next request, in order (so a slow ingest makes batches grow, not requests pile up).
     */
    interface Agent {
      pending: Sample[];
      inFlight: boolean;
      /** Told when a request of its samples got its 202. */
      readonly onAck?: (ids: readonly string[], t: number) => void;
    }
    const flush = (agent: Agent): void => {
      if (agent.inFlight || agent.pending.length === 0) return;
      const body = agent.pending;
      agent.pending = [];
      agent.inFlight = true;
      const start = performance.now();
      sent += body.length;
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
        .then(async (res) => {
          const t = performance.now();
          await res.arrayBuffer();
          if (res.status === 202) {
            accepted += body.length;
            agent.onAck?.(
              body.map((b) => b.id),
              t,
            );
          } else non2xx++;
          if (!agent.onAck) postMs.push(t - start);
          if (DEBUG && t - start > 200)
            log(`slow POST: ${(t - start).toFixed(0)} ms at +${((start - tStart) / 1000).toFixed(2)} s`);
        })
        .catch(() => non2xx++)
        .finally(() => {
          agent.inFlight = false;
          flush(agent);
        });
    };

    // Probes: one agent each, 1 Hz, a random phase; SLOW/NORMAL episodes from a random start.
    type ProbeState = { vm: Vm; agent: Agent; next: number; slowLeft: number; normalLeft: number };
    const sampledAt = new Map<string, number>(); // probe sample id → when it was taken (its ts)
    const probeAgent = (): Agent => ({
      pending: [],
      inFlight: false,
      onAck: (ids, t) => {
        for (const id of ids) acked.set(id, t);
      },
    });
    const bgAgents: Agent[] = agents.map(() => ({ pending: [], inFlight: false }));
    const tStart = performance.now();
    const probeStart = tStart + WARMUP_S * 1000;
    const probeEnd = probeStart + WINDOW_S * 1000;
    const probes: ProbeState[] = topo.probes.map((vm) => ({
      vm,
      agent: probeAgent(),
      next: tStart + Math.random() * 1000,
      slowLeft: 0,
      normalLeft: Math.floor(Math.random() * (SLOW_SAMPLES + NORMAL_SAMPLES)),
    }));
    const bgNext = agents.map((_, i) => tStart + (i * 1000) / agents.length);
    let bgSecond = 0;
    const raising = new Set<string>(); // ids of the 6th slow samples (the ones that should raise)
    const position = new Map<string, string>(); // probe sample id → where in its episode (diagnostics)
    const cpu0 = { t: 0, cpu: 0, wall: 0, self: process.cpuUsage(), broker: 0 };
    const cpu1 = { t: 0, cpu: 0, wall: 0, self: process.cpuUsage(), broker: 0 };
    const brokerPid = Number(process.env.KAFKA_BROKER_PID ?? 0);
    const countFrom = { sent: 0, accepted: 0, t: 0 };
    const countTo = { accepted: 0, t: 0 };
    const tick = () => {
      const now = performance.now();
      if (cpu0.t === 0 && now >= probeStart) {
        Object.assign(cpu0, {
          t: now,
          cpu: cpuSecondsOf(server.child.pid!),
          wall: Date.now(),
          self: process.cpuUsage(),
          broker: brokerPid ? cpuSecondsOf(brokerPid) : Number.NaN,
        });
        Object.assign(countFrom, { sent, accepted, t: now });
      }
      if (cpu1.t === 0 && now >= probeEnd) {
        Object.assign(cpu1, {
          t: now,
          cpu: cpuSecondsOf(server.child.pid!),
          wall: Date.now(),
          self: process.cpuUsage(cpu0.self),
          broker: brokerPid ? cpuSecondsOf(brokerPid) : Number.NaN,
        });
        Object.assign(countTo, { accepted, t: now });
      }
      for (let a = 0; a < agents.length; a++) {
        if (bgNext[a]! > now) continue;
        bgNext[a]! += 1000;
        bgSecond++;
        const agent = bgAgents[a]!;
        for (const vm of agents[a]!)
          agent.pending.push(
            sampleOf(vm, `${tag}-${vm.vmId}-${bgSecond}`, vm.predicted, (Math.random() - 0.5) * 0.02),
          );
        flush(agent);
      }
      for (const p of probes) {
        if (p.next > now) continue;
        p.next += 1000;
        const id = `${tag}-${p.vm.vmId}-s${++seq}`;
        let slowdown = p.vm.predicted;
        if (now >= probeStart && now < probeEnd) {
          if (p.slowLeft === 0 && p.normalLeft === 0) p.slowLeft = SLOW_SAMPLES;
          if (p.slowLeft > 0) {
            slowdown = p.vm.predicted * SLOW_FACTOR;
            if (p.slowLeft === SLOW_SAMPLES - 5) raising.add(id);
            position.set(id, `slow ${SLOW_SAMPLES - p.slowLeft + 1}`);
            if (--p.slowLeft === 0) p.normalLeft = NORMAL_SAMPLES + Math.floor(Math.random() * 4);
          } else position.set(id, `normal, ${p.normalLeft--} left`);
        } else if (p.slowLeft > 0) {
          // past the window: finish the episode so its alert is raised and counted
          slowdown = p.vm.predicted * SLOW_FACTOR;
          if (p.slowLeft === SLOW_SAMPLES - 5) raising.add(id);
          p.slowLeft--;
        }
        sampledAt.set(id, now);
        p.agent.pending.push(sampleOf(p.vm, id, slowdown, 0));
        flush(p.agent);
      }
    };
    timer = setInterval(tick, 5);
    await sleep((WARMUP_S + WINDOW_S) * 1000);
    // Episodes started near the end finish (≤ 7 s); then, the load still on, the last alerts get
    // up to GRACE_S to arrive (an alert later than that counts as missing).
    while (probes.some((p) => p.slowLeft > 0)) await sleep(200);
    const graceEnd = performance.now() + GRACE_S * 1000;
    await sleep(1000);
    while (alertAt.size < raising.size && performance.now() < graceEnd) await sleep(200);
    clearInterval(timer);
    timer = null;

    const alertMs: number[] = [];
    const openedMs: number[] = [];
    const sampledMs: number[] = [];
    let missing = 0;
    for (const [id, at] of acked) {
      const a = alertAt.get(id);
      const o = openedAt.get(id);
      const ms = (x: number) => Math.round(x * 100) / 100;
      if (a !== undefined) alertMs.push(ms(a - at));
      if (a !== undefined) sampledMs.push(ms(a - sampledAt.get(id)!));
      if (o !== undefined) openedMs.push(ms(o - at));
      if (a === undefined && raising.has(id)) missing++;
    }
    const unexpected = [...alertAt.keys()].filter((id) => !raising.has(id)).length;
    if (unexpected > 0)
      log(
        `${unexpected} interference alerts were raised by other samples than the 6th slow one: ` +
          [...alertAt.keys()]
            .filter((id) => !raising.has(id))
            .map((id) => position.get(id) ?? id)
            .slice(0, 10)
            .join('; '),
      );
    const elapsed = (countTo.t - countFrom.t) / 1000;
    const stalls = server.stalls.filter(([, at]) => at >= cpu0.wall && at <= cpu1.wall).map(([ms]) => ms);
    if (DEBUG)
      log(
        `stalls: ${server.stalls.map(([ms, at]) => `${ms} ms at +${((at - cpu0.wall) / 1000 + WARMUP_S).toFixed(1)} s`).join(', ')}`,
      );
    const result: RunResult = {
      log: logName,
      rate,
      run,
      alertMs,
      sampledMs,
      openedMs,
      missing,
      achievedRate: (countTo.accepted - countFrom.accepted) / elapsed,
      postP50: pctl(postMs, 0.5),
      postP99: pctl(postMs, 0.99),
      non2xx,
      serverCpu: (cpu1.cpu - cpu0.cpu) / elapsed,
      benchCpu: (cpu1.self.user + cpu1.self.system) / 1e6 / elapsed,
      brokerCpu: logName === 'kafka' ? (cpu1.broker - cpu0.broker) / elapsed : Number.NaN,
      stalls: { n: stalls.length, max: Math.max(0, ...stalls), totalMs: stalls.reduce((a, b) => a + b, 0) },
      load: [load0, loadavg()[0]!],
      predicted,
      otherAlerts,
    };
    log(
      `${logName} ${rate}/s run ${run}: ${alertMs.length} alerts (missing ${missing}), alert p50 ${f1(pctl(alertMs, 0.5))} ` +
        `p99 ${f1(pctl(alertMs, 0.99))} ms (from the sample: ${f1(pctl(sampledMs, 0.5))} / ${f1(pctl(sampledMs, 0.99))}); opened p50 ${f1(pctl(openedMs, 0.5))} p99 ${f1(pctl(openedMs, 0.99))} ms; ` +
        `${fInt(result.achievedRate)} samples/s accepted, POST p50 ${f1(result.postP50)} p99 ${f1(result.postP99)} ms, ` +
        `CPU: server ${(100 * result.serverCpu).toFixed(0)}%, bench ${(100 * result.benchCpu).toFixed(0)}%` +
        `${Number.isFinite(result.brokerCpu) ? `, broker ${(100 * result.brokerCpu).toFixed(0)}%` : ''}; ${stalls.length} stalls ≥ 50 ms (max ${result.stalls.max}), load ${result.load.map((l) => l.toFixed(1)).join('→')}`,
    );
    return result;
  } finally {
    if (timer) clearInterval(timer);
    socket?.close();
    const tStop = performance.now();
    const code = await server.stop();
    log(`server stopped (${code}) in ${((performance.now() - tStop) / 1000).toFixed(1)} s`);
    await cleanUp();
  }
}

/** Topic prefixes of this bench's Kafka runs, deleted when it ends (deleteBenchTopics). */
const toDelete: string[] = [];

// --- main -----------------------------------------------------------------------------------
async function main(): Promise<void> {
  log(
    `${cpus()[0]?.model ?? '?'}, ${cpus().length} cores, Node ${process.version}; logs ${LOGS.join(',')}, ` +
      `rates ${RATES.join(',')}, ${RUNS} runs, ${WINDOW_S} s window, ${PROBES} probes, batch ${BATCH}`,
  );
  const results: RunResult[] = [];
  // Interleaved: each round runs every configuration once, so load from other jobs spreads over them.
  for (let run = 1; run <= RUNS; run++)
    for (const l of LOGS) for (const rate of RATES) results.push(await runOnce(l, rate, run));

  const file = join(__dirname, 'results.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown[]) : [];
  const entry = {
    at: new Date().toISOString(),
    machine: cpus()[0]?.model,
    // settings passed through to the server (everything else is the services' default)
    env: Object.fromEntries(
      Object.entries(process.env).filter(([k]) => /^(TWIN|INGEST|NOTIFIER|KAFKA)_/.test(k)),
    ),
    results,
  };
  // Written as Prettier would (the repository's format check covers it).
  const style = await resolveConfig(file);
  writeFileSync(file, await format(JSON.stringify([...previous, entry]), { ...style, parser: 'json' }));

  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '–');
  const rows: string[] = [
    '| log | target samples/s | accepted samples/s | probe alerts per run (missing) | 202 → alert p50 / p99 ms, per run | **202 → alert p50 / p99**, median of runs | pooled p99 | 202 → alert.opened p50 / p99, median of runs | pooled p99 | sampled → alert p50 / p99, median of runs | background POST p50 / p99 ms | server stalls ≥ 50 ms per run (longest ms) | CPU: server / bench / broker | p99 < 100 ms |',
    '| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |',
  ];
  for (const l of LOGS)
    for (const rate of RATES) {
      const rs = results.filter((r) => r.log === l && r.rate === rate);
      const p50s = rs.map((r) => pctl(r.alertMs, 0.5));
      const p99s = rs.map((r) => pctl(r.alertMs, 0.99));
      const o50s = rs.map((r) => pctl(r.openedMs, 0.5));
      const o99s = rs.map((r) => pctl(r.openedMs, 0.99));
      const pooledA = pctl(
        rs.flatMap((r) => r.alertMs),
        0.99,
      );
      const pooledO = pctl(
        rs.flatMap((r) => r.openedMs),
        0.99,
      );
      const met = median(p99s) < 100 && rs.every((r) => r.missing === 0);
      rows.push(
        `| ${l} | ${fInt(rate)} | ${fInt(median(rs.map((r) => r.achievedRate)))} | ` +
          `${rs.map((r) => `${r.alertMs.length}${r.missing ? ` (${r.missing})` : ''}`).join(', ')} | ` +
          `${rs.map((_, i) => `${f1(p50s[i]!)} / ${f1(p99s[i]!)}`).join('; ')} | **${f1(median(p50s))} / ${f1(median(p99s))}** | ${f1(pooledA)} | ` +
          `${f1(median(o50s))} / ${f1(median(o99s))} | ${f1(pooledO)} | ` +
          `${f1(median(rs.map((r) => pctl(r.sampledMs, 0.5))))} / ${f1(median(rs.map((r) => pctl(r.sampledMs, 0.99))))} | ` +
          `${f1(median(rs.map((r) => r.postP50)))} / ${f1(median(rs.map((r) => r.postP99)))} | ` +
          `${rs.map((r) => `${r.stalls.n} (${r.stalls.max})`).join(', ')} | ` +
          `${pct(median(rs.map((r) => r.serverCpu)))} / ${pct(median(rs.map((r) => r.benchCpu)))} / ${pct(median(rs.map((r) => r.brokerCpu)))} | ` +
          `${met ? 'met' : 'missed'} |`,
      );
    }
  process.stdout.write(`${rows.join('\n')}\n`);
}

main()
  .finally(() => deleteBenchTopics(BROKERS, toDelete, log))
  .catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
