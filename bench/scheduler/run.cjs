// Compiles libs/scheduler (+ libs/contracts) and this folder with tsc into node_modules/.cache
// (so `zod` and friends resolve from the workspace's node_modules), maps the @vgpu-twin/*
// aliases onto the compiled files, and runs one script.
//   node bench/scheduler/run.cjs [scheduler.bench|explore]
// Only the scheduler's own files are compiled, so work in progress elsewhere cannot break it.
const { execFileSync } = require('node:child_process');
const Module = require('node:module');
const { join } = require('node:path');
const root = join(__dirname, '..', '..');
const out = join(root, 'node_modules', '.cache', 'vgpu-twin-scheduler-bench');
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(__dirname, 'tsconfig.json')], { stdio: 'inherit' });
const paths = require(join(root, 'tsconfig.base.json')).compilerOptions.paths;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const target = paths[request];
  if (target) request = join(out, target[0].replace(/\.ts$/, '.js'));
  return resolve.call(this, request, ...rest);
};
require(join(out, 'bench', 'scheduler', `${process.argv[2] ?? 'scheduler.bench'}.js`));
