/**
 * Fidelity: how close the twin's predictions come to what the VMs really do, when the truth is
 * libs/scheduler's discrete-event simulation of each GPU's set (libs/simulation) and the twin sees
 * only profiles and telemetry. Per VM, the mean |predicted − observed| slowdown over its steady
 * state (≥ 30 s of event time after the last change on its GPU), for the share arithmetic, the
 * scheduler model alone and the hybrid; then the median and p90 over VMs. VMs that run something
 * other than their profile (a `phase` action) are left out of the error: that is drift's case. Also the demo's
 * incidents with their detection delay, and alerts on untouched VMs over 30 minutes after them.
 *   SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register bench/fidelity/fidelity.bench.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseAlibabaNodes } from '@vgpu-twin/placement';
import { demoScenario, validateScenario, type Scenario } from '@vgpu-twin/simulation';
import { defaultTwinConfig } from '@vgpu-twin/twin-core';
import { defaultModelPath, loadModel } from '../../apps/twin/src/model-file';
import { runTwin, type TwinRun } from './run-twin';

const STEADY_S = 30;
const NODES = '../shared/data/alibaba-gpu-v2023/openb_node_list_gpu_node.csv';

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

interface Errors {
  readonly vms: number;
  readonly samples: number;
  readonly shareArithmetic: { median: number; p90: number };
  readonly scheduler: { median: number; p90: number };
  readonly hybrid: { median: number; p90: number };
}

/** Per-VM mean absolute error over its steady-state samples, summarised over VMs. */
function steadyErrors(run: TwinRun): Errors {
  const lastChange = (gpuId: string, t: number) =>
    Math.max(0, ...run.changes.filter((c) => c.gpuId === gpuId && c.elapsedS <= t).map((c) => c.elapsedS));
  const per = new Map<string, { share: number[]; sched: number[]; hybrid: number[] }>();
  let samples = 0;
  for (const s of run.samples) {
    if (s.observed === null || s.predicted === null || s.scheduler === null || s.shareArithmetic === null)
      continue;
    if (s.elapsedS - lastChange(s.gpuId, s.elapsedS) < STEADY_S) continue;
    // A VM running something other than its profile (the demo's batch-size change) is drift's
    // case, not the model's: no model can know a change nobody profiled.
    if (!s.asProfiled) continue;
    const e = per.get(s.vmId) ?? { share: [], sched: [], hybrid: [] };
    e.share.push(Math.abs(s.shareArithmetic - s.observed));
    e.sched.push(Math.abs(s.scheduler - s.observed));
    e.hybrid.push(Math.abs(s.predicted - s.observed));
    per.set(s.vmId, e);
    samples++;
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sum = (k: 'share' | 'sched' | 'hybrid') => {
    const xs = [...per.values()].map((e) => mean(e[k]));
    return { median: r4(quantile(xs, 0.5)), p90: r4(quantile(xs, 0.9)) };
  };
  return {
    vms: per.size,
    samples,
    shareArithmetic: sum('share'),
    scheduler: sum('sched'),
    hybrid: sum('hybrid'),
  };
}

function main(): void {
  const model = loadModel(defaultModelPath()).model;
  const config = { ...defaultTwinConfig, model };
  const out: Record<string, unknown> = { machine: cpus()[0]?.model ?? 'unknown', model: model.name };

  // (i) the demo, through the incidents and 30 minutes past them
  const t0 = Date.now();
  const demo = runTwin(demoScenario(), { config, durationS: 180 + 30 * 60 });
  const raised = demo.alerts.filter((a) => a.type === 'alert.raised');
  const first = (kind: string, vmId: string) =>
    raised.find((a) => a.data.kind === kind && a.data.vmId === vmId);
  const at = (ts: string) => (Date.parse(ts) - Date.UTC(2026, 2, 1)) / 1000;
  const incidents = [
    { id: 'a interference', alert: first('interference', 'vm-001'), startS: 20 },
    { id: 'b predicted_interference', alert: first('predicted_interference', 'vm-013'), startS: 45 },
    { id: 'b confirmed', alert: first('interference', 'vm-013'), startS: 45 },
    { id: 'c drift', alert: first('drift', 'vm-011'), startS: 60 },
    { id: 'd framebuffer', alert: first('framebuffer', 'vm-007'), startS: 116 },
  ].map((i) => ({
    incident: i.id,
    detected: !!i.alert,
    delaySamples: i.alert ? at(i.alert.ts) - i.startS : null,
  }));
  const resolvedA = demo.alerts.find(
    (a) => a.type === 'alert.resolved' && a.data.kind === 'interference' && a.data.vmId === 'vm-001',
  );
  incidents.push({
    incident: 'e resolved after the move',
    detected: !!resolvedA,
    delaySamples: resolvedA ? at(resolvedA.ts) - 130 : null,
  });
  const involved = new Set(['vm-001', 'vm-002', 'vm-004', 'vm-007', 'vm-011', 'vm-013']);
  const after = raised.filter((a) => at(a.ts) > 180);
  out['demo'] = {
    seconds: Math.round((Date.now() - t0) / 1000),
    errors: steadyErrors(demo),
    incidents,
    alertsOnUntouchedVms: raised.filter((a) => !involved.has(a.data.vmId)).length,
    alertsAfterTheIncidents30min: after.length,
  };

  // (ii) 200 GPUs of the Alibaba topology, 1–4 catalogue workloads each
  if (!existsSync(NODES)) out['alibaba'] = `skipped: ${NODES} is absent`;
  else {
    const t1 = Date.now();
    const scenario: Scenario = validateScenario(
      {
        name: 'alibaba-200',
        seed: 7,
        durationS: 120,
        cluster: { alibaba: { gpus: 200, seed: 7, vmsPerGpu: [1, 4] } },
      },
      'alibaba-200',
    );
    const run = runTwin(scenario, {
      config,
      durationS: 120,
      run: { alibabaNodes: parseAlibabaNodes(readFileSync(NODES, 'utf8')) },
    });
    out['alibaba'] = {
      seconds: Math.round((Date.now() - t1) / 1000),
      gpus: run.state.gpus.size,
      vms: run.state.vms.size,
      errors: steadyErrors(run),
    };
  }
  console.log(JSON.stringify(out, null, 2));
}

main();
