import { Streams, type LifecycleEvent } from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { embeddedLogFile, streamSpecs } from '@vgpu-twin/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAll } from '../../../../libs/event-log/src/testing/event-log-contract';
import { append, bootNotifier, inventory, raised, resolved, until } from '../testing/notifier-harness';

jest.setTimeout(60_000);

/**
 * A decider rebuilt from the lifecycle stream (a restart, a failover) decides as one that kept
 * running: the same alert again after the flap window opens a new incident either way.
 */
describe.each([false, true])(
  'the same alert again after the flap window (restart in between: %s)',
  (restart) => {
    it('opens a new incident', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vgpu-rebuild-'));
      const writer = new EmbeddedEventLog({ file: embeddedLogFile({ VGPU_TWIN_DATA_DIR: dir }) });
      await writer.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
      await append(writer, inventory());
      const env = { NOTIFIER_TICK_MS: '50', NOTIFIER_FLAP_WINDOW_MS: '1000' };
      let { app } = await bootNotifier(dir, env);
      const events = async () =>
        (await readAll(writer, Streams.lifecycle)).map((r) => JSON.parse(r.value) as LifecycleEvent);
      try {
        await append(writer, [
          raised('interference:vm-1:1', 'interference', 'vm-1', 10),
          resolved('interference:vm-1:1', 'interference', 'vm-1', 20),
        ]);
        await until('closed', async () => (await events()).some((e) => e.type === 'alert.closed'));
        await new Promise((r) => setTimeout(r, 2000)); // past the 1 s flap window
        if (restart) await app.close();
        await append(writer, [raised('interference:vm-1:2', 'interference', 'vm-1', 100)]);
        if (restart) ({ app } = await bootNotifier(dir, env));
        await until('the second alert decided', async () =>
          (await events()).some(
            (e) => e.type === 'alert.opened' && e.data.alert.alertId === 'interference:vm-1:2',
          ),
        );
        const opened = (await events()).flatMap((e) => (e.type === 'incident.opened' ? [e.data] : []));
        expect(opened).toHaveLength(2);
        expect(opened[1]!.incident.incidentId).not.toBe(opened[0]!.incident.incidentId);
        expect(opened[1]!.reason).toBe('interference:vm-1:2 opened it');
      } finally {
        await app.close();
        await writer.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
