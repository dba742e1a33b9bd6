import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../testing/run-cli';
import { DEFAULT_MODEL, registerModelCommands } from './model';

const root = join(__dirname, '..', '..', '..', '..');
const run = (...args: string[]) => runCli(registerModelCommands, ['model', ...args]);

describe('the default model (models/default/hybrid.json)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-default-model-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('given the DEFAULT_MODEL recipe, when generate and train run from scratch, then the artifact is byte-identical to the committed one', () => {
    const gen = run('generate', ...DEFAULT_MODEL.generate, '--out', dir);
    expect(gen.exitCode).toBe(0);
    // 19 catalogue workloads less idle; 18² ordered pairs
    expect(gen.json).toMatchObject({ dataset: 'catalogue', workloads: 18, pairs: 324 });
    expect(readFileSync(join(dir, 'pairs.csv'), 'utf8')).toMatch(/^# SIMULATED data/);

    const out = join(dir, 'hybrid.json');
    const train = run(
      'train',
      '--profiles',
      join(dir, 'profiles.csv'),
      '--pairs',
      join(dir, 'pairs.csv'),
      ...DEFAULT_MODEL.train,
      '--out',
      out,
    );
    expect(train.exitCode).toBe(0);
    const committed = readFileSync(join(root, DEFAULT_MODEL.file), 'utf8');
    // On failure: the catalogue, the simulation or training changed; `npm run model:default`
    // regenerates the file (review its metrics before committing it).
    expect(readFileSync(out, 'utf8') === committed).toBe(true);
  }, 120_000);
});
