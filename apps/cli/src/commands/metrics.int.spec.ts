import { fixtures } from '@vgpu-twin/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../../../libs/event-log/src/testing/event-log-contract';
import { freePort } from '../../../ingest/src/testing/ingest-harness';
import { startPrometheus, type RunningPrometheus } from '../../../../test/support/prometheus';
import { start } from './start';

interface PromQuery {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** The all-in-one process's /metrics and /health, scraped by a real Prometheus. */
describe('metrics and health of the all-in-one process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-metrics-'));
  let stop: (() => Promise<void>) | null = null;
  let prometheus: RunningPrometheus | null = null;
  let base = '';

  beforeAll(async () => {
    const port = await freePort();
    stop = await start(
      { port: String(port), simulator: false },
      { VGPU_TWIN_DATA_DIR: dir, TWIN_SNAPSHOT_STORE: 'sqlite', TWIN_SNAPSHOT_EVERY: '5', TWIN_SNAPSHOT_MIN_INTERVAL_MS: '0' },
    );
    base = `http://127.0.0.1:${port}`;
    const post = (path: string, events: unknown[]) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events),
      });
    expect(
      (
        await post(
          '/v1/inventory',
          ['host.registered', 'gpu.registered', 'vm.placed', 'workload.profiled'].map(
            (t) => fixtures[t as 'vm.placed'],
          ),
        )
      ).status,
    ).toBe(202);
    const sample = fixtures['telemetry.vm_sample'];
    const samples = Array.from({ length: 10 }, (_, i) => ({
      ...sample,
      id: `m-${i}`,
      ts: new Date(Date.parse(sample.ts) + i * 1000).toISOString(),
    }));
    expect((await post('/v1/telemetry', samples)).status).toBe(202);
    expect(
      (await post('/v1/telemetry', [{ ...sample, id: 'bad', data: { ...sample.data, gpuUtilPct: 101 } }]))
        .status,
    ).toBe(400);
  }, 60_000);
  afterAll(async () => {
    prometheus?.stop();
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves /metrics in Prometheus text with each service's series", async () => {
    await eventually(
      async () =>
        /vgpu_twin_twin_events_applied_total \d*[1-9]/.test(await (await fetch(`${base}/metrics`)).text()),
      'the twin to apply the events',
      20_000,
    );
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^vgpu_twin_ingest_records_accepted_total\{stream="vgpu.telemetry"\} 10$/m); // the 10 samples posted
    expect(text).toMatch(/^vgpu_twin_ingest_records_accepted_total\{stream="vgpu.inventory"\} 4$/m); // host, GPU, VM, profile
    expect(text).toMatch(
      /^vgpu_twin_ingest_records_rejected_total\{stream="vgpu.telemetry",reason="invalid"\} 1$/m,
    ); // gpuUtilPct 101
    expect(text).toMatch(/^vgpu_twin_ingest_batch_records_count 3$/m); // three requests
    expect(text).toMatch(/^vgpu_twin_twin_model_info\{model="hybrid@[0-9a-f]{12}"\} 1$/m); // the shipped default model
    expect(text).toMatch(/^vgpu_twin_twin_predictions_total [1-9]/m);
    expect(text).toMatch(
      /^vgpu_twin_log_consumer_lag_records\{group="twin",stream="vgpu.telemetry",partition="\d+"\} \d+$/m,
    );
    expect(text).toMatch(/^vgpu_twin_notifier_connected_clients 0$/m);
    expect(text).toMatch(
      /^vgpu_twin_http_requests_total\{service="vgputwin",method="POST",route="\/v1\/telemetry",status="202"\} 1$/m,
    );
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m); // prom-client's defaults
    expect(text).toMatch(/^vgpu_twin_twin_snapshot_age_seconds \d/m); // TWIN_SNAPSHOT_EVERY=5: taken by now
  });

  it('answers /health/live, and /health/ready once the log, the snapshot store and the consumers are fine', async () => {
    const live = await fetch(`${base}/health/live`);
    expect(live.status).toBe(200);
    await eventually(async () => (await fetch(`${base}/health/ready`)).status === 200, 'ready', 20_000);
    const ready = (await (await fetch(`${base}/health/ready`)).json()) as {
      status: string;
      checks: Record<string, string>;
    };
    expect(ready).toEqual({ status: 'ready', checks: { log: 'ok', consumers: 'ok', snapshots: 'ok' } });
  });

  it('is scraped by a real Prometheus, whose query API returns our series', async () => {
    const target = new URL(base).host;
    prometheus = startPrometheus(
      dir,
      await freePort(),
      [
        'global: { scrape_interval: 1s }',
        'scrape_configs:',
        '  - job_name: vgpu-twin',
        `    static_configs: [{ targets: ['${target}'] }]`,
        '',
      ].join('\n'),
    );
    const running = prometheus;
    const query = async (q: string) =>
      (await (await fetch(`${running.url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as PromQuery;
    try {
      await eventually(
        async () => {
          try {
            return (await query('vgpu_twin_ingest_records_accepted_total')).data.result.length > 0;
          } catch {
            return false; // not listening yet
          }
        },
        'Prometheus to have scraped the twin',
        45_000,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\nprometheus said:\n${running.log()}`);
    }
    const accepted = await query('vgpu_twin_ingest_records_accepted_total{stream="vgpu.telemetry"}');
    expect(accepted.status).toBe('success');
    expect(accepted.data.result[0]!.metric).toMatchObject({ job: 'vgpu-twin', stream: 'vgpu.telemetry' });
    expect(Number(accepted.data.result[0]!.value[1])).toBe(10); // the 10 samples posted
    const up = await query('up{job="vgpu-twin"}');
    expect(up.data.result[0]!.value[1]).toBe('1');
  }, 90_000);
});
