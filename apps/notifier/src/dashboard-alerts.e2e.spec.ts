import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import {
  fixtures,
  partitionKey,
  streamOf,
  type AlertRaised,
  type AlertView,
  type DomainEvent,
  type PlacementSuggested,
  type SilenceView,
} from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { bootService, embeddedLogFile, listeningPort, loadConfig } from '@vgpu-twin/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { browserAvailable, CHROMIUM, CHROMIUM_ARGS } from '../../../test/support/browser';
import { NotifierConfigSchema } from './config';
import { NotifierModule } from './notifier.module';

/**
 * The dashboard's alert lifecycle in a real Chromium: the notifier alone on an embedded log in a
 * temp dir, the twin's alerts appended straight into the log. The page must show the incident the
 * lifecycle opens for them, acknowledge and silence from its forms (with the page's token), expire
 * the silence, resume after a reconnect, and search the history with a row's transitions.
 */
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const TOKEN = 'e2e-dashboard-token';
const SCREENSHOTS = {
  live: join(tmpdir(), 'vgpu-twin-dashboard-alerts.png'),
  history: join(tmpdir(), 'vgpu-twin-dashboard-history.png'),
};

let seq = 0;
const envelope = (s: number) => ({
  id: `e2e-alerts-${++seq}`,
  ts: at(s),
  source: 'e2e',
  version: 1 as const,
});

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
    vm('vm-2', 'gpu-1', 'a3c'),
    vm('vm-3', 'gpu-1', 'bert-infer'),
    vm('vm-4', 'gpu-2', 'bert-infer'),
  ];
}

function raised(
  s: number,
  kind: AlertRaised['data']['kind'],
  vmId: string,
  gpuId: string,
  message: string,
): AlertRaised {
  return {
    ...envelope(s),
    type: 'alert.raised',
    data: {
      ...fixtures['alert.raised'].data,
      alertId: `${kind}:${vmId}`,
      kind,
      vmId,
      gpuId,
      severity: kind === 'interference' ? 'critical' : 'warning',
      message,
      aggressorVmId: kind === 'drift' ? null : 'vm-2',
      evidence: { ...fixtures['alert.raised'].data.evidence, windowStart: at(s - 4), windowEnd: at(s) },
    },
  };
}

const suggestion = (s: number): PlacementSuggested => ({
  ...fixtures['placement.suggested'],
  ...envelope(s),
  data: {
    ...fixtures['placement.suggested'].data,
    suggestionId: 'move:vm-2:gpu-2',
    vmId: 'vm-2',
    fromGpuId: 'gpu-1',
    toGpuId: 'gpu-2',
    alertId: 'interference:vm-1',
    reason: 'move vm-2 from gpu-1 to gpu-2: vm-1 1.84× → 1.00×, vm-3 1.70× → 1.00×',
  },
});

/**
 * vm-2 slows both its neighbours on gpu-1: two interference alerts naming it, one incident; the
 * twin had predicted vm-1's, and the observed alert on the same VM explains (inhibits) that one.
 */
const alerts = (): DomainEvent[] => [
  raised(
    10,
    'predicted_interference',
    'vm-1',
    'gpu-1',
    'vm-1 is predicted to run 1.62× slower than alone (SLO 1.50×) beside vm-2',
  ),
  raised(
    20,
    'interference',
    'vm-1',
    'gpu-1',
    'vm-1 runs 1.84× slower than alone (threshold 1.50×) for 5 samples',
  ),
  raised(
    25,
    'interference',
    'vm-3',
    'gpu-1',
    'vm-3 runs 1.70× slower than alone (threshold 1.50×) for 5 samples',
  ),
  suggestion(26),
];

describe('dashboard alert lifecycle (notifier alone, embedded log, real browser)', () => {
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
  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const alertOf = async (id: string) =>
    (
      await get<{ alert: AlertView; transitions: { type: string; to: string; actor: string | null }[] }>(
        `/v1/alerts/${encodeURIComponent(id)}`,
      )
    ).body;
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-notifier-alerts-e2e-'));
    const env = {
      EVENT_LOG: 'embedded',
      VGPU_TWIN_DATA_DIR: dir,
      NOTIFIER_PORT: '0',
      NOTIFIER_TOKEN: TOKEN,
      NOTIFIER_TICK_MS: '50',
    };
    const config = loadConfig(NotifierConfigSchema, env);
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
    writer = new EmbeddedEventLog({ file: embeddedLogFile({ VGPU_TWIN_DATA_DIR: dir }) });
    await append([...inventory(), ...alerts()]);
    await until('the lifecycle to hold the three alerts in one incident with its suggestion', async () => {
      const r = await get<{ incidents: { activeAlertIds: string[]; suggestion: unknown }[] }>(
        '/v1/incidents?status=open',
      );
      return (
        r.status === 200 &&
        r.body.incidents.length === 1 &&
        r.body.incidents[0]!.activeAlertIds.length === 3 &&
        r.body.incidents[0]!.suggestion !== null
      );
    });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await writer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the incident, acknowledges and silences from the page, resumes after a reconnect, and searches the history', async () => {
    if (!browserAvailable()) return;
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}/?token=${TOKEN}`);
      await page.waitForFunction(() => (globalThis as unknown as Dash).vgpuDashboard.rooms != null);

      // the incident, from the socket's snapshot: vm-2 slows vm-1 and vm-3 on gpu-1
      const incident = page.locator('#incidents .incident');
      await incident.locator('li.alert').nth(2).waitFor();
      expect(await incident.count()).toBe(1);
      await expect(incident.locator('.title').textContent()).resolves.toBe('vm-2 slows vm-1, vm-3 on gpu-1');
      await expect(incident.locator('.meta').textContent()).resolves.toMatch(
        /^gpu-1 · host-1 · cluster-a · open \d/,
      );
      await expect(incident.locator('.suggestion').textContent()).resolves.toContain(
        'suggested: move vm-2 gpu-1 → gpu-2',
      );
      const li = (id: string) => page.locator(`li.alert[data-alert-id="${id}"]`);
      await expect(li('interference:vm-1').getAttribute('data-state')).resolves.toBe('firing');
      await expect(li('interference:vm-1').locator('.msg').textContent()).resolves.toBe(
        'vm-1 runs 1.84× slower than alone (threshold 1.50×) for 5 samples',
      );
      await expect(li('predicted_interference:vm-1').locator('.state').textContent()).resolves.toBe(
        'inhibited',
      );
      await expect(li('predicted_interference:vm-1').locator('.note').textContent()).resolves.toContain(
        'explained by interference:vm-1',
      );

      // acknowledge through the inline form: the page sends its token, remembers who
      await li('interference:vm-1').locator('button.ack').click();
      const ack = li('interference:vm-1').locator('form.ack-form');
      await ack.locator('input[name=by]').fill('alice');
      await ack.locator('input[name=note]').fill('looking');
      await ack.locator('button[type=submit]').click();
      await page.waitForSelector('li.alert[data-alert-id="interference:vm-1"][data-state="acknowledged"]');
      await expect(li('interference:vm-1').locator('.note').textContent()).resolves.toMatch(
        /^acknowledged by alice: looking/,
      );
      expect(await ack.isHidden()).toBe(true);
      expect(await li('interference:vm-1').locator('button.ack').isHidden()).toBe(true);
      const acked = await alertOf('interference:vm-1');
      expect(acked.alert.state).toBe('acknowledged');
      expect(acked.alert.acknowledged).toMatchObject({ by: 'alice', note: 'looking' });
      expect(
        await page.evaluate(() => (globalThis as unknown as Dash).localStorage.getItem('vgpu-twin.who')),
      ).toBe('alice');

      // silence vm-3's alert: the form comes filled with its VM and kind, and the author remembered
      await li('interference:vm-3').locator('button.silence-button').click();
      const form = page.locator('#silence-form');
      await expect(form.locator('textarea[name=matchers]').inputValue()).resolves.toBe(
        'vm=vm-3\nkind=interference',
      );
      await expect(form.locator('input[name=duration]').inputValue()).resolves.toBe('2h');
      await expect(form.locator('input[name=author]').inputValue()).resolves.toBe('alice');
      // a bad matcher: the server's 400 shows in the form, nothing is created
      await form.locator('textarea[name=matchers]').fill('vm=vm-3\nrack=r1');
      await form.locator('button[type=submit]').click();
      await until(
        'the form to show the error',
        async () => ((await form.locator('.error').textContent()) ?? '') !== '',
      );
      await expect(form.locator('.error').textContent()).resolves.toMatch(/^not silenced: .*rack/);
      expect(await form.isVisible()).toBe(true);
      await li('interference:vm-3').locator('button.silence-button').click(); // fills it afresh
      await form.locator('input[name=comment]').fill('maintenance');
      await form.locator('button[type=submit]').click();
      await page.waitForSelector('li.alert[data-alert-id="interference:vm-3"][data-state="silenced"]');
      expect(await form.isHidden()).toBe(true);
      const listed = page.locator('#silences .silence');
      await listed.first().waitFor();
      expect(await listed.count()).toBe(1);
      await expect(listed.locator('code').allTextContents()).resolves.toEqual([
        'vm=vm-3',
        'kind=interference',
      ]);
      await expect(listed.locator('.meta').textContent()).resolves.toMatch(
        /by alice — maintenance · 1 alert silenced$/,
      );
      const active = (await get<{ silences: SilenceView[] }>('/v1/silences?state=active')).body.silences;
      expect(active.map((s) => [s.createdBy, s.comment, s.matchers])).toEqual([
        [
          'alice',
          'maintenance',
          [
            { name: 'vm', op: '=', value: 'vm-3' },
            { name: 'kind', op: '=', value: 'interference' },
          ],
        ],
      ]);
      // 2 h from now, as the server's clock counts it
      expect(Date.parse(active[0]!.endsAt) - Date.parse(active[0]!.startsAt)).toBe(2 * 3600_000);
      const silencedBy = (await alertOf('interference:vm-3')).alert.silencedBy;
      expect(silencedBy).toEqual([active[0]!.silenceId]);

      await page.screenshot({ path: SCREENSHOTS.live, fullPage: true });
      console.log(`dashboard screenshot: ${SCREENSHOTS.live}`);

      // expire it: gone from the active list, the alert fires again
      await listed.locator('button.expire').click();
      await until('the silence to leave the list', async () => (await listed.count()) === 0);
      await expect(page.locator('#no-silences').textContent()).resolves.toBe('No active silences.');
      await page.waitForSelector('li.alert[data-alert-id="interference:vm-3"][data-state="firing"]');
      const expired = (await get<{ silence: SilenceView }>(`/v1/silences/${active[0]!.silenceId}`)).body
        .silence;
      expect([expired.state, expired.expiredBy]).toEqual(['expired', 'alice']);

      // a reconnect socket.io cannot recover resumes after the last offsets the page saw
      const before = await page.evaluate(() => {
        const d = (globalThis as unknown as Dash).vgpuDashboard;
        d.socket.disconnect(); // a client-side disconnect: the server keeps no session to recover
        return d.positions();
      });
      expect(before.alerts).not.toBeNull();
      expect(before.lifecycle).not.toBeNull();
      await append([
        raised(40, 'drift', 'vm-4', 'gpu-2', 'vm-4 runs 1.40× where the twin predicted 1.05× for 5 samples'),
      ]);
      await until(
        'the lifecycle to open the drift alert',
        async () => (await get(`/v1/alerts/drift%3Avm-4`)).status === 200,
      );
      expect(await page.locator('li.alert[data-alert-id="drift:vm-4"]').count()).toBe(0); // missed while away
      await page.evaluate(() => (globalThis as unknown as Dash).vgpuDashboard.socket.connect());
      await page.waitForSelector(
        '#incidents .incident li.alert[data-alert-id="drift:vm-4"][data-state="firing"]',
      );
      const subscriptions = await page.evaluate(
        () => (globalThis as unknown as Dash).vgpuDashboard.subscriptions,
      );
      expect(subscriptions).toEqual([
        { rooms: ['cluster:cluster-a'] },
        { rooms: ['cluster:cluster-a'], resume: before },
      ]);
      expect(await page.locator('#incidents .incident').count()).toBe(2);
      await expect(page.locator('#feed .item[data-alert-id="drift:vm-4"]').count()).resolves.toBe(1); // replayed once
      // the earlier state survived the reconnect without a snapshot
      await expect(li('interference:vm-1').getAttribute('data-state')).resolves.toBe('acknowledged');

      // history: interference alerts only, one per page, then the next page by its cursor
      await page.locator('#tab-history').click();
      const filters = page.locator('#history-filters');
      await filters.locator('select[name=kind]').selectOption('interference');
      await filters.locator('input[name=limit]').fill('1');
      await filters.locator('button[type=submit]').click();
      const rows = page.locator('#history-rows tr');
      await until('the first page', async () => (await rows.count()) === 1);
      await page.locator('#history-more').click();
      await until('the second page', async () => (await rows.count()) === 2);
      const ids = async () => Promise.all((await rows.all()).map((tr) => tr.getAttribute('data-alert-id')));
      await expect(ids()).resolves.toEqual([
        'interference:vm-3', // newest startsAt first: 25 s, then 20 s
        'interference:vm-1',
      ]);
      // the server may or may not know it was the last page: one more click ends it either way
      if (await page.locator('#history-more').isVisible()) {
        await page.locator('#history-more').click();
        await until('the last page', async () => page.locator('#history-more').isHidden());
      }
      expect(await rows.count()).toBe(2);
      await expect(page.locator('#history-status').textContent()).resolves.toBe('2 alerts');

      // a row's transitions: opened, then acknowledged by alice
      await page.locator('#history-rows tr[data-alert-id="interference:vm-1"]').click();
      const detail = page.locator('#history-detail');
      await detail.locator('table.transitions tr[data-type="alert.acknowledged"]').waitFor();
      const transitions: (string | null)[][] = [];
      for (const tr of await detail.locator('table.transitions tr[data-type]').all())
        transitions.push([
          await tr.getAttribute('data-type'),
          await tr.locator('.change').textContent(),
          await tr.locator('td').nth(3).textContent(), // by
        ]);
      expect(transitions).toEqual([
        ['alert.opened', '∅ → firing', ''],
        ['alert.acknowledged', 'firing → acknowledged', 'alice'],
      ]);
      // the same as the API's
      const api = (await alertOf('interference:vm-1')).transitions;
      expect(api.map((t) => [t.type, t.to, t.actor])).toEqual([
        ['alert.opened', 'firing', null],
        ['alert.acknowledged', 'acknowledged', 'alice'],
      ]);

      await page.screenshot({ path: SCREENSHOTS.history, fullPage: true });
      console.log(`history screenshot: ${SCREENSHOTS.history}`);

      // back on the live view the charts take their width again
      await page.locator('#tab-live').click();
      expect(await page.locator('#view-live').isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});

interface Dash {
  localStorage: { getItem(key: string): string | null };
  vgpuDashboard: {
    rooms: string[] | null;
    subscriptions: { rooms: string[]; resume?: { alerts: number; lifecycle: number } }[];
    positions(): { alerts: number | null; lifecycle: number | null };
    socket: { disconnect(): void; connect(): void };
  };
}
