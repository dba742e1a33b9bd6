// Calibration table: each published figure (DESIGN.md) vs the simulation and the analytical model.
// Run: node bench/scheduler/run.mjs calibration
import {
  simulate,
  predict,
  fixed,
  WORKLOAD_PRESETS as W,
  type Workload,
  type Scenario,
} from '../../libs/scheduler/src/index';
const GB = 1024;
const pair = (a: Workload, b: Workload): Scenario => ({
  policy: 'best_effort',
  gpuFramebufferMib: 16 * GB,
  vms: [a, b].map((workload) => ({ framebufferMib: 8 * GB, workload })),
});
const cpu = (w: Workload, ms: number): Workload => (w.kind === 'active' ? { ...w, cpu: fixed(ms) } : w);
const row = (
  label: string,
  s: Scenario,
  i = 0,
  f: 'slowdown' | 'throughput' | 'share' = 'slowdown',
): void => {
  const a = simulate(s, { durationMs: 10_000, seed: 1 }).vms[i]![f];
  const b = predict(s).vms[i]![f];
  console.log(`${label} | ${a.toFixed(3)} | ${b.toFixed(3)}`);
};
for (const policy of ['best_effort', 'equal_share', 'fixed_share'] as const)
  row(
    `share ${policy}`,
    {
      policy,
      gpuFramebufferMib: 16 * GB,
      vms: [W['long-kernel'], W.idle, W.idle].map((workload) => ({ framebufferMib: 4 * GB, workload })),
    },
    0,
    'share',
  );
const alone = (policy: Scenario['policy'], w: Workload): Scenario => ({
  policy,
  gpuFramebufferMib: 16 * GB,
  vms: [{ framebufferMib: 8 * GB, workload: w }],
});
row('8Q alone BE spec thr', alone('best_effort', W['spec-accel']), 0, 'throughput');
row('8Q fixed spec thr', alone('fixed_share', W['spec-accel']), 0, 'throughput');
row('8Q fixed hpl thr', alone('fixed_share', W.hpl), 0, 'throughput');
row('short|long default', pair(W['short-kernel'], W['long-kernel']));
for (const c of [0.3, 0.02, 0.001])
  row(`short(cpu ${c})|long`, pair(cpu(W['short-kernel'], c), W['long-kernel']));
row('short|short default', pair(W['short-kernel'], W['short-kernel']));
row('short|short cpu 0.001', pair(cpu(W['short-kernel'], 0.001), cpu(W['short-kernel'], 0.001)));
row('long|short', pair(W['short-kernel'], W['long-kernel']), 1);
row('long|long', pair(W['long-kernel'], W['long-kernel']));
row('mem|mem', pair(W['memory-bound'], W['memory-bound']));
row('mem|long', pair(W['memory-bound'], W['long-kernel']));
row('short|mem', pair(W['short-kernel'], W['memory-bound']));
row('pcie|long', pair(W['pcie-bound'], W['long-kernel']));
row('pcie|pcie', pair(W['pcie-bound'], W['pcie-bound']));
