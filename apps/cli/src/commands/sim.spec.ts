import { runCliAsync } from '../testing/run-cli';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parseEvent } from '@vgpu-twin/contracts';
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

/** Runs `vgpu-twin sim …` in-process, awaiting async actions, with stdout and stderr captured. */
const runAsync = (...args: string[]) => runCliAsync(registerSimCommands, ['sim', ...args]);

describe('vgpu-twin sim run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-sim-run-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  // One host, one GPU shared by two VMs; a third VM arrives at +2 s.
  const small = file('small.json', {
    name: 'small',
    cluster: {
      hosts: [
        {
          hostId: 'h1',
          gpus: [
            {
              gpuId: 'h1-g0',
              vms: [
                { vmId: 'v1', profile: '4Q', workload: 'bert-infer' },
                { vmId: 'v2', profile: '4Q', workload: 'pcie-bound' },
              ],
            },
          ],
        },
      ],
    },
    timeline: [{ atS: 2, action: 'place', vm: 'v3', gpu: 'h1-g0', profile: '4Q', workload: 'recsys-infer' }],
  });
  const START = '2026-03-01T00:00:00Z';

  it('without --ingest, prints the event stream as NDJSON: contract events, inventory first, the same bytes every run', async () => {
    const args = ['run', '--scenario', small, '--duration', '4', '--start', START, '--seed', '9'];
    const a = await runAsync(...args);
    expect(a.exitCode).toBe(0);
    const events = a.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    for (const e of events) expect(parseEvent(e)).toEqual({ ok: true, event: e });
    const types = events.map((e) => (e as { type: string }).type);
    // 2 profiles + host + GPU + 2 placements; 4 ticks of VM and GPU samples; v3 placed at +2 s
    expect(types.slice(0, 6)).toEqual([
      'workload.profiled',
      'workload.profiled',
      'workload.profiled', // recsys-infer, placed by the timeline
      'host.registered',
      'gpu.registered',
      'vm.placed',
    ]);
    expect(types.filter((t) => t === 'telemetry.gpu_sample')).toHaveLength(4);
    expect(types.filter((t) => t === 'telemetry.vm_sample')).toHaveLength(2 + 2 + 3 + 3);
    const placedAt2 = events.find((e) => (e as { id: string }).id === 'sim:t0:place:v3') as { ts: string };
    expect(placedAt2.ts).toBe('2026-03-01T00:00:02.000Z');
    expect((await runAsync(...args)).out).toBe(a.out);
    expect((await runAsync(...args.slice(0, -1), '10')).out).not.toBe(a.out); // another seed, other noise
    expect(a.err).toMatch(/sim run: scenario 'small' .*4 ticks of 1000 ms/);
  });

  it('given --scenario demo, then it runs the built-in scenario', async () => {
    const r = await runAsync('run', '--scenario', 'demo', '--duration', '2', '--start', START);
    expect(r.exitCode).toBe(0);
    const gpus = r.out.split('\n').filter((l) => l.includes('"gpu.registered"'));
    expect(gpus).toHaveLength(8);
  });

  it('when the scenario file is bad, then exit code 2 and a message naming the file and each bad path', async () => {
    const bad = file('bad.json', {
      name: 'bad',
      cluster: {
        hosts: [
          {
            hostId: 'h1',
            gpus: [{ gpuId: 'g0', vms: [{ vmId: 'v1', profile: '8Q', workload: 'bert-infer' }] }],
          },
        ],
      },
      timeline: [
        { atS: 5, action: 'remove', vm: 'v1' },
        { atS: 9, action: 'migrate', vm: 'v1', to: 'g0' },
        { atS: 9, action: 'phase', vm: 'vm-99', workload: 'lstm-train' },
      ],
    });
    const r = await runAsync('run', '--scenario', bad);
    expect(r.exitCode).toBe(2);
    expect(r.err).toContain(`--scenario' ${bad}: `);
    expect(r.err).toContain("timeline[1].vm: VM 'v1' was removed at +5 s (timeline[0])");
    expect(r.err).toContain("timeline[2].vm: unknown VM 'vm-99'");
    expect(r.out).toBe('');
    expect((await runAsync('run', '--scenario', file('nojson.json', '{'))).err).toMatch(
      /nojson\.json: \(file\): is not JSON/,
    );
    expect((await runAsync('run', '--scenario', join(dir, 'missing.json'))).err).toMatch(
      /missing\.json: \(file\): cannot be read \(ENOENT\)/,
    );
    expect(await runAsync('run')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--scenario.*required/),
    });
    expect(await runAsync('run', '--scenario', small, '--step-ms', '0')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--step-ms/),
    });
    expect(await runAsync('run', '--scenario', small, '--start', 'yesterday')).toMatchObject({
      exitCode: 2,
      err: expect.stringMatching(/--start/),
    });
  });

  it('with --ingest, posts the inventory, then each tick’s inventory changes and telemetry, to a local HTTP server', async () => {
    const batches: { path: string; auth: string | undefined; types: string[] }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const events = JSON.parse(body) as { type: string }[];
        batches.push({ path: req.url!, auth: req.headers.authorization, types: events.map((e) => e.type) });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const r = await runAsync(
        'run',
        '--scenario',
        small,
        '--ingest',
        `http://127.0.0.1:${port}`,
        '--tick-ms',
        '1',
        '--duration',
        '3',
        '--start',
        START,
        '--api-key',
        'k1',
      );
      expect(r.exitCode).toBe(0);
      expect(batches.map((b) => b.path)).toEqual([
        '/v1/inventory', // the start
        '/v1/telemetry', // +0 s
        '/v1/telemetry', // +1 s
        '/v1/inventory', // +2 s: v3 placed, before that tick's samples
        '/v1/telemetry',
      ]);
      expect(batches[3]!.types).toEqual(['vm.placed']);
      expect(batches[4]!.types.filter((t) => t === 'telemetry.vm_sample')).toHaveLength(3);
      expect(new Set(batches.map((b) => b.auth))).toEqual(new Set(['Bearer k1']));
      expect(r.err).toMatch(/\+2 s v3 \(4Q, recsys-infer\) placed on h1-g0/);
      expect(r.err).toMatch(/sim run: posted \d+ events/);
    } finally {
      server.close();
    }
  });

  it('documents every option in --help', () => {
    const program = new Command('vgpu-twin');
    registerSimCommands(program);
    const help = program.commands
      .find((c) => c.name() === 'sim')!
      .commands.find((c) => c.name() === 'run')!
      .helpInformation();
    for (const o of [
      '--scenario',
      '--ingest',
      '--duration',
      '--tick-ms',
      '--step-ms',
      '--start',
      '--seed',
      '--api-key',
      '--alibaba-nodes',
    ])
      expect(help).toContain(o);
  });
});
