import { readFileSync } from 'node:fs';
import { parseAlibabaNodes } from '@vgpu-twin/placement';
import { validateScenario } from '@vgpu-twin/simulation';
import { defaultTwinConfig } from '@vgpu-twin/twin-core';
import { defaultModelPath, loadModel } from '../../apps/twin/src/model-file';
import { runTwin } from './run-twin';
const model = loadModel(defaultModelPath()).model;
const scenario = validateScenario(
  { name: 'a', seed: 7, durationS: 80, cluster: { alibaba: { gpus: 200, seed: 7, vmsPerGpu: [1, 4] } } },
  'a',
);
const run = runTwin(scenario, {
  config: { ...defaultTwinConfig, model },
  durationS: 80,
  run: {
    alibabaNodes: parseAlibabaNodes(
      readFileSync('../shared/data/alibaba-gpu-v2023/openb_node_list_gpu_node.csv', 'utf8'),
    ),
  },
});
const by = new Map<number, { h: number[]; s: number[]; t: number[]; demand: number }>();
const last = run.samples.filter((s) => s.elapsedS === 79 && s.observed !== null && s.predicted !== null);
for (const s of last) {
  const n = run.state.gpus.get(s.gpuId)!.vms.length;
  const e = by.get(n) ?? { h: [], s: [], t: [], demand: 0 };
  e.h.push(Math.abs(s.predicted! - s.observed!));
  e.s.push(Math.abs(s.scheduler! - s.observed!));
  e.t.push(Math.abs(s.predicted! - s.truth));
  if (run.state.vms.get(s.vmId)!.demandPct !== null) e.demand++;
  by.set(n, e);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
for (const [n, e] of [...by].sort())
  console.log(
    n,
    'VMs:',
    e.h.length,
    'hybrid',
    med(e.h).toFixed(3),
    p90(e.h).toFixed(3),
    'sched',
    med(e.s).toFixed(3),
    p90(e.s).toFixed(3),
    'demand-estimated',
    e.demand,
  );
// worst few
const worst = last
  .map((s) => ({ ...s, err: Math.abs(s.predicted! - s.observed!) }))
  .sort((a, b) => b.err - a.err)
  .slice(0, 8);
for (const w of worst) {
  const g = run.state.gpus.get(w.gpuId)!;
  console.log(
    w.vmId,
    run.state.vms.get(w.vmId)!.workload,
    'pred',
    w.predicted,
    'sched',
    w.scheduler,
    'obs',
    w.observed,
    'truth',
    w.truth.toFixed(2),
    'set',
    g.vms
      .map(
        (v) =>
          run.state.vms.get(v)!.workload +
          (run.state.vms.get(v)!.demandPct !== null ? '*' + run.state.vms.get(v)!.demandPct : ''),
      )
      .join(' + '),
    g.model,
  );
}
