// Compiles libs/scheduler (+ libs/contracts) and bench/scheduler with tsc into
// node_modules/.cache/vgpu-twin-scheduler-bench (inside the workspace, so `zod` resolves), maps
// the @vgpu-twin/* aliases onto the compiled files, and runs one script:
//   node bench/scheduler/run.mjs            # scheduler.bench
// Only the scheduler's own files are compiled, so work in progress elsewhere cannot break it.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(root, 'node_modules', '.cache', 'vgpu-twin-scheduler-bench');
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(here, 'tsconfig.json')], {
  stdio: 'inherit',
});
const require = createRequire(import.meta.url);
const paths = require(join(root, 'tsconfig.base.json')).compilerOptions.paths;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const target = paths[request];
  return resolve.call(this, target ? join(out, target[0].replace(/\.ts$/, '.js')) : request, ...rest);
};
require(join(out, 'bench', 'scheduler', `${process.argv[2] ?? 'scheduler.bench'}.js`));
