import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../testing/run-cli';
import { registerPlaceCommands } from './place';

/** Runs `vgpu-twin place …` in-process. */
const run = (...args: string[]) => runCli(registerPlaceCommands, ['place', ...args]);

const features = (gpuUtilPct: number, kernelMs: number) => ({
  gpuUtilPct,
  memUtilPct: 20,
  pcieRxMBps: 0,
  pcieTxMBps: 0,
  kernelMs,
});
// given a short-kernel VM (0.1 ms kernels, 50% busy) next to a long-kernel one (5 ms, ~100% busy)
// on g1, and an idle g2 on a second 8Q host
const snapshot = {
  clusterId: 'lab',
  hosts: [
    { hostId: 'h1', homogeneousProfiles: true },
    { hostId: 'h2', homogeneousProfiles: true },
  ],
  gpus: [
    { gpuId: 'g1', hostId: 'h1', model: 'V100-16GB', framebufferMib: 16384, policy: 'best_effort' },
    { gpuId: 'g2', hostId: 'h2', model: 'V100-16GB', framebufferMib: 16384, policy: 'best_effort' },
  ],
  vms: [
    { vmId: 'short', gpuId: 'g1', profile: '8Q', framebufferMib: 8192, workload: 'short-kernel' },
    { vmId: 'long', gpuId: 'g1', profile: '8Q', framebufferMib: 8192, workload: 'long-kernel' },
  ],
  workloads: [
    { workload: 'short-kernel', features: features(50, 0.1) },
    { workload: 'long-kernel', features: features(99.8, 5) },
  ],
};

function writeState(value: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'place-')), 'cluster.json');
  writeFileSync(file, JSON.stringify(value));
  return file;
}

interface SuggestJson {
  moves: { vmId: string; toGpuId: string; gain: number; before: { slowdown: number }[]; reason: string }[];
}

describe('vgpu-twin place suggest', () => {
  it('ranks the moves of one VM: to the idle GPU first', () => {
    const { json, exitCode } = run('suggest', '--state', writeState(snapshot), '--vm', 'short');
    expect(exitCode).toBe(0);
    const moves = (json as SuggestJson).moves;
    expect(moves).toHaveLength(1); // g2 is the only other GPU
    expect(moves[0]!.toGpuId).toBe('g2');
    // the analytical model slows the short-kernel VM next to the long one (1.33× for these
    // features); alone on g2 both run at 1×, so the move gains after the 0.1 migration cost
    expect(moves[0]!.before[0]!.slowdown).toBeGreaterThan(1.2);
    expect(moves[0]!.gain).toBeGreaterThan(0.2);
    expect(moves[0]!.reason).toMatch(/Move VM short .* from GPU g1 to GPU g2/);
  });

  it('plans a bounded rebalance without --vm', () => {
    const { json, exitCode } = run('suggest', '--state', writeState(snapshot), '--max-moves', '3');
    expect(exitCode).toBe(0);
    // one move separates the pair; after it every VM is alone and no move gains
    expect((json as SuggestJson).moves).toHaveLength(1);
  });

  it('names the bad option or file, exit code 2', () => {
    expect(run('suggest')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/'--state' is required/),
    });
    expect(run('suggest', '--state', '/nonexistent/cluster.json')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/'--state' cannot read '\/nonexistent\/cluster.json'/),
    });
    const bad = writeState({ ...snapshot, vms: [{ ...snapshot.vms[0], gpuId: 'gX' }] });
    expect(run('suggest', '--state', bad)).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/unknown GPU 'gX'/),
    });
    expect(run('suggest', '--state', writeState(snapshot), '--vm', 'nope')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/'--vm' 'nope' is not a VM/),
    });
    expect(run('suggest', '--state', writeState(snapshot), '--migration-cost', '-1')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/'--migration-cost' '-1'/),
    });
  });
});

describe('vgpu-twin place experiment', () => {
  it('rejects bad options with exit code 2', () => {
    expect(run('experiment', '--trials', '0')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/'--trials' '0' must be an integer/),
    });
    expect(run('experiment', '--dataset', 'imagenet')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/'--dataset' 'imagenet'/),
    });
    expect(run('experiment', '--dataset', 'gavel', '--gavel-file', '/nonexistent.json')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/'--gavel-file' '\/nonexistent.json' does not exist/),
    });
  });

  it('documents every option in --help', () => {
    const { out } = run('experiment', '--help');
    for (const o of [
      '--trials',
      '--seed',
      '--dataset',
      '--gpu',
      '--gavel-file',
      '--truth',
      '--trees',
      '--json',
    ]) {
      expect(out).toContain(o);
    }
  });

  const gavel = '../shared/data/gavel/pair_throughputs.json';
  const haveGavel = existsSync(gavel);
  if (!haveGavel) console.log(`SKIP place experiment on Gavel: ${gavel} is absent`);
  (haveGavel ? it : it.skip)(
    'prints the policies as JSON on the Gavel measurements (small forest, 3 trials)',
    () => {
      const { json, exitCode, err } = run(
        'experiment',
        '--dataset',
        'gavel',
        '--gpu',
        'v100',
        '--trials',
        '3',
        '--seed',
        '2',
        '--trees',
        '3',
        '--json',
      );
      expect(err).toBe('');
      expect(exitCode).toBe(0);
      const r = json as { policies: { name: string; meanSlowdown: number; reductionVsRoundRobin: number }[] };
      const names = r.policies.map((p) => p.name);
      expect(names).toEqual(expect.arrayContaining(['round-robin', 'ideal', 'model']));
      const by = Object.fromEntries(r.policies.map((p) => [p.name, p]));
      expect(by['round-robin']!.reductionVsRoundRobin).toBe(0);
      // the ideal is the exact optimum on the truth: nothing scored by the truth beats it
      for (const p of r.policies)
        expect(p.meanSlowdown).toBeGreaterThanOrEqual(by['ideal']!.meanSlowdown - 1e-12);
    },
    120_000,
  );
});
