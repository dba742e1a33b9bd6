// `npm run model:default`: regenerates models/default/hybrid.json from scratch with the built CLI —
// the catalogue data set into a temporary folder, then `model train` on it. The arguments live in
// DEFAULT_MODEL (apps/cli/src/commands/model.ts); model-default.spec.ts checks the committed file
// is what these commands produce, byte for byte.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
const { DEFAULT_MODEL } = createRequire(import.meta.url)(
  join(root, 'dist', 'apps', 'cli', 'src', 'commands', 'model.js'),
);
const dir = mkdtempSync(join(tmpdir(), 'vgpu-default-model-'));
const run = (args) => {
  console.error(`$ vgpu-twin ${args.join(' ')}`);
  execFileSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
};
try {
  run(['model', 'generate', ...DEFAULT_MODEL.generate, '--out', dir]);
  run([
    'model',
    'train',
    '--profiles',
    join(dir, 'profiles.csv'),
    '--pairs',
    join(dir, 'pairs.csv'),
    ...DEFAULT_MODEL.train,
    '--out',
    DEFAULT_MODEL.file,
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
