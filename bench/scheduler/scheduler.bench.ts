/**
 * Scheduler benchmark: simulated seconds per wall second (DES) for 2, 4, 8 and 16 vGPUs,
 * analytical predictions per second, and the analytical model's error against the simulation
 * over a grid of scenarios. Run: `node bench/scheduler/run.mjs` (compiles with tsc first).
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  createPredictionBuffer,
  predictInto,
  simulate,
  WORKLOAD_PRESETS,
  WORKLOAD_PRESET_NAMES,
  type Scenario,
  type Workload,
} from '../../libs/scheduler/src/index';
import type { SchedulingPolicy } from '../../libs/contracts/src/index';

const RUNS = 7;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// A mixed population, cycled: the DES cost depends on how many events the workloads make.
const MIX: Workload[] = [
  WORKLOAD_PRESETS['dl-train-cnn'],
  WORKLOAD_PRESETS['dl-infer-cnn'],
  WORKLOAD_PRESETS['short-kernel'],
  WORKLOAD_PRESETS['dl-train-transformer'],
  WORKLOAD_PRESETS['dl-infer-transformer'],
  WORKLOAD_PRESETS['memory-bound'],
  WORKLOAD_PRESETS['pcie-bound'],
  WORKLOAD_PRESETS['long-kernel'],
];
// 16 × 1Q on a 16 GB GPU is the densest time-sliced placement of the catalog's 16 GB boards.
const scenario = (n: number, policy: SchedulingPolicy = 'best_effort'): Scenario => ({
  policy,
  gpuFramebufferMib: 16384,
  vms: Array.from({ length: n }, (_, i) => ({ framebufferMib: 16384 / n, workload: MIX[i % MIX.length]! })),
});

const lines: string[] = [];
const out = (s = ''): void => {
  lines.push(s);
  console.log(s);
};

out(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, Node ${process.version}`);
out();
out(
  '| vGPUs | policy | wall ms per 10 simulated s (median of 7) | simulated s / wall s | events | GPU predictions/s (median of 7) | VM predictions/s | analytical speed-up vs simulation (same run) |',
);
out('|---:|---|---:|---:|---:|---:|---:|---:|');
for (const policy of ['best_effort', 'equal_share'] as const) {
  for (const n of [2, 4, 8, 16]) {
    const sc = scenario(n, policy);
    simulate(sc, { durationMs: 10_000, seed: 1 }); // warm-up
    const wall: number[] = [];
    let events = 0;
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      events = simulate(sc, { durationMs: 10_000, seed: r + 1 }).events;
      wall.push(performance.now() - t0);
    }
    const buf = createPredictionBuffer(16);
    const rates: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const N = 200_000;
      const t0 = performance.now();
      for (let k = 0; k < N; k++) predictInto(sc, buf);
      rates.push(N / ((performance.now() - t0) / 1000));
    }
    const w = median(wall);
    const rate = median(rates);
    // One prediction answers what one 10-s simulation answers.
    const speedup = (w / 1000) * rate;
    out(
      `| ${n} | ${policy} | ${w.toFixed(1)} | ${(10 / (w / 1000)).toFixed(0)} | ${events} | ${Math.round(rate).toLocaleString('en-US')} | ${Math.round(rate * n).toLocaleString('en-US')} | ${Math.round(speedup).toLocaleString('en-US')}× |`,
    );
  }
}

// Error grid: every ordered pair of presets (two 8Q VMs on a 16 GB GPU) under each policy, plus
// 4-VM (4Q) mixes. Error = |predicted − simulated| / simulated slowdown, per VM.
out();
out('Analytical model vs simulation (10 simulated s, seed 1), relative error of the slowdown per VM:');
out();
out('| grid (vGPU size) | scenarios | VMs | median error | 90th percentile | max error | worst case |');
out('|---|---:|---:|---:|---:|---:|---|');
const active = WORKLOAD_PRESET_NAMES.filter((n) => n !== 'idle');
for (const policy of ['best_effort', 'equal_share', 'fixed_share'] as const) {
  for (const size of [2, 4] as const) {
    const errs: { e: number; what: string }[] = [];
    let count = 0;
    const combos: string[][] = [];
    if (size === 2)
      for (const a of WORKLOAD_PRESET_NAMES) for (const b of WORKLOAD_PRESET_NAMES) combos.push([a, b]);
    else
      for (let i = 0; i < active.length; i++)
        combos.push([0, 3, 5, 7].map((d) => active[(i + d) % active.length]!));
    for (const names of combos) {
      const sc: Scenario = {
        policy,
        gpuFramebufferMib: 16384,
        // Fixed share on 4Q vGPUs, so part of the rotation is idle (the unassigned framebuffer).
        vms: names.map((nm) => ({
          framebufferMib: policy === 'fixed_share' && size === 2 ? 4096 : 16384 / size,
          workload: WORKLOAD_PRESETS[nm as keyof typeof WORKLOAD_PRESETS],
        })),
      };
      const sim = simulate(sc, { durationMs: 10_000, seed: 1 });
      const buf = predictInto(sc, createPredictionBuffer(size));
      count++;
      names.forEach((nm, i) => {
        if (nm === 'idle') return;
        const s = sim.vms[i]!.slowdown;
        errs.push({
          e: Math.abs(buf.slowdown[i]! - s) / s,
          what: `${nm} in [${names.join(', ')}]: sim ${s.toFixed(2)}, model ${buf.slowdown[i]!.toFixed(2)}`,
        });
      });
    }
    const es = errs.map((x) => x.e).sort((a, b) => a - b);
    const worst = errs.reduce((a, b) => (b.e > a.e ? b : a));
    out(
      `| ${policy}, ${size} VMs (${policy === 'fixed_share' && size === 2 ? '4Q' : size === 2 ? '8Q' : '4Q'}) | ${count} | ${errs.length} | ${(median(es) * 100).toFixed(1)}% | ${(es[Math.floor(es.length * 0.9)]! * 100).toFixed(1)}% | ${(worst.e * 100).toFixed(1)}% | ${worst.what} |`,
    );
  }
}
