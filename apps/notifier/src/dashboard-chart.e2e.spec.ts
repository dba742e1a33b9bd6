import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import {
  fixtures,
  partitionKey,
  streamOf,
  type AlertRaised,
  type AlertResolved,
  type DomainEvent,
  type ObservationMade,
  type PredictionMade,
} from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { bootService, embeddedLogFile, listeningPort, loadConfig } from '@vgpu-twin/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { browserAvailable, CHROMIUM, CHROMIUM_ARGS } from '../../../test/support/browser';
import { NotifierConfigSchema } from './config';
import { NotifierModule } from './notifier.module';

/**
 * The notifier alone on an embedded log in a temp data dir: twin output is written straight into
 * the log, and the dashboard in a real Chromium must chart it (uPlot, served from node_modules),
 * extend the chart from socket.io pushes, and show the model and the predicted_interference numbers.
 */
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const MODEL = 'hybrid@0123456789ab';
const SCREENSHOT = join(tmpdir(), 'vgpu-twin-dashboard-chart.png');

let seq = 0;
const envelope = (s: number) => ({ id: `e2e-${++seq}`, ts: at(s), source: 'e2e', version: 1 as const });

function inventory(): DomainEvent[] {
  const gpu = (gpuId: string): DomainEvent => ({
    ...fixtures['gpu.registered'],
    ...envelope(0),
    data: { ...fixtures['gpu.registered'].data, gpuId, policy: 'equal_share' },
  });
  const vm = (vmId: string, gpuId: string, workload: string): DomainEvent => ({
    ...fixtures['vm.placed'],
    ...envelope(0),
    data: { ...fixtures['vm.placed'].data, vmId, gpuId, workload, profile: '4Q', framebufferMib: 4096 },
  });
  const profiled = (workload: string): DomainEvent => ({
    ...fixtures['workload.profiled'],
    ...envelope(0),
    data: { ...fixtures['workload.profiled'].data, workload },
  });
  return [
    { ...fixtures['host.registered'], ...envelope(0) }, // host-1, cluster-a
    gpu('gpu-1'),
    gpu('gpu-2'),
    profiled('resnet50-train'),
    profiled('a3c'),
    profiled('bert-infer'),
    vm('vm-1', 'gpu-1', 'resnet50-train'),
    vm('vm-2', 'gpu-1', 'mystery-job'), // never profiled: no prediction, an `unprofiled` badge
    vm('vm-3', 'gpu-1', 'a3c'),
    vm('vm-4', 'gpu-2', 'bert-infer'),
    vm('vm-5', 'gpu-2', 'a3c'),
  ];
}

function prediction(
  s: number,
  vmId: string,
  gpuId: string,
  scheduler: number,
  residual: number,
  shareArithmetic: number,
): PredictionMade {
  return {
    ...envelope(s),
    type: 'twin.prediction',
    data: {
      vmId,
      gpuId,
      predictedSlowdown: Math.round((scheduler + residual) * 1000) / 1000,
      model: MODEL,
      components: { scheduler, residual },
      shareArithmetic,
      share: 0.33,
      coRunners: [],
    },
  };
}
const observation = (s: number, vmId: string, gpuId: string, observed: number): ObservationMade => ({
  ...envelope(s),
  type: 'twin.observation',
  data: { vmId, gpuId, observedSlowdown: observed, progressRate: 5, soloProgressRate: 10, windowSamples: 5 },
});
/** A deterministic wiggle around a level, so the screenshot looks like telemetry. */
const wiggle = (level: number, s: number, phase: number) =>
  Math.round((level + 0.06 * Math.sin(s / 17 + phase)) * 1000) / 1000;
const vm1Observed = (s: number) => wiggle(s >= 150 ? 1.78 : 1.6, s, 0);

function alert(
  s: number,
  kind: AlertRaised['data']['kind'],
  alertId: string,
  details?: Record<string, number>,
): AlertRaised {
  return {
    ...envelope(s),
    type: 'alert.raised',
    data: {
      ...fixtures['alert.raised'].data,
      alertId,
      kind,
      vmId: 'vm-1',
      gpuId: 'gpu-1',
      severity: 'warning',
      message:
        kind === 'predicted_interference'
          ? 'vm-1 is predicted to run 1.62× slower than alone (SLO 1.50×) beside vm-3'
          : 'vm-1 runs 1.80× slower than alone (threshold 1.50×) for 5 samples',
      evidence: {
        ...fixtures['alert.raised'].data.evidence,
        windowStart: at(s),
        windowEnd: at(s),
        ...(details ? { details } : {}),
      },
    },
  };
}

/** Four minutes of a small cluster: placement-time predictions, a re-prediction, observations, two alerts. */
function history(): DomainEvent[] {
  const events: DomainEvent[] = [
    prediction(0, 'vm-1', 'gpu-1', 1.5, 0.12, 2.0),
    prediction(0, 'vm-3', 'gpu-1', 1.22, 0.05, 1.5),
    prediction(0, 'vm-4', 'gpu-2', 1.08, 0.02, 1.25),
    prediction(0, 'vm-5', 'gpu-2', 1.12, -0.03, 1.25),
    // raised at placement, before any telemetry: the scheduler says vm-1 will exceed its 1.5× SLO
    alert(1, 'predicted_interference', 'predicted_interference:vm-1', {
      scheduler: 1.5,
      residual: 0.12,
      hybrid: 1.62,
      shareArithmetic: 2.0,
    }),
  ];
  for (let s = 5; s <= 240; s += 5) {
    events.push(observation(s, 'vm-1', 'gpu-1', vm1Observed(s)));
    events.push(observation(s, 'vm-3', 'gpu-1', wiggle(1.3, s, 1)));
    events.push(observation(s, 'vm-4', 'gpu-2', wiggle(1.1, s, 2)));
    events.push(observation(s, 'vm-5', 'gpu-2', wiggle(1.05, s, 3)));
    if (s === 120) events.push(prediction(120, 'vm-1', 'gpu-1', 1.66, 0.14, 2.3)); // vm-3 turned heavier
    if (s === 150) events.push(alert(150, 'interference', 'interference:vm-1'));
  }
  return events;
}

describe('dashboard chart (notifier alone, embedded log, real browser)', () => {
  let dir: string;
  let app: INestApplication;
  let writer: EmbeddedEventLog;
  let url: string;

  const append = async (events: DomainEvent[]) => {
    for (const e of events)
      await writer.append(streamOf(e.type), [
        { key: partitionKey(e), value: JSON.stringify(e), timestamp: Date.parse(e.ts) },
      ]);
  };
  const dashboardState = async () =>
    (await (await fetch(`${url}/v1/dashboard/state`)).json()) as { eventTime: string | null };
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-notifier-e2e-'));
    const env = { EVENT_LOG: 'embedded', VGPU_TWIN_DATA_DIR: dir, NOTIFIER_PORT: '0' };
    const config = loadConfig(NotifierConfigSchema, env);
    // as apps/notifier/src/main.ts boots it, on port 0
    app = await bootService(
      {
        name: 'Notifier',
        port: config.NOTIFIER_PORT,
        modules: () => [NotifierModule.forRoot(config, dir)],
        banner: (u) => `dashboard on ${u}/`,
        shutdownHooks: false,
      },
      env,
    );
    url = `http://127.0.0.1:${listeningPort(app)}`;
    // a second handle on the same file, like another process writing (the notifier polls for it)
    writer = new EmbeddedEventLog({ file: embeddedLogFile({ VGPU_TWIN_DATA_DIR: dir }) });
    await append([...inventory(), ...history()]);
    await until(
      'the notifier to read the history',
      async () => (await dashboardState()).eventTime === at(240),
    );
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await writer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves uPlot from node_modules', async () => {
    const js = await fetch(`${url}/assets/uplot.iife.min.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toContain('uPlot');
    const css = await fetch(`${url}/assets/uplot.min.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(await css.text()).toContain('.uplot');
  });

  it('charts predicted vs observed per VM, extends the chart live, and shows the model and the predicted_interference numbers', async () => {
    if (!browserAvailable()) return;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}/`);
      await page.locator('.chart[data-chart-gpu="gpu-1"] canvas').waitFor({ timeout: 15_000 });
      await page.waitForFunction(() => (globalThis as unknown as Dash).vgpuDashboard.rooms != null);

      // a uPlot chart per GPU, with a predicted and an observed series per VM
      expect(await page.locator('.gpu').count()).toBe(2);
      const labels = await page.evaluate(() =>
        (globalThis as unknown as Dash).vgpuDashboard
          .chart('gpu-1')!
          .series.slice(1)
          .map((s) => s.label),
      );
      expect(labels).toEqual([
        'vm-1 predicted',
        'vm-1 observed',
        'vm-2 predicted',
        'vm-2 observed',
        'vm-3 predicted',
        'vm-3 observed',
      ]);

      // its data are what was appended: at 0 s the placement-time prediction, 1.5 + 0.12 = 1.62
      const series = await seriesOf(page, 'vm-1');
      const i0 = series.t.indexOf(T0);
      expect(series.predicted[i0]).toBe(1.62);
      expect(series.observed[i0]).toBeNull(); // no telemetry yet
      const i5 = series.t.indexOf(T0 + 5000);
      expect(series.observed[i5]).toBe(vm1Observed(5));
      expect(series.predicted[i5]).toBe(1.62); // the prediction holds until the next
      expect(series.predicted[series.t.indexOf(T0 + 115_000)]).toBe(1.62);
      expect(series.predicted[series.t.indexOf(T0 + 120_000)]).toBe(1.8); // re-predicted: 1.66 + 0.14
      expect(series.observed[series.t.indexOf(T0 + 240_000)]).toBe(vm1Observed(240));
      expect(series.t.filter((t) => t >= T0 + 5000).length).toBe(48); // observations every 5 s, 5 … 240 s
      const unprofiled = await seriesOf(page, 'vm-2');
      expect(unprofiled.predicted.every((p) => p === null)).toBe(true); // the twin never predicted it

      // the alert markers: predicted_interference at 1 s and interference at 150 s, both on vm-1
      const markers = await page.evaluate(() =>
        (globalThis as unknown as Dash).vgpuDashboard.markers('gpu-1'),
      );
      expect(markers.map((m) => [m.vmId, m.kind, m.state])).toEqual([
        ['vm-1', 'predicted_interference', 'raised'],
        ['vm-1', 'interference', 'raised'],
      ]);
      expect(markers[1]!.x).toBeGreaterThan(markers[0]!.x); // 150 s is right of 1 s

      // header, row and feed
      await expect(page.textContent('#model')).resolves.toBe(`model: ${MODEL}`);
      const row = page.locator('tr[data-vm="vm-1"]');
      await expect(row.locator('.components').getAttribute('data-scheduler')).resolves.toBe('1.66');
      await expect(row.locator('.components').getAttribute('data-residual')).resolves.toBe('0.14');
      await expect(row.locator('.share-arithmetic').textContent()).resolves.toBe('share arith 2.30×');
      await expect(page.locator('tr[data-vm="vm-2"] .badge.unprofiled').count()).resolves.toBe(1);
      await expect(page.locator('tr[data-vm="vm-1"] .badge.unprofiled').count()).resolves.toBe(0);
      const card = page.locator('#feed .item[data-kind="predicted_interference"]');
      await expect(card.locator('[data-n="scheduler"]').textContent()).resolves.toBe('scheduler 1.50×');
      await expect(card.locator('[data-n="residual"]').textContent()).resolves.toBe('residual +0.12');
      await expect(card.locator('[data-n="shareArithmetic"]').textContent()).resolves.toBe(
        'share arithmetic 2.00×',
      );
      await expect(card.locator('[data-n="hybrid"]').textContent()).resolves.toBe('hybrid 1.62×');

      // live: a later observation and the alert's resolution, pushed over socket.io
      const resolved: AlertResolved = {
        ...envelope(245),
        type: 'alert.resolved',
        data: {
          ...fixtures['alert.resolved'].data,
          alertId: 'interference:vm-1',
          kind: 'interference',
          evidence: { ...fixtures['alert.resolved'].data.evidence, windowStart: at(245), windowEnd: at(245) },
        },
      };
      await append([observation(245, 'vm-1', 'gpu-1', 1.91), resolved]);
      await page.waitForFunction(
        (t) => {
          const s = (globalThis as unknown as Dash).vgpuDashboard.series('vm-1');
          return s != null && s.observed[s.t.indexOf(t)] === 1.91;
        },
        T0 + 245_000,
        { timeout: 10_000 },
      );
      const live = await seriesOf(page, 'vm-1');
      expect(live.t).toHaveLength(series.t.length + 1); // one more point, at 245 s
      expect(live.t[live.t.length - 1]).toBe(T0 + 245_000);
      expect(live.observed[live.observed.length - 1]).toBe(1.91);
      expect(live.predicted[live.predicted.length - 1]).toBe(1.8); // still the prediction made at 120 s
      await page.waitForFunction(
        () => (globalThis as unknown as Dash).vgpuDashboard.markers('gpu-1').length === 3,
      );
      await expect(page.locator('.chart[data-chart-gpu="gpu-1"]').getAttribute('data-markers')).resolves.toBe(
        '3',
      );

      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`dashboard screenshot: ${SCREENSHOT}`);

      // hovering the chart reads out each VM's values under the cursor, in the key's line
      const over = page.locator('.chart[data-chart-gpu="gpu-1"] .u-over');
      const box = (await over.boundingBox())!;
      await over.hover({ position: { x: box.width * 0.8, y: box.height / 2 } }); // ≈ 120 s into the data
      await expect(page.locator('.gpu[data-gpu="gpu-1"] .key').textContent()).resolves.toMatch(
        /^00:0\d:\d\d · vm-1 pred 1\.\d\d× obs 1\.\d\d× · vm-2 pred — obs — · vm-3 pred 1\.27× obs 1\.\d\d×$/,
      );
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

interface Dash {
  vgpuDashboard: {
    rooms: string[] | null;
    chart(gpuId: string): { series: { label?: string }[] } | null;
    series(vmId: string): { t: number[]; predicted: (number | null)[]; observed: (number | null)[] } | null;
    markers(gpuId: string): { vmId: string; kind: string; state: string; alertId: string; x: number }[];
  };
}
const seriesOf = async (page: Page, vmId: string) =>
  (await page.evaluate((id) => (globalThis as unknown as Dash).vgpuDashboard.series(id), vmId))!;
