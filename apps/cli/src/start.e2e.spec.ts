import type { AlertRaised, AlertResolved, PlacementSuggested } from '@vgpu-twin/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { registerPlaceCommands } from './commands/place';
import { runCliAsync } from './testing/run-cli';
import { io, type Socket } from 'socket.io-client';
import { browserAvailable, CHROMIUM, CHROMIUM_ARGS } from '../../../test/support/browser';
import { describeIf, kafkaBrokers } from '../../../test/support/components';
import { spawnTs, type Spawned } from '../../../test/support/process';

/**
 * The walking skeleton end to end: `vgpu-twin start` in a temp dir, the simulator's injected
 * incident travelling simulator → ingest → log → twin → notifier → socket.io and the dashboard.
 * Runs on the embedded log, and on a real Kafka broker when one is configured.
 */
function allInOne(logName: string, logEnv: NodeJS.ProcessEnv, withBrowser: boolean): void {
  describe(`vgpu-twin start (all-in-one, ${logName} log)`, () => {
    let dir: string;
    let proc: Spawned;
    let url: string;
    let socket: Socket;
    const alerts: AlertRaised[] = [];
    const resolved: AlertResolved[] = [];
    const suggestions: PlacementSuggested[] = [];
    const simStart = '2026-03-01T00:00:00.000Z';

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'vgpu-e2e-'));
      proc = spawnTs('apps/cli/src/main.ts', ['start', '--port', '0'], {
        VGPU_TWIN_DATA_DIR: dir,
        ...logEnv,
        SIM_TICK_MS: '100', // ten simulated seconds per wall second (SIM_STEP_MS stays 1000)
        SIM_START: simStart,
      });
      url = (await proc.waitFor(/dashboard:\s+(http:\/\/localhost:\d+)\//))[1]!;
      socket = io(url, { transports: ['websocket'] });
      socket.on('alert', (e: AlertRaised | AlertResolved | PlacementSuggested) => {
        if (e.type === 'alert.raised') alerts.push(e);
        if (e.type === 'alert.resolved') resolved.push(e);
        if (e.type === 'placement.suggested') suggestions.push(e);
      });
      await new Promise<void>((resolve, reject) => {
        socket.emit(
          'subscribe',
          { rooms: ['cluster:sim-cluster'] },
          (ack: { rooms?: string[]; error?: string }) =>
            ack.rooms ? resolve() : reject(new Error(ack.error)),
        );
      });
    }, 90_000);

    afterAll(async () => {
      socket?.close();
      const code = await proc?.stop();
      expect(code).toBe(0); // a clean shutdown on SIGTERM
      rmSync(dir, { recursive: true, force: true });
    });

    const eventS = (ts: string) => (Date.parse(ts) - Date.parse(simStart)) / 1000;
    const waitFor = async (what: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    };

    it('shows the demo’s five incidents, each raised by the twin’s own mechanism, within 30 s of wall time', async () => {
      // (e) is the last: vm-001's interference alert resolves after the scripted move at +130 s of event time
      await waitFor(
        () => resolved.some((r) => r.data.kind === 'interference' && r.data.vmId === 'vm-001'),
        60_000,
      );
      const raised = (kind: string, vmId: string) =>
        alerts.find((a) => a.data.kind === kind && a.data.vmId === vmId);

      // (a) the load peak of vm-002 next to vm-001 (resnet50 training): an interference alert and a suggestion
      const a = raised('interference', 'vm-001');
      expect(a?.data).toMatchObject({
        gpuId: 'host-1-gpu-0',
        aggressorVmId: 'vm-002',
        clusterId: 'sim-cluster',
      });
      expect(a!.data.evidence.observedSlowdown).toBeGreaterThan(a!.data.evidence.threshold); // default SLO 1.5×
      expect(eventS(a!.ts)).toBeLessThan(60); // the peak starts at +20 s
      expect(suggestions.find((s) => s.data.alertId === a!.data.alertId)?.data).toMatchObject({
        vmId: 'vm-001', // the victim to the only free 8Q slot, beside vm-003 on host-1-gpu-1
        fromGpuId: 'host-1-gpu-0',
        toGpuId: 'host-1-gpu-1',
      });

      // (b) at placement (+45 s), before any telemetry of the pair: the scheduler's, the residual's and the share arithmetic's numbers
      const b = raised('predicted_interference', 'vm-013');
      expect(eventS(b!.ts)).toBe(45);
      const d = b!.data.evidence.details!;
      expect(d['scheduler']).toBeGreaterThanOrEqual(2); // short kernels next to long ones: DESIGN.md's 2–11×
      expect(d['shareArithmetic']).toBeLessThanOrEqual(1.2); // the share arithmetic sees room for both
      expect(typeof d['residual']).toBe('number');
      expect(raised('interference', 'vm-013')).toBeDefined(); // telemetry confirms it

      // (c) the batch-size change: a drift alert, slower than predicted
      expect(raised('drift', 'vm-011')?.data.evidence.details).toMatchObject({ direction: 'slower' });
      // (d) framebuffer creeping past 95% of the 4Q profile
      expect(raised('framebuffer', 'vm-007')).toBeDefined();
      // (e) the suggested move, carried out at +130 s, resolves the victim's alert
      const e = resolved.find((r) => r.data.kind === 'interference' && r.data.vmId === 'vm-001')!;
      expect(eventS(e.ts)).toBeGreaterThanOrEqual(130);

      // nothing on the VMs nothing happened to (vm-002 is the aggressor; 001, 011, 007, 013 the incidents)
      const involved = new Set(['vm-001', 'vm-002', 'vm-004', 'vm-007', 'vm-011', 'vm-013']);
      expect(
        alerts.filter((x) => !involved.has(x.data.vmId)).map((x) => `${x.data.kind} ${x.data.vmId}`),
      ).toEqual([]);
      // drift: vm-011's batch-size change, and possibly vm-001 while its interference alert explains it
      const driftVms = new Set(alerts.filter((x) => x.data.kind === 'drift').map((x) => x.data.vmId));
      expect(driftVms.has('vm-011')).toBe(true);
      expect([...driftVms].filter((v) => v !== 'vm-011' && v !== 'vm-001')).toEqual([]);
    }, 70_000);

    it('names the shipped hybrid model in the twin’s status and shows each VM’s predicted and observed slowdown', async () => {
      const status = (await (await fetch(`${url}/v1/twin/status`)).json()) as { model: string };
      expect(status.model).toMatch(/^hybrid@[0-9a-f]{12}$/);
      const state = (await (await fetch(`${url}/v1/dashboard/state`)).json()) as {
        vms: {
          vmId: string;
          predictedSlowdown: number | null;
          observedSlowdown: number | null;
          model: string | null;
        }[];
      };
      const vm1 = state.vms.find((v) => v.vmId === 'vm-001')!;
      expect(vm1.predictedSlowdown).toBeGreaterThanOrEqual(1);
      expect(vm1.observedSlowdown).toBeGreaterThan(0);
      expect(vm1.model).toBe(status.model);
    });

    it('answers what-if from the live twin over HTTP and through `place score`, and names what it does not know', async () => {
      const ask = (body: unknown) =>
        fetch(`${url}/v1/twin/what-if`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const res = await ask({ vm: { profile: '8Q', workload: 'resnet50-infer' } });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as {
        model: string;
        candidates: { gpuId: string; cost: number; predictedSlowdown: number }[];
        infeasible: { gpuId: string; reason: string }[];
      };
      expect(answer.model).toMatch(/^hybrid@/);
      expect(answer.candidates.length).toBeGreaterThan(0);
      const costs = answer.candidates.map((c) => c.cost);
      expect(costs).toEqual([...costs].sort((a, b) => a - b)); // cheapest first
      expect(answer.candidates.length + answer.infeasible.length).toBe(8); // every GPU of the demo, one way or the other
      const bad = await ask({ vm: { profile: '8Q', workload: 'no-such-job' } });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("unknown workload 'no-such-job'");

      const cli = await runCliAsync(registerPlaceCommands, [
        'place',
        'score',
        '--url',
        url,
        '--profile',
        '8Q',
        '--workload',
        'resnet50-infer',
        '--limit',
        '2',
      ]);
      expect(cli.exitCode).toBe(0);
      expect((cli.json as { candidates: unknown[] }).candidates).toHaveLength(
        Math.min(2, answer.candidates.length),
      );
    });

    it('shows the alert and the twin’s numbers on the dashboard in a real browser', async () => {
      if (!withBrowser) return void console.log(`browser checks run once, on the embedded log`);
      if (!browserAvailable()) return;
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage();
        await page.goto(`${url}/`);
        await page
          .locator('#feed .item[data-type="alert.raised"]', { hasText: 'vm-001 runs' })
          .first()
          .waitFor({ timeout: 30_000 });
        const feed = await page.textContent('#feed');
        expect(feed).toContain('vm-001');
        // after (e) the victim runs on host-1-gpu-1, back under its SLO, its alert resolved in the feed
        const row = page.locator('.gpu[data-gpu="host-1-gpu-1"] tr[data-vm="vm-001"]');
        const observed = Number((await row.locator('td.observed').textContent())!.replace('×', ''));
        expect(observed).toBeLessThan(1.5);
        expect(feed).toMatch(/vm-001 back at/);
        expect(await page.locator('.gpu').count()).toBe(8); // 4 hosts × 2 GPUs (the built-in demo scenario)

        // The suggestion answering the alert: a card in the feed with the move, the numbers and the reason
        const card = page.locator('#feed .item[data-type="placement.suggested"][data-vm="vm-001"]').first();
        await card.waitFor({ timeout: 10_000 });
        await expect(card.getAttribute('data-vm')).resolves.toBe('vm-001');
        await expect(card.getAttribute('data-from')).resolves.toBe('host-1-gpu-0');
        await expect(card.getAttribute('data-to')).resolves.toBe('host-1-gpu-1');
        const move = await card.locator('.move').textContent();
        expect(move).toBe('vm-001 host-1-gpu-0 → host-1-gpu-1');
        const reason = (await card.locator('.reason').textContent())!;
        expect(reason).toMatch(/^Move victim VM vm-001 .*from GPU host-1-gpu-0 to GPU host-1-gpu-1/);
        // the victim's row in the card: slowed now (above the 1.5× SLO), under it after the move
        const num = async (sel: string) => Number((await card.locator(sel).textContent())!.replace('×', ''));
        expect(await num('tr[data-affected="vm-001"] td.before')).toBeGreaterThan(1.5);
        expect(await num('tr[data-affected="vm-001"] td.after')).toBeLessThan(1.5);
        // the live chart of predicted and observed slowdown (uPlot) and the model in the header
        await page.locator('.gpu[data-gpu="host-1-gpu-0"] canvas').first().waitFor({ timeout: 10_000 });
        expect(await page.textContent('header')).toMatch(/hybrid@[0-9a-f]{12}/);
        // the predicted_interference card of (b) with its numbers, (c)'s drift and (d)'s framebuffer alert
        for (const text of ['vm-013 is predicted to run', 'vm-011 runs slower than predicted', 'vm-007 uses'])
          await page.locator('#feed .item', { hasText: text }).first().waitFor({ timeout: 30_000 });
        const predictedCard = await page
          .locator('#feed .item', { hasText: 'vm-013 is predicted to run' })
          .first()
          .textContent();
        expect(predictedCard).toMatch(/share arithmetic/i);
      } finally {
        await browser.close();
      }
    }, 60_000);
  });
}

allInOne('embedded', { EVENT_LOG: 'embedded' }, true);

const brokers = kafkaBrokers();
describeIf(brokers)('on Kafka', () => {
  // A fresh namespace per run: earlier runs' topics and consumer groups on the same broker stay out of the way.
  allInOne(
    'Kafka',
    {
      EVENT_LOG: 'kafka',
      KAFKA_BROKERS: brokers?.join(',') ?? '',
      KAFKA_REPLICATION_FACTOR: '1',
      VGPU_TWIN_STREAM_PREFIX: `e2e-${Date.now()}.`,
    },
    false,
  );
});
