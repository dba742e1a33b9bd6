/**
 * Sustained scale (issue 15 item 4): GPUS GPUs × 4 VMs at 1 Hz through the HTTP API into Kafka
 * with two twin instances (one consumer group, the telemetry partitions split between them).
 * Every second the generator POSTs one sample per VM (requests of 1,000 samples, 250 GPUs' VMs
 * each, as host agents would) to the ingest service (bench/ingest-throughput/server.ts, its own
 * process; INGEST_PACK_MAX_EVENTS default 500); every SAMPLE_S it records the twins' consumer lag
 * (the group's committed offsets against the topic's end, in records and in samples), the twins'
 * applied events (GET /v1/twin/status) and the RSS of every process.
 *
 *   SWC_NODE_PROJECT=tsconfig.json KAFKAJS_NO_PARTITIONER_WARNING=1 \
 *     node -r @swc-node/register bench/scale/scale.bench.ts
 *
 * Env: KAFKA_BROKERS (127.0.0.1:9092), GPUS (10000), DURATION_S (120), SAMPLE_S (10), DRAIN_S (30:
 * how long to let the twins catch up after the load stops), CONCURRENCY (8 requests in flight).
 * Topics (unique prefix per run) are deleted at the end. Prints a timeline and a summary
 * (offered, accepted, applied by the twins, lag) on stdout.
 */
import { Kafka, logLevel } from 'kafkajs';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchInventory } from '../support/cluster';

const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const GPUS = Number(process.env.GPUS ?? 10_000);
const VMS_PER_GPU = 4;
const VMS = GPUS * VMS_PER_GPU;
const PER_REQUEST = 1000;
const DURATION_S = Number(process.env.DURATION_S ?? 120);
const SAMPLE_S = Number(process.env.SAMPLE_S ?? 10);
const DRAIN_S = Number(process.env.DRAIN_S ?? 30);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const PREFIX = `bench-scale-${process.pid}-`;
const TELEMETRY = `${PREFIX}vgpu.telemetry`;
// the twins' group, namespaced by the stream prefix as libs/event-log's prefixed() does
const GROUP = `${PREFIX}twin`;
const log = (s: string): void => void process.stderr.write(`[scale] ${s}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const gpuId = (g: number): string => `gpu-${pad(g, 5)}`;
const vmId = (v: number): string => `vm-${pad(v, 6)}`;

function rssMb(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
function cpuS(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Proc {
  readonly child: ChildProcess;
  readonly port: number;
}
async function startProc(script: string, env: NodeJS.ProcessEnv, portRe: RegExp): Promise<Proc> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', script], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-3000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = portRe.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}): ${err}`)));
  });
  child.stdout.resume();
  return { child, port };
}
async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000).then(() => p.child.kill('SIGKILL'))]);
}

function inventory(ts: string): unknown[] {
  return benchInventory({
    ts,
    gpus: GPUS,
    vmsPerGpu: VMS_PER_GPU,
    gpusPerHost: 8,
    hostId: (h) => `host-${pad(h, 4)}`,
    gpuId,
    vmId,
    workloads: [{ workload: 'w', gpuUtilPct: 60, memUtilPct: 40, pcieRxMBps: 120 }],
  });
}

const TS_TOKEN = '__TS__';
/** Request bodies for one second, with a token where the time goes (replaced per send). */
function templates(): string[] {
  const out: string[] = [];
  for (let first = 0; first < VMS; first += PER_REQUEST) {
    const events: unknown[] = [];
    for (let v = first; v < Math.min(VMS, first + PER_REQUEST); v++)
      events.push({
        type: 'telemetry.vm_sample',
        ts: TS_TOKEN,
        data: {
          vmId: vmId(v),
          gpuId: gpuId(Math.floor(v / VMS_PER_GPU)),
          gpuUtilPct: 20 + (v % 5),
          memUtilPct: 30,
          fbUsedMib: 3000,
          pcieRxMBps: 100,
          pcieTxMBps: 10,
          vcpuUtilPct: 30,
          vmMemUtilPct: 50,
          progressRate: 9.5 + (v % 10) / 10,
        },
      });
    out.push(JSON.stringify(events));
  }
  return out;
}

async function post(url: string, body: string): Promise<{ ok: boolean; accepted: number }> {
  try {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const j = (await r.json()) as { accepted?: number };
    return { ok: r.ok, accepted: r.ok ? (j.accepted ?? 0) : 0 };
  } catch {
    return { ok: false, accepted: 0 };
  }
}

async function main(): Promise<void> {
  log(
    `machine: ${cpus()[0]?.model}, ${cpus().length} cores, node ${process.version}; loadavg ${loadavg()[0]!.toFixed(2)}`,
  );
  log(`${GPUS} GPUs, ${VMS} VMs at 1 Hz = ${VMS} samples/s offered for ${DURATION_S} s; prefix ${PREFIX}`);
  const kafka = new Kafka({
    clientId: 'scale-bench',
    brokers: BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const dirs: string[] = [];
  const procs: Proc[] = [];
  const common = { EVENT_LOG: 'kafka', KAFKA_BROKERS: BROKERS, VGPU_TWIN_STREAM_PREFIX: PREFIX };
  try {
    const dir = (): string => {
      const d = mkdtempSync(join(tmpdir(), 'vgpu-scale-'));
      dirs.push(d);
      return d;
    };
    const ingest = await startProc(
      'bench/ingest-throughput/server.ts',
      {
        ...common,
        VGPU_TWIN_DATA_DIR: dir(),
        INGEST_PORT: '0',
        INGEST_KEY_STORE: 'none',
        INGEST_RATE_LIMIT_PER_S: '0',
      },
      /^PORT (\d+)$/m,
    );
    procs.push(ingest);
    const base = `http://127.0.0.1:${ingest.port}`;
    const inv = inventory(new Date(Date.now() - 60_000).toISOString());
    for (let i = 0; i < inv.length; i += 2_000) {
      const r = await fetch(`${base}/v1/inventory`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(inv.slice(i, i + 2_000)),
      });
      if (!r.ok) throw new Error(`inventory: ${r.status} ${(await r.text()).slice(0, 300)}`);
    }
    const twins: Proc[] = [];
    for (const id of ['a', 'b']) {
      const t = await startProc(
        'apps/twin/src/main.ts',
        { ...common, VGPU_TWIN_DATA_DIR: dir(), TWIN_PORT: '0', TWIN_INSTANCE_ID: `scale-${id}` },
        /localhost:(\d+)/,
      );
      twins.push(t);
      procs.push(t);
    }
    const status = async (t: Proc): Promise<{ events: number; partitions: number[] }> => {
      try {
        return (await (await fetch(`http://127.0.0.1:${t.port}/v1/twin/status`)).json()) as {
          events: number;
          partitions: number[];
        };
      } catch {
        return { events: Number.NaN, partitions: [] };
      }
    };
    // wait until both twins hold the whole inventory
    for (let i = 0; i < 120; i++) {
      const s = await Promise.all(twins.map(status));
      if (s.every((x) => x.events >= inv.length)) break;
      await sleep(1000);
    }
    const invEvents = inv.length;
    const bodies = templates();
    const lag = async (): Promise<{ records: number; end: number }> => {
      const ends = await admin.fetchTopicOffsets(TELEMETRY);
      const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [TELEMETRY] });
      const c = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      let records = 0;
      let end = 0;
      for (const e of ends) {
        const hi = Number(e.high);
        end += hi;
        records += hi - Math.max(0, c.get(e.partition) ?? 0);
      }
      return { records, end };
    };
    let offered = 0;
    let accepted = 0;
    let failed = 0;
    let lateTicks = 0;
    const timeline: string[] = [];
    const t0 = performance.now();
    const cpu0 = procs.map((p) => cpuS(p.child.pid));
    let nextSample = SAMPLE_S;
    const sampleLine = async (label: string): Promise<void> => {
      const el = (performance.now() - t0) / 1000;
      const [l, ...st] = await Promise.all([lag(), ...twins.map(status)]);
      const applied = st.reduce((a, s) => a + s.events - invEvents, 0);
      timeline.push(
        `| ${label} | ${el.toFixed(0)} | ${offered.toLocaleString('en-US')} | ${accepted.toLocaleString('en-US')} | ` +
          `${applied.toLocaleString('en-US')} | ${l.records.toLocaleString('en-US')} | ${Math.max(0, accepted - applied).toLocaleString('en-US')} | ` +
          `${((accepted - applied) / VMS).toFixed(1)} | ${procs.map((p) => rssMb(p.child.pid)).join(' / ')} | ${loadavg()[0]!.toFixed(1)} |`,
      );
      log(timeline[timeline.length - 1]!);
    };
    // 1 Hz: every second one sample per VM, CONCURRENCY requests in flight
    for (let tick = 0; tick < DURATION_S; tick++) {
      const due = t0 + tick * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -1000) lateTicks++;
      const ts = new Date().toISOString();
      let i = 0;
      const worker = async (): Promise<void> => {
        while (i < bodies.length) {
          const b = bodies[i++]!;
          const r = await post(`${base}/v1/telemetry`, b.replaceAll(TS_TOKEN, ts));
          if (r.ok) accepted += r.accepted;
          else failed++;
        }
      };
      offered += VMS;
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      if ((performance.now() - t0) / 1000 >= nextSample) {
        nextSample += SAMPLE_S;
        await sampleLine('load');
      }
    }
    const loadWall = (performance.now() - t0) / 1000;
    const cpuLoad = procs.map((p, k) => (cpuS(p.child.pid) - cpu0[k]!) / loadWall);
    for (let s = 0; s < DRAIN_S; s += SAMPLE_S) {
      await sleep(SAMPLE_S * 1000);
      await sampleLine('drain');
    }
    console.log(
      `${GPUS} GPUs / ${VMS} VMs at 1 Hz, ${DURATION_S} s of load (took ${loadWall.toFixed(0)} s: ${lateTicks} seconds started late), ` +
        `2 twins, ingest packs ${process.env.INGEST_PACK_MAX_EVENTS ?? 500}.`,
    );
    console.log(
      `offered ${offered.toLocaleString('en-US')} samples (${VMS.toLocaleString('en-US')}/s); accepted ${accepted.toLocaleString('en-US')} ` +
        `(${((100 * accepted) / offered).toFixed(1)} %; ${Math.round(accepted / loadWall).toLocaleString('en-US')}/s over the load's wall time); failed requests ${failed}.`,
    );
    console.log(
      `CPU during the load, cores: ingest ${cpuLoad[0]!.toFixed(2)}, twin a ${cpuLoad[1]!.toFixed(2)}, twin b ${cpuLoad[2]!.toFixed(2)}`,
    );
    console.log(
      '\n| phase | t s | offered | accepted | applied by the twins | lag, records | lag, samples (accepted − applied) | lag, seconds of telemetry | RSS MB ingest / twin a / twin b | load avg |',
    );
    console.log('| --- | --: | --: | --: | --: | --: | --: | --: | --- | --: |');
    for (const l of timeline) console.log(l);
  } finally {
    for (const p of procs.reverse()) await stopProc(p);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(PREFIX));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
