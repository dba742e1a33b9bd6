import {
  buildArtifact,
  generateSynthetic,
  hashDataset,
  resolveFeatures,
  serializeArtifact,
  trainRegressor,
} from '@vgpu-twin/interference';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../program';
import { at, recordIncident } from '../testing/record-incident';
import { runReplay } from './replay';

/** Replay with a learned interference model, live (TWIN_MODEL) and as a what-if (--model). */
describe('vgpu-twin replay with an interference model artifact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-replay-model-'));
  const env = { VGPU_TWIN_DATA_DIR: dir };
  const quiet = () => undefined;
  const modelFile = join(dir, 'models', 'hybrid.json');

  beforeAll(async () => {
    // A small hybrid on the synthetic data, on the 'base' features the simulator's workloads carry.
    const data = generateSynthetic({ seed: 1, durationMs: 500 });
    const { model, rowsUsed } = trainRegressor(
      data,
      'hybrid',
      resolveFeatures('base', data.profiles),
      'best_effort',
      {
        trees: 5,
        seed: 7,
      },
    );
    const metrics = { mse: 0, mae: 0, spearman: 0, f1: 0, n: 0 };
    mkdirSync(join(dir, 'models'));
    writeFileSync(
      modelFile,
      serializeArtifact(
        buildArtifact(model, {
          trainingDataHash: hashDataset(data.profiles, data.pairs),
          trainingPairs: data.pairs.length,
          rowsUsed,
          metrics: { train: metrics },
          createdAt: '2026-06-01T00:00:00.000Z',
        }),
      ),
    );

    await recordIncident(env, 240, { startS: 60, endS: 180 });
  }, 120_000); // trains a forest and records 240 s of telemetry: seconds on a loaded CI runner
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--model: the what-if twin predicts with the artifact and the report says what it would have said', async () => {
    const report = await runReplay({ from: at(30), to: at(239), out: '', model: modelFile }, env, quiet);
    expect(report.model).toMatch(/^hybrid@[0-9a-f]{12}$/); // the shipped default (models/default/hybrid.json)
    expect(report.whatIfModel).toMatch(/^hybrid@[0-9a-f]{12}$/);
    expect(report.whatIfModel).not.toBe(report.model);
    expect(report.whatIfAlerts).not.toBeNull();
    const rows = report.gpus.flatMap((g) => g.whatIf ?? []);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.predictedWhatIf !== null)).toBe(true);
    // the artifact trained here disagrees with the default model somewhere
    expect(rows.some((r) => r.predictedWhatIf !== r.predictedNow)).toBe(true);
  }, 60_000); // two twins over 4 minutes of telemetry

  it('TWIN_MODEL (a file or a directory: its newest artifact) makes the twin predict with it, reproducibly', async () => {
    const opts = { from: at(30), to: at(239), out: '' };
    const a = await runReplay(opts, { ...env, TWIN_MODEL: join(dir, 'models') }, quiet);
    const b = await runReplay(opts, { ...env, TWIN_MODEL: modelFile }, quiet);
    expect(a.model).toMatch(/^hybrid@/);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  }, 60_000);

  it('names what is wrong with a missing or broken model', async () => {
    const run = (args: string[]) => {
      const program = buildProgram().exitOverride();
      program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));
      return program.parseAsync(['node', 'vgpu-twin', 'replay', ...args]);
    };
    const base = ['--from', at(0), '--to', at(10), '--out', join(dir, 'out')];
    await expect(run([...base, '--model', join(dir, 'no-such.json')])).rejects.toThrow(
      /no-such\.json: no such file/,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, readFileSync(modelFile, 'utf8').replace('"kind":"hybrid"', '"kind":"boosted"'));
    await expect(runReplay({ from: at(0), to: at(10), out: '', model: broken }, env, quiet)).rejects.toThrow(
      /broken\.json: not a model artifact: \S*broken\.json:kind Invalid option/,
    );
  });
});
