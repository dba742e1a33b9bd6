#!/usr/bin/env node
'use strict';
// Runs the compiled CLI; builds the workspace first if it has not been built (npm install builds it).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..', '..', '..');
const main = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('vgpu-twin: first run, building the workspace (npm run build)…\n');
  execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
require(main);
