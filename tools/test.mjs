// `npm test`: the three tiers in order — unit (parallel), then integration and end-to-end (one at a
// time: they start servers and share the machine's two cores) — and one closing line of totals.
//
// Real components: PostgreSQL suites need DATABASE_URL, Kafka suites need KAFKA_BROKERS. Without
// them those suites are left out and named here; with CI=true a missing one fails the run instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ci = process.env.CI === 'true' || process.env.CI === '1';
const extra = process.argv.slice(2);

const components = [
  {
    env: 'KAFKA_BROKERS',
    what: 'Kafka suites (event-log contract, fault tests, e2e on Kafka)',
    start: 'npm run kafka:up',
  },
  {
    env: 'DATABASE_URL',
    what: 'PostgreSQL suites (snapshots)',
    start: 'export DATABASE_URL=postgres://postgres@127.0.0.1:5432/test',
  },
];
const missing = components.filter((c) => !process.env[c.env]);
for (const c of missing) {
  const msg = `${c.env} is not set: leaving out the ${c.what} (to run them: ${c.start})`;
  if (ci) {
    console.error(`CI=true and ${msg}`);
    process.exit(1);
  }
  console.log(`note: ${msg}`);
}

const tiers = [
  { name: 'unit', args: ['--selectProjects', 'unit'] },
  // --forceExit: kafkajs leaves retry timers behind after disconnect, which would keep Jest alive
  // after the last test; every suite closes its clients and servers in afterAll/finally.
  { name: 'int', args: ['--selectProjects', 'int', '--runInBand', '--forceExit'] },
  { name: 'e2e', args: ['--selectProjects', 'e2e', '--runInBand', '--forceExit'] },
];
const out = mkdtempSync(join(tmpdir(), 'vgpu-test-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
let failedTiers = [];
for (const tier of tiers) {
  console.log(`\n=== ${tier.name} tests ===`);
  const file = join(out, `${tier.name}.json`);
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
      ...tier.args,
      '--json',
      `--outputFile=${file}`,
      ...extra,
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, TZ: 'UTC' },
    },
  );
  try {
    const j = JSON.parse(readFileSync(file, 'utf8'));
    totals.passed += j.numPassedTests;
    totals.failed += j.numFailedTests;
    totals.skipped += j.numPendingTests + j.numTodoTests;
    if (j.numFailedTestSuites > 0 && j.numFailedTests === 0) totals.failed += j.numFailedTestSuites; // suites that failed to run
  } catch {
    totals.failed += 1; // jest could not report: count the tier as failed
  }
  if (r.status !== 0) failedTiers.push(tier.name);
}
rmSync(out, { recursive: true, force: true });
console.log('');
if (missing.length > 0) console.log(`left out: ${missing.map((m) => m.what).join('; ')}`);
if (failedTiers.length > 0) console.log(`failed tiers: ${failedTiers.join(', ')}`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedTiers.length > 0 ? 1 : 0);
