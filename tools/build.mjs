// Compiles every app and library into dist/ and rewrites the @vgpu-twin/* aliases to relative
// paths so the output runs on plain Node. One tsc pass type-checks the whole workspace.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
if (!existsSync(bin('tsc'))) {
  console.error('vgpu-twin build: node_modules is missing; run `npm install` first.');
  process.exit(1);
}
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
run(bin('tsc'), ['-p', 'tsconfig.build.json']);
run(bin('tsc-alias'), ['-p', 'tsconfig.build.json']);
