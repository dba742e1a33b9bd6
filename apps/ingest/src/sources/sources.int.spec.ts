import type { INestApplication } from '@nestjs/common';
import { fixtures, Streams, type DomainEvent } from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { streamSpecs } from '@vgpu-twin/service-kit';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../../../libs/event-log/src/testing/event-log-contract';
import { bootIngest, eventsIn, freePort } from '../testing/ingest-harness';
import { encodeRemoteWrite } from './remote-write';
import { startPrometheus, type RunningPrometheus } from '../../../../test/support/prometheus';

const DATA = join(__dirname, '../../../../../shared/data/telemetry');
const T4 = 'GPU-00000000-0000-0000-0000-000000000000'; // masked upstream; see below
const QUICKSTART_UUID = 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52'; // dcgm-exporter-readme-quickstart.prom L8

type GpuSample = Extract<DomainEvent, { type: 'telemetry.gpu_sample'; version: 2 }>;
const gpuSamples = (events: DomainEvent[]) =>
  events.filter((e): e is GpuSample => e.type === 'telemetry.gpu_sample' && e.version === 2);

/** A dcgm-exporter-format endpoint: the README quick start's series without its `...` elisions, plus utilisation and framebuffer. */
function exporterText(util: number): string {
  const quickstart = readFileSync(join(DATA, 'dcgm-exporter-readme-quickstart.prom'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '...')
    .join('\n');
  const labels = `gpu="0",UUID="${QUICKSTART_UUID}",Hostname="node-7",modelName="Tesla V100-SXM2-16GB"`;
  return (
    `${quickstart.trimEnd()}\n` +
    `# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).\n# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{${labels}} ${util}\n` +
    `# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).\n# TYPE DCGM_FI_DEV_FB_USED gauge\nDCGM_FI_DEV_FB_USED{${labels}} 5000\n` +
    `# HELP DCGM_FI_DEV_FB_FREE Framebuffer memory free (in MiB).\n# TYPE DCGM_FI_DEV_FB_FREE gauge\nDCGM_FI_DEV_FB_FREE{${labels}} 11160\n`
  );
}

describe('ingest from real telemetry sources (embedded log)', () => {
  let dir: string;
  let log: EmbeddedEventLog;
  let app: INestApplication | null = null;
  let exporter: Server | null = null;
  let prometheus: RunningPrometheus | null = null;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-sources-'));
    log = new EmbeddedEventLog({ file: join(dir, 'log.sqlite') });
    await log.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
  });
  afterEach(async () => {
    prometheus?.stop();
    prometheus = null;
    await app?.close();
    app = null;
    await new Promise((r) => (exporter ? exporter.close(r) : r(null)));
    exporter = null;
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function serveExporter(): Promise<string> {
    let util = 40;
    exporter = createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(exporterText((util = util >= 90 ? 40 : util + 10)));
    });
    await new Promise<void>((r) => exporter!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(exporter.address() as { port: number }).port}/metrics`;
  }

  it('POST /v1/import: a dcgm-exporter capture becomes GPU samples; the dummy block is named line by line and the rest kept', async () => {
    ({ app } = await bootIngest(log));
    const base = `http://127.0.0.1:${(app.getHttpServer() as Server).address() ? ((app.getHttpServer() as Server).address() as { port: number }).port : 0}`;
    const text = readFileSync(join(DATA, 'dcgm-exporter-datadog-fixture-t4.prom'), 'utf8');
    const res = await fetch(`${base}/v1/import?format=auto&host=t4-host`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: text,
    });
    expect(res.status).toBe(400); // the fixture's dummy block has samples with no GPU identity
    const body = (await res.json()) as {
      format: string;
      problems: { line: number }[];
      accepted: { telemetry: number };
    };
    expect(body.format).toBe('prometheus');
    expect(body.problems.map((p) => p.line)).toContain(74); // datadog fixture L74: the first label-less dummy sample
    const samples = gpuSamples(await eventsIn(log, Streams.telemetry));
    expect(samples.length).toBe(body.accepted.telemetry);
    expect(samples.length).toBeGreaterThanOrEqual(1);
    expect(samples.every((s) => s.data.hostId !== '')).toBe(true);
  });

  it('rejects a refused exposition with the line, and a body that is no capture, with 400', async () => {
    ({ app } = await bootIngest(log));
    const base = baseOf(app);
    const res = await fetch(`${base}/v1/import`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: readFileSync(join(DATA, 'dcgm-exporter-readme-2020-missing-comma.prom'), 'utf8'),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/line 8/); // the 2020 sample's L8 lacks a comma
    const bad = await fetch(`${base}/v1/import?format=yaml`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(bad.status).toBe(400);
    const rw = await fetch(`${base}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: 'not snappy at all',
    });
    expect(rw.status).toBe(400);
    expect(JSON.stringify(await rw.json())).toMatch(/snappy/);
    expect(await eventsIn(log, Streams.telemetry)).toEqual([]);
  });

  it('scrapes targets on an interval, backs off a dead one, and shows both at GET /v1/sources', async () => {
    const good = await serveExporter();
    const dead = `http://127.0.0.1:${await freePort()}/metrics`;
    ({ app } = await bootIngest(log, {
      INGEST_SCRAPE_TARGETS: `${good},${dead}`,
      INGEST_SCRAPE_INTERVAL_MS: '200',
      INGEST_SCRAPE_TIMEOUT_MS: '500',
    }));
    const base = baseOf(app);
    await eventually(
      async () => gpuSamples(await eventsIn(log, Streams.telemetry)).length >= 4,
      '4 scraped GPU samples',
      15_000,
    );
    const status = (await (await fetch(`${base}/v1/sources`)).json()) as {
      scrape: {
        targets: {
          url: string;
          scrapes: number;
          lastError: string | null;
          readings: number;
          consecutiveFailures: number;
        }[];
      };
    };
    const [g, d] = [
      status.scrape.targets.find((t) => t.url === good)!,
      status.scrape.targets.find((t) => t.url === dead)!,
    ];
    expect(g).toMatchObject({ lastError: null, readings: 1, consecutiveFailures: 0 }); // one GPU in the exporter's text
    expect(d.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(d.lastError).toBeTruthy();
    expect(d.scrapes).toBeLessThan(g.scrapes); // 200, 400, 800 ms … between tries of the dead one
    const [first] = gpuSamples(await eventsIn(log, Streams.telemetry));
    expect(first!.data).toMatchObject({
      gpuId: QUICKSTART_UUID, // no inventory: the GPU is its UUID
      hostId: 'node-7', // the Hostname label
      smClockMhz: 139, // quickstart L8: DCGM_FI_DEV_SM_CLOCK 139
      fbUsedMib: 5000,
      fbTotalMib: 16160, // used 5000 + free 11160 (no FB_TOTAL or FB_RESERVED series)
      temperatureC: null, // quickstart L10: DCGM_FI_DEV_MEMORY_TEMP is the blank sentinel; no GPU_TEMP series
    });
    expect(first!.source).toBe(`scrape:${good}`);
  });

  it("turns a workload progress counter into its VM's progress rate (mapping file), on the GPU the inventory places it", async () => {
    const started = Date.now();
    // 7 training steps a second, as the workload's own prom-client counter would count them
    exporter = createServer((_req, res) => {
      const steps = Math.floor(((Date.now() - started) / 1000) * 7 * 1000) / 1000;
      res.end(`# TYPE train_steps_total counter\ntrain_steps_total{vm="vm-1",job="trainer"} ${steps}\n`);
    });
    await new Promise<void>((r) => exporter!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(exporter.address() as { port: number }).port}/metrics`;
    writeFileSync(
      join(dir, 'mapping.json'),
      JSON.stringify({ progress: [{ metric: 'train_steps_total', vmLabel: 'vm', windowMs: 2000 }] }),
    );
    ({ app } = await bootIngest(log, {
      INGEST_SCRAPE_TARGETS: url,
      INGEST_SCRAPE_INTERVAL_MS: '200',
      INGEST_MAPPING_FILE: join(dir, 'mapping.json'),
    }));
    const inventory = ['host.registered', 'gpu.registered', 'vm.placed'].map(
      (t) => fixtures[t as 'vm.placed'],
    );
    const placed = await fetch(`${baseOf(app)}/v1/inventory`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(inventory),
    });
    expect(placed.status).toBe(202);
    type VmSample = Extract<DomainEvent, { type: 'telemetry.vm_sample'; version: 2 }>;
    const progress = async () =>
      (await eventsIn(log, Streams.telemetry)).filter(
        (e): e is VmSample => e.type === 'telemetry.vm_sample' && e.version === 2,
      );
    await eventually(async () => (await progress()).length >= 5, 'five progress samples', 15_000);
    const samples = await progress();
    expect(samples.every((s) => s.data.vmId === 'vm-1' && s.data.gpuId === 'gpu-1')).toBe(true); // fixtures: vm-1 on gpu-1
    expect(samples.every((s) => s.data.gpuUtilPct === null && s.data.fbUsedMib === null)).toBe(true); // progress only
    const last = samples[samples.length - 1]!.data.progressRate!;
    expect(Math.abs(last - 7)).toBeLessThan(1); // 7 steps/s, over a 2 s window of 200 ms scrapes
  });

  it('receives Prometheus remote write from a real Prometheus that scrapes a dcgm-exporter endpoint', async () => {
    const target = new URL(await serveExporter());
    const port = await freePort();
    ({ app } = await bootIngest(log, {}, port));
    prometheus = startPrometheus(
      dir,
      await freePort(),
      [
        'global: { scrape_interval: 1s }',
        'scrape_configs:',
        '  - job_name: dcgm',
        `    static_configs: [{ targets: ['${target.host}'] }]`,
        'remote_write:',
        `  - url: http://127.0.0.1:${port}/api/v1/write`,
        '    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s }',
        '',
      ].join('\n'),
    );
    const running = prometheus;
    try {
      await eventually(
        async () =>
          gpuSamples(await eventsIn(log, Streams.telemetry)).some((s) => s.source === 'remote-write'),
        'a GPU sample remote-written by Prometheus',
        45_000,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\nprometheus said:\n${running.log()}`);
    }
    const written = gpuSamples(await eventsIn(log, Streams.telemetry)).filter(
      (s) => s.source === 'remote-write',
    );
    expect(written[0]!.data).toMatchObject({
      gpuId: QUICKSTART_UUID,
      hostId: 'node-7',
      smClockMhz: 139,
      fbTotalMib: 16160,
    });
    // utilisation as the exporter served it (50, 60 … 90, 40 …), at Prometheus's scrape times
    expect(written.every((s) => [40, 50, 60, 70, 80, 90].includes(s.data.gpuUtilPct!))).toBe(true);
    const status = (await (await fetch(`${baseOf(app)}/v1/sources`)).json()) as {
      remoteWrite: { requests: number; readings: number };
    };
    expect(status.remoteWrite.requests).toBeGreaterThanOrEqual(1);
    expect(status.remoteWrite.readings).toBeGreaterThanOrEqual(written.length);
  }, 90_000);

  it('remote write from our own encoder: every instant of every target is one set of readings', async () => {
    ({ app } = await bootIngest(log));
    const labels = (name: string, instance: string, uuid: string) => ({
      __name__: name,
      instance,
      job: 'dcgm',
      UUID: uuid,
      gpu: '0',
    });
    const body = encodeRemoteWrite([
      {
        labels: labels('DCGM_FI_DEV_GPU_UTIL', '10.0.0.1:9400', 'GPU-a'),
        samples: [
          { value: 10, timestampMs: 1_000 },
          { value: 20, timestampMs: 2_000 },
        ],
      },
      {
        labels: labels('DCGM_FI_DEV_GPU_UTIL', '10.0.0.2:9400', 'GPU-b'),
        samples: [{ value: 30, timestampMs: 1_000 }],
      },
      {
        labels: { __name__: 'up', instance: '10.0.0.1:9400', job: 'dcgm' },
        samples: [{ value: 1, timestampMs: 1_000 }],
      },
    ]);
    const res = await fetch(`${baseOf(app)}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body,
    });
    expect(res.status).toBe(204);
    const samples = gpuSamples(await eventsIn(log, Streams.telemetry)).map((s) => [
      s.data.gpuId,
      s.data.hostId,
      s.ts,
      s.data.gpuUtilPct,
    ]);
    expect(samples.sort()).toEqual([
      ['GPU-a', '10.0.0.1', '1970-01-01T00:00:01.000Z', 10],
      ['GPU-a', '10.0.0.1', '1970-01-01T00:00:02.000Z', 20],
      ['GPU-b', '10.0.0.2', '1970-01-01T00:00:01.000Z', 30],
    ]);
  });
});

function baseOf(app: INestApplication): string {
  return `http://127.0.0.1:${((app.getHttpServer() as Server).address() as { port: number }).port}`;
}
void T4;
