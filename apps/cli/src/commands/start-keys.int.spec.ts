import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../../../libs/event-log/src/testing/event-log-contract';
import { freePort } from '../../../ingest/src/testing/ingest-harness';
import { start } from './start';

/** `npm start` with keys required: its own simulator gets in with a key of its own; nobody else does. */
describe('vgpu-twin start with INGEST_API_KEYS set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-start-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the demo (the simulator posts with an internal key) while a request without a key gets 401', async () => {
    const port = await freePort();
    const stop = await start(
      { port: String(port), simulator: true },
      {
        VGPU_TWIN_DATA_DIR: dir,
        INGEST_API_KEYS: 'operator-key',
        SIM_TICK_MS: '50',
        TWIN_SNAPSHOT_STORE: 'none',
      },
    );
    const base = `http://127.0.0.1:${port}`;
    try {
      await eventually(
        async () => ((await (await fetch(`${base}/v1/twin/status`)).json()) as { vms: number }).vms > 0,
        'the simulator to place its VMs through the key check',
        30_000,
      );
      const anonymous = await fetch(`${base}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '[]',
      });
      expect(anonymous.status).toBe(401);
      const operator = await fetch(`${base}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer operator-key' },
        body: '[]',
      });
      expect(operator.status).toBe(400); // past the key check: the batch is empty
    } finally {
      await stop();
    }
  }, 60_000);
});
