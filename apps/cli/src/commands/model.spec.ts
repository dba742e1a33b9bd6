import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../testing/run-cli';
import { DEFAULT_GAVEL_FILE, registerModelCommands } from './model';

/** Runs `vgpu-twin model …` in-process. */
const run = (...args: string[]) => runCli(registerModelCommands, ['model', ...args]);

describe('vgpu-twin model (synthetic data)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-model-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generate → train → eval --json → predict', () => {
    const gen = run('generate', '--out', dir, '--seed', '7');
    expect(gen.exitCode).toBe(0);
    expect(JSON.parse(gen.out)).toMatchObject({ workloads: 14, pairs: 196, synthetic: true }); // 7 types × 2 batches; 14²
    expect(readFileSync(join(dir, 'pairs.csv'), 'utf8')).toMatch(/^# SYNTHETIC/);
    const data = ['--profiles', join(dir, 'profiles.csv'), '--pairs', join(dir, 'pairs.csv')];

    const model = join(dir, 'models', 'model.json'); // a folder that does not exist yet: train creates it
    const train = (createdAt: string) =>
      run(
        'train',
        ...data,
        '--features',
        'select',
        '--model',
        'hybrid',
        '--trees',
        '5',
        '--folds',
        '0',
        '--out',
        model,
        '--created-at',
        createdAt,
      );
    expect(train('2025-01-01T00:00:00.000Z').exitCode).toBe(0);
    const first = readFileSync(model, 'utf8');
    expect(train('2025-02-01T00:00:00.000Z').exitCode).toBe(0);
    const strip = (s: string) => s.replace(/"createdAt":"[^"]+"/, '');
    expect(strip(readFileSync(model, 'utf8'))).toBe(strip(first)); // deterministic but for createdAt
    const artifact = JSON.parse(first) as { version: number; kind: string; trainingDataHash: string };
    expect(artifact).toMatchObject({ version: 1, kind: 'hybrid' });
    expect(artifact.trainingDataHash).toMatch(/^[0-9a-f]{64}$/); // sha256

    const ev = run('eval', ...data, '--features', 'base', 'select', '--folds', '2', '--trees', '5', '--json');
    expect(ev.exitCode).toBe(0);
    expect(ev.err).toMatch(/\[1\/\d+\] rf × base/); // progress on stderr
    const results = (
      JSON.parse(ev.out) as {
        results: { model: string; features: string; mse: number; mae: number; spearman: number }[];
      }
    ).results;
    expect(results.map((r) => `${r.model}/${r.features}`)).toEqual([
      'rf/base',
      'linear/base',
      'hybrid/base',
      'rf/select',
      'linear/select',
      'hybrid/select',
    ]);
    for (const r of results) {
      expect(r.mse).toBeGreaterThan(0);
      expect(r.spearman).toBeGreaterThan(0.5); // every model ranks the pairs far better than chance
    }

    const lo = run(
      'eval',
      ...data,
      '--features',
      'select',
      '--leave-out',
      'bert-bs8,lstm-bs16',
      '--trees',
      '5',
      '--json',
    );
    expect(lo.exitCode).toBe(0);
    // every pair involving one of 2 of 14 workloads: 196 − 12² = 52
    expect((JSON.parse(lo.out) as { results: { n: number }[] }).results[0]!.n).toBe(52);

    const pr = run(
      'predict',
      '--model',
      model,
      '--profiles',
      join(dir, 'profiles.csv'),
      '--workload',
      'bert-bs8',
      '--co-runner',
      'lstm-bs16',
      '--co-runner',
      'gpt2-bs4',
    );
    expect(pr.exitCode).toBe(0);
    const p = JSON.parse(pr.out) as { slowdown: number; pairwise: number[] };
    expect(p.pairwise).toHaveLength(2);
    expect(p.slowdown).toBeGreaterThan(Math.max(...p.pairwise)); // two busy co-runners slow it more than either
  });

  it('reports bad options and files on stderr with exit code 2', () => {
    const bad = run(
      'train',
      '--profiles',
      join(dir, 'missing.csv'),
      '--pairs',
      join(dir, 'pairs.csv'),
      '--out',
      join(dir, 'm.json'),
    );
    expect(bad.exitCode).toBe(2);
    expect(bad.err).toMatch(/option '--profiles' cannot read '.*missing\.csv'/);
    const feat = run(
      'eval',
      '--profiles',
      join(dir, 'profiles.csv'),
      '--pairs',
      join(dir, 'pairs.csv'),
      '--features',
      'gpu_util,nope',
    );
    expect(feat.exitCode).toBe(2);
    expect(feat.err).toMatch(/option '--features' feature set 'gpu_util,nope' needs column\(s\) nope/);
    const wl = run(
      'eval',
      '--profiles',
      join(dir, 'profiles.csv'),
      '--pairs',
      join(dir, 'pairs.csv'),
      '--leave-out',
      'nope',
    );
    expect(wl.exitCode).toBe(2);
    expect(wl.err).toMatch(/unknown workload 'nope'/);
  });
});

const gavel = DEFAULT_GAVEL_FILE;
const describeGavel = existsSync(gavel) ? describe : describe.skip;
if (!existsSync(gavel))
  console.warn(`skipping the Gavel CLI test: ${gavel} is absent (run from the repo root with ../shared)`);

describeGavel('vgpu-twin model import-gavel (real data)', () => {
  it('imports v100 pairs and evaluates leave-workloads-out on them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vgpu-gavel-'));
    try {
      const imp = run('import-gavel', '--gpu', 'v100', '--file', gavel, '--out', dir);
      expect(imp.exitCode).toBe(0);
      // ../shared/data/README.md: 83 job types, 26 of them single-GPU; v100 has 676 scale-1 entries, 40 of them [0, 0]
      expect(JSON.parse(imp.out)).toMatchObject({ gpu: 'v100', workloads: 26, pairs: 636, infeasible: 40 });
      const ev = run(
        'eval',
        '--profiles',
        join(dir, 'profiles.csv'),
        '--pairs',
        join(dir, 'pairs.csv'),
        '--features',
        'all',
        '--leave-out',
        'resnet50-bs64',
        '--trees',
        '5',
        '--models',
        'rf,linear',
        '--json',
      );
      expect(ev.exitCode).toBe(0);
      const r = (JSON.parse(ev.out) as { results: { n: number; spearman: number }[] }).results;
      expect(r[0]!.n).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
