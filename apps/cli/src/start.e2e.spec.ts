import type { AlertRaised, PlacementSuggested } from '@vgpu-twin/contracts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
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
      socket.on('alert', (e: AlertRaised | PlacementSuggested) => {
        if (e.type === 'alert.raised') alerts.push(e);
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

    it('pushes the injected incident’s alert to a socket.io client with the victim and its observed slowdown', async () => {
      const deadline = Date.now() + 60_000;
      while (!alerts.some((a) => a.data.kind === 'interference') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const alert = alerts.find((a) => a.data.kind === 'interference');
      expect(alert).toBeDefined();
      // the demo scenario puts incident (a) on host-1-gpu-0: vm-002 turns GPU-heavy next to vm-001 (resnet50)
      expect(alert!.data).toMatchObject({
        vmId: 'vm-001',
        gpuId: 'host-1-gpu-0',
        aggressorVmId: 'vm-002',
        clusterId: 'sim-cluster',
      });
      expect(alert!.data.evidence.observedSlowdown).toBeGreaterThan(alert!.data.evidence.threshold); // default SLO 1.5×
      // within the first minute of the cluster's (event) time; the incident starts at +20 s
      expect(Date.parse(alert!.ts) - Date.parse(simStart)).toBeLessThan(60_000);
      // with it, the twin's suggestion: vm-002 to the only free 8Q slot, beside vm-003 on host-1-gpu-1
      const deadline2 = Date.now() + 10_000;
      while (!suggestions.some((s) => s.data.alertId === alert!.data.alertId) && Date.now() < deadline2)
        await new Promise((r) => setTimeout(r, 100));
      expect(suggestions.find((s) => s.data.alertId === alert!.data.alertId)?.data).toMatchObject({
        vmId: 'vm-002',
        fromGpuId: 'host-1-gpu-0',
        toGpuId: 'host-1-gpu-1',
      });
    }, 70_000);

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
        const row = page.locator('tr[data-vm="vm-001"]');
        await expect(row.getAttribute('class')).resolves.toContain('alerting');
        const observed = Number((await row.locator('td.observed').textContent())!.replace('×', ''));
        expect(observed).toBeGreaterThan(1.5); // the victim's observed slowdown, above the SLO
        expect(await page.locator('.gpu').count()).toBe(8); // 4 hosts × 2 GPUs (the built-in demo scenario)

        // The suggestion answering the alert: a card in the feed with the move, the numbers and the reason
        const card = page.locator('#feed .item[data-type="placement.suggested"]').first();
        await card.waitFor({ timeout: 10_000 });
        await expect(card.getAttribute('data-vm')).resolves.toBe('vm-002');
        await expect(card.getAttribute('data-from')).resolves.toBe('host-1-gpu-0');
        await expect(card.getAttribute('data-to')).resolves.toBe('host-1-gpu-1');
        const move = await card.locator('.move').textContent();
        expect(move).toBe('vm-002 host-1-gpu-0 → host-1-gpu-1');
        const reason = (await card.locator('.reason').textContent())!;
        expect(reason).toMatch(/^Move aggressor VM vm-002 .*from GPU host-1-gpu-0 to GPU host-1-gpu-1/);
        expect(reason).toContain('victim vm-001');
        // the victim's row in the card: slowed now (above the 1.5× SLO), 1.00× after the move
        const victimNow = Number(
          (await card.locator('tr[data-affected="vm-001"] td.before').textContent())!.replace('×', ''),
        );
        expect(victimNow).toBeGreaterThan(1.5);
        await expect(card.locator('tr[data-affected="vm-001"] td.after').textContent()).resolves.toBe(
          '1.00×',
        );
        // and on the mover's row in its GPU's card, while the alert is open
        await expect(
          page.locator('.gpu[data-gpu="host-1-gpu-0"] tr[data-vm="vm-002"] .hint').textContent(),
        ).resolves.toBe('suggested: move to host-1-gpu-1');
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
