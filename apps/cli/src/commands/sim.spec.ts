import { Command } from 'commander';
import { runCli } from '../testing/run-cli';
import { registerSimCommands } from './sim';

interface ColocateJson {
  gpu: string;
  policy: string;
  vms: { profile: string; workload: string; slowdown: number; throughput: number; share: number }[];
  busy: number;
}

/** Runs `vgpu-twin sim …` in-process. */
const run = (...args: string[]) => runCli(registerSimCommands, ['sim', ...args]);

describe('vgpu-twin sim share', () => {
  it.each([
    ['best_effort', 1], // all the GPU time goes to the only active vGPU
    ['equal_share', 0.3333], // 1/3: three assigned vGPUs
    ['fixed_share', 0.25], // 4 GB of 16 GB
  ])('gives the one active 4Q of three its %s share', (policy, share) => {
    const { json, exitCode } = run(
      'share',
      '--gpu',
      'V100-16GB',
      '--policy',
      policy,
      '--vgpus',
      '4Q,4Q,4Q',
      '--active',
      '0',
    );
    expect(exitCode).toBe(0);
    expect(json).toEqual({
      gpu: 'V100-16GB',
      policy,
      vgpus: [
        { profile: '4Q', active: true, share },
        { profile: '4Q', active: false, share: 0 },
        { profile: '4Q', active: false, share: 0 },
      ],
    });
  });

  it('rejects a bad option with exit code 2 and a message naming it', () => {
    expect(run('share', '--gpu', 'V100-16GB', '--policy', 'fair', '--vgpus', '4Q')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--policy.*'fair'/),
    });
    expect(run('share', '--gpu', 'V100-16GB', '--vgpus', '4Q,4Q', '--active', '2')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--active.*'2'/),
    });
    expect(run('share', '--gpu', 'V100-16GB', '--vgpus', '8Q,8Q,8Q')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--vgpus.*exceed/),
    });
    expect(run('share', '--gpu', 'K80', '--vgpus', '4Q')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--gpu.*unknown GPU model 'K80'/),
    });
    expect(run('share', '--vgpus', '4Q')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--gpu.*required/),
    });
  });
});

describe('vgpu-twin sim colocate', () => {
  it('reports a short-kernel VM slowed ≥ 2× next to a long-kernel VM (best effort, P100)', () => {
    const r = run(
      'colocate',
      '--gpu',
      'P100-16GB',
      '--policy',
      'best_effort',
      '--vm',
      '8Q:short-kernel',
      '--vm',
      '8Q:long-kernel',
      '--seconds',
      '2',
      '--seed',
      '3',
    );
    expect(r.exitCode).toBe(0);
    const json = r.json as ColocateJson;
    expect(Object.keys(json)).toEqual(['gpu', 'policy', 'vms', 'busy']);
    expect(json.vms.map((v) => Object.keys(v))).toEqual(
      [0, 1].map(() => ['profile', 'workload', 'slowdown', 'throughput', 'share']),
    );
    expect(json.vms[0]).toMatchObject({ profile: '8Q', workload: 'short-kernel' });
    expect(json.vms[0]!.slowdown).toBeGreaterThanOrEqual(2); // DESIGN.md: short next to long 2–11×
    expect(json.vms[0]!.throughput).toBeCloseTo(1 / json.vms[0]!.slowdown, 3);
    expect(json.busy).toBeGreaterThan(0.99);
  });

  it('simulates a single --vm alone: 8Q under best effort runs as fast as a full GPU', () => {
    const json = run('colocate', '--gpu', 'P100-16GB', '--vm', '8Q:spec-accel', '--seconds', '2')
      .json as ColocateJson;
    expect(json.vms).toHaveLength(1);
    expect(json.vms[0]!.slowdown).toBeCloseTo(1, 3);
  });

  it('accepts explicit workload parameters and is deterministic for a seed', () => {
    const args = [
      'colocate',
      '--gpu',
      'T4',
      '--vm',
      '4Q:kernel=0.3,cpu=0.2,mem=0.5',
      '--vm',
      '4Q:dl-infer-cnn',
      '--seconds',
      '1',
      '--seed',
      '9',
    ];
    expect(run(...args).json).toEqual(run(...args).json);
  });

  it('rejects a bad --vm with exit code 2 naming the option', () => {
    expect(run('colocate', '--gpu', 'P100-16GB', '--vm', '8Q')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--vm.*PROFILE:WORKLOAD/),
    });
    expect(run('colocate', '--gpu', 'P100-16GB', '--vm', '8Q:warp-drive')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--vm.*unknown workload 'warp-drive'/),
    });
    expect(run('colocate', '--gpu', 'P100-16GB', '--vm', '8Q:idle', '--vm', '4Q:idle')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--vm.*one vGPU type per GPU/),
    });
    expect(run('colocate', '--gpu', 'P100-16GB', '--vm', '8Q:idle', '--seconds', '-1')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--seconds/),
    });
  });

  it('documents every option in --help', () => {
    const program = new Command('vgpu-twin');
    registerSimCommands(program);
    const sim = program.commands.find((c) => c.name() === 'sim')!;
    const help = sim.commands.find((c) => c.name() === 'colocate')!.helpInformation();
    for (const o of ['--gpu', '--policy', '--vm', '--seconds', '--seed', '--slice-ms'])
      expect(help).toContain(o);
    const shareHelp = sim.commands.find((c) => c.name() === 'share')!.helpInformation();
    for (const o of ['--gpu', '--policy', '--vgpus', '--active']) expect(shareHelp).toContain(o);
  });
});
