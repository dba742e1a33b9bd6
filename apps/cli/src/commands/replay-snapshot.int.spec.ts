import { openDataSource, SnapshotRepository } from '@vgpu-twin/persistence';
import { loadConfig, LogConfigSchema, openEventLog } from '@vgpu-twin/service-kit';
import { TwinProcessor } from '@vgpu-twin/twin';
import { defaultTwinConfig } from '@vgpu-twin/twin-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../../../libs/event-log/src/testing/event-log-contract';
import { at, recordIncident } from '../testing/record-incident';
import { runReplay } from './replay';

/** Replay rebuilds the state at --from from the live twin's nearest snapshot (a real SQLite file). */
describe('vgpu-twin replay from the nearest snapshot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-replay-snap-'));
  const env = { VGPU_TWIN_DATA_DIR: dir, TWIN_SNAPSHOT_KEEP: '100' };
  const quiet = () => undefined;
  let total = 0;

  beforeAll(async () => {
    // 5 minutes at 1 Hz; the incident from +200 s to +260 s, after the snapshots the replay starts from
    total = await recordIncident(env, 300, { startS: 200, endS: 260 });
    const log = await openEventLog(loadConfig(LogConfigSchema, env));

    // The live twin consumes it all, snapshotting every 1,000 events into twin.sqlite; small
    // batches interleave the partitions as live traffic would (a snapshot's time is the latest
    // event time its state holds, so one big batch per partition would make them all "late")
    const snapshots = new SnapshotRepository(
      await openDataSource({ type: 'sqlite', file: join(dir, 'twin.sqlite') }),
      100,
    );
    const twin = new TwinProcessor(log, defaultTwinConfig, {
      group: 'twin',
      instanceId: 'live',
      snapshots,
      snapshotEvery: 1000,
      maxBatchSize: 50,
    });
    await twin.start();
    await eventually(() => twin.status().events === total, 'the live twin to apply every event', 60_000);
    await twin.stop();
    await snapshots.close();
    await log.close();
  }, 120_000); // records 300 events per VM and runs a live twin over them: seconds on a loaded CI runner
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts from the newest snapshot not later than --from, reads only what follows it, and reports what a full rebuild reports', async () => {
    const opts = { from: at(180), to: at(299), out: '' };
    const fromSnapshot = await runReplay(opts, env, quiet);
    const full = await runReplay({ ...opts, fromBeginning: true }, env, quiet);

    expect(full.snapshot).toBeNull();
    expect(fromSnapshot.snapshot).not.toBeNull();
    expect(fromSnapshot.snapshot!.takenAt <= opts.from).toBe(true);
    expect(fromSnapshot.snapshot!.owner).toBe('twin/live');
    // fewer events folded before the window: the snapshot holds the rest
    expect(fromSnapshot.events.beforeWindow).toBeLessThan(full.events.beforeWindow);
    expect(fromSnapshot.events.beforeWindow + fromSnapshot.snapshot!.events).toBe(full.events.beforeWindow);
    expect(fromSnapshot.events.inWindow).toBe(full.events.inWindow);
    // the incident's alerts are the same either way
    const interference = (r: typeof full) =>
      r.alerts.filter((a) => a.data.kind === 'interference').map((a) => [a.id, a.type, a.data.vmId]);
    expect(interference(fromSnapshot).length).toBeGreaterThan(0);
    expect(interference(fromSnapshot)).toEqual(interference(full));
    expect(JSON.stringify(fromSnapshot.gpus)).toBe(JSON.stringify(full.gpus));

    // and twice from the snapshot gives the same bytes
    expect(JSON.stringify(await runReplay(opts, env, quiet))).toBe(JSON.stringify(fromSnapshot));
  }, 60_000); // three replays of 5 minutes of telemetry

  it('folds from the beginning when no snapshot is old enough', async () => {
    const early = await runReplay({ from: at(1), to: at(60), out: '' }, env, quiet);
    expect(early.snapshot).toBeNull();
  });
});
