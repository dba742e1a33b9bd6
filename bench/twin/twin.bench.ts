// bench/twin: twin-core apply + drift on one core, and the state's memory at 10k and 100k VMs.
// Run: SWC_NODE_PROJECT=tsconfig.json node --expose-gc -r @swc-node/register bench/twin/twin.bench.ts
import { defaultTwinConfig, initialState, step, type TwinState } from '@vgpu-twin/twin-core';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { inventory, samples } from './workload';

const config = defaultTwinConfig;
function build(vms: number): TwinState {
  const state = initialState(config.dedupeWindow);
  for (const e of inventory(vms)) step(state, e, config);
  return state;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function throughput(): void {
  const vms = 10_000;
  const events = samples(vms, 100, 7); // 1,000,000 events
  const twin: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < 5; run++) {
    // Baseline in the same run: the cheapest fold imaginable over the same events (find the VM, keep its rate).
    const rates = new Map<string, number>();
    let t = process.hrtime.bigint();
    for (const e of events) rates.set(e.data.vmId, e.data.progressRate!);
    baseline.push(events.length / (Number(process.hrtime.bigint() - t) / 1e9));

    const state = build(vms);
    t = process.hrtime.bigint();
    for (const e of events) step(state, e, config);
    twin.push(events.length / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  const m = median(twin);
  console.log(
    `| twin-core step (apply + observation + drift + alerts), 10k VMs | ${Math.round(m).toLocaleString('en')} events/s | ${Math.round(median(baseline)).toLocaleString('en')} events/s | ${(m / median(baseline)).toFixed(3)} |`,
  );
}

/** Heap held by the state (after GC) and the process's resident set, in a fresh child process per size. */
function memory(vms: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  const before = process.memoryUsage();
  const state = build(vms);
  // fill every VM's windows: 10 samples each
  // fill every VM's windows with ten samples each, a second at a time (as telemetry arrives),
  // so the resident set measures the state and not a pile of pending events
  for (let s = 0; s < 10; s++) for (const e of samples(vms, 1, 3 + s, s)) step(state, e, config);
  gc();
  const after = process.memoryUsage();
  const used = after.heapUsed - before.heapUsed;
  console.log(
    `| ${vms.toLocaleString('en')} VMs | ${(used / 2 ** 20).toFixed(1)} MiB | ${(used / vms).toFixed(0)} B | ${(after.rss / 2 ** 20).toFixed(0)} MiB (${((after.rss - before.rss) / 2 ** 20).toFixed(0)} MiB more than before the state) | ${state.vms.size === vms ? 'ok' : 'MISMATCH'} |`,
  );
}

const only = process.argv[2];
if (only === 'memory') {
  memory(Number(process.argv[3]));
  process.exit(0);
}
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, Node ${process.version}\n`);
console.log(
  '| what | twin (median of 5) | baseline: Map.set per event (median of 5) | ratio |\n| --- | ---: | ---: | ---: |',
);
throughput();
console.log(
  '\n| VMs | heap used by the twin state | per VM | resident set of the process | check |\n| ---: | ---: | ---: | ---: | --- |',
);
for (const vms of [10_000, 100_000]) {
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, 'memory', String(vms)], {
    encoding: 'utf8',
  });
  process.stdout.write(child.stdout || child.stderr);
}
