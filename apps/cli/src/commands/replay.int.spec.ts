import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../program';
import { at, recordIncident } from '../testing/record-incident';
import { runReplay, writeReport } from './replay';

/** Replay over an incident recorded from the simulator into a real embedded log file. */
describe('vgpu-twin replay on the embedded log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-replay-'));
  const env = { VGPU_TWIN_DATA_DIR: dir };
  const quiet = () => undefined;

  // 5 minutes at 1 Hz; vm-002 turns heavy next to vm-001 from +60 s to +180 s
  beforeAll(() => recordIncident(env, 300, { startS: 60, endS: 180 }), 120_000); // seconds on a loaded CI runner
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes report.json with the incident’s alerts and a self-contained report.html; twice the same window gives identical bytes', async () => {
    const opts = { from: at(30), to: at(240), out: join(dir, 'r1') };
    const first = writeReport(await runReplay(opts, env, quiet), opts.out);
    const second = writeReport(
      await runReplay({ ...opts, out: join(dir, 'r2') }, env, quiet),
      join(dir, 'r2'),
    );
    const json = readFileSync(first.json, 'utf8');
    expect(readFileSync(second.json, 'utf8')).toBe(json);

    const report = JSON.parse(json) as {
      alerts: { type: string; ts: string; data: { vmId: string; kind: string; aggressorVmId?: string } }[];
      gpus: { gpuId: string }[];
    };
    const interference = report.alerts.filter((a) => a.data.kind === 'interference');
    expect(interference.map((a) => [a.type, a.data.vmId])).toEqual([
      ['alert.raised', 'vm-001'],
      ['alert.resolved', 'vm-001'],
    ]); // raised after +60 s, resolved after +180 s
    expect(interference[0]!.data.aggressorVmId).toBe('vm-002');
    // the aggressor's load peak is found from its utilisation (demand under contention), so the
    // victim's prediction follows; what drift there is (the model's 3.14× against 3.31× seen) is on
    // the victim while its interference alert is open — the notifier shows it inhibited by that alert
    const drift = report.alerts.filter((a) => a.data.kind === 'drift');
    const [from, to] = [Date.parse(interference[0]!.ts), Date.parse(interference[1]!.ts)];
    for (const d of drift.filter((a) => a.type === 'alert.raised')) {
      expect(d.data.vmId).toBe('vm-001');
      expect(Date.parse(d.ts)).toBeGreaterThanOrEqual(from);
      expect(Date.parse(d.ts)).toBeLessThanOrEqual(to);
    }
    expect(report.gpus.map((g) => g.gpuId)).toEqual(['host-1-gpu-0']);

    const html = readFileSync(first.html, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('vm-001');
    expect(html).not.toMatch(/<script|https?:\/\//); // self-contained: no scripts, no external assets
  }, 60_000); // two replays and an HTML render

  it('answers what-if for a policy', async () => {
    const report = await runReplay({ from: at(30), to: at(240), out: '', policy: 'fixed_share' }, env, quiet);
    expect(report.gpus[0]!.whatIf?.map((w) => w.vmId)).toEqual(['vm-001', 'vm-002']);
  }, 60_000);

  it('rejects bad options with a clear message', async () => {
    const run = (args: string[]) => {
      const program = buildProgram().exitOverride();
      program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));
      return program.parseAsync(['node', 'vgpu-twin', 'replay', ...args]);
    };
    await expect(run(['--from', 'yesterday', '--to', at(1), '--out', dir])).rejects.toThrow(
      /--from must be an ISO-8601 time/,
    );
    await expect(run(['--from', at(10), '--to', at(1), '--out', dir])).rejects.toThrow(/is after --to/);
    await expect(run(['--from', at(0), '--to', at(1), '--out', dir, '--policy', 'fastest'])).rejects.toThrow(
      /--policy must be one of/,
    );
    for (const workers of ['two', '-1', '65'])
      await expect(run(['--from', at(0), '--to', at(1), '--out', dir, '--workers', workers])).rejects.toThrow(
        /--workers must be a whole number from 0 to 64/,
      );
    await expect(
      runReplay(
        { from: at(0), to: at(1), out: dir },
        { VGPU_TWIN_DATA_DIR: join(dir, 'nothing-here') },
        quiet,
      ),
    ).rejects.toThrow(/no embedded log at/);
  });
});
