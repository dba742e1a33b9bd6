import { demoScenario } from '@vgpu-twin/simulation';
import { loadModel, defaultModelPath } from '../apps/twin/src/model-file';
import { defaultTwinConfig } from '@vgpu-twin/twin-core';
import { runTwin } from '../bench/fidelity/run-twin';
const model = process.env.NOMODEL ? undefined : loadModel(defaultModelPath()).model;
const r = runTwin(demoScenario(), {
  config: { ...defaultTwinConfig, ...(model ? { model } : {}) },
  durationS: Number(process.env.DUR ?? 240),
});
for (const a of r.alerts)
  console.log(
    a.ts.slice(14, 19),
    a.type,
    a.data.kind,
    a.data.vmId,
    a.type === 'alert.raised' ? a.data.message.slice(0, 150) : '',
  );
for (const s of r.suggestions)
  console.log(
    s.ts.slice(14, 19),
    'suggest',
    s.data.vmId,
    s.data.fromGpuId,
    '->',
    s.data.toGpuId,
    s.data.gain,
  );
const at = (t: number) => r.samples.filter((s) => s.elapsedS === t);
for (const t of [15, 40, 100, 170, 230]) {
  console.log('t=' + t);
  for (const s of at(t))
    console.log(
      '  ',
      s.vmId,
      s.gpuId,
      'pred',
      s.predicted,
      'obs',
      s.observed,
      'truth',
      s.truth.toFixed(3),
      'sched',
      s.scheduler,
      'share',
      s.shareArithmetic,
    );
}
