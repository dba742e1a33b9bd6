import { IllegalStateError } from '@vgpu-twin/contracts';
import demo from './demo.scenario.json';
import { validateScenario } from './parse';
import type { Scenario } from './schema';

/**
 * The built-in demo (demo.scenario.json: a name of its own, since a resolver that tries .json before .ts would read ./demo as the JSON): 4 hosts × 2 V100-16GB under best effort and five incidents
 * within three minutes of event time; see the file's notes and demo.spec.ts for what the ground
 * truth does at each step.
 */
export function demoScenario(): Scenario {
  return validateScenario(demo, 'demo.scenario.json');
}

/**
 * The demo's cluster with only its first incident: the demo's first `phase` action (vm-002 turns
 * GPU-heavy next to vm-001) from `startS`, and back to what the VM's inventory says it runs at
 * `endS` (0: never). For tests and benchmarks that need one interference incident and a calm
 * cluster around it; it follows demo.scenario.json, whatever that makes the incident.
 */
export function demoIncident(window: { readonly startS: number; readonly endS: number }): Scenario {
  const base = demoScenario();
  const incident = base.timeline.find((a) => a.action === 'phase');
  if (incident?.action !== 'phase') throw new IllegalStateError('the demo scenario has no phase action');
  const placed =
    'alibaba' in base.cluster
      ? undefined
      : base.cluster.hosts.flatMap((h) => h.gpus.flatMap((g) => g.vms)).find((v) => v.vmId === incident.vm);
  if (!placed) throw new IllegalStateError(`the demo scenario does not place ${incident.vm}`);
  const timeline: Scenario['timeline'] = [{ ...incident, atS: window.startS, note: 'the incident starts' }];
  if (window.endS > 0)
    timeline.push({
      atS: window.endS,
      action: 'phase',
      vm: incident.vm,
      workload: placed.workload,
      note: 'the incident ends',
    });
  return validateScenario(
    { ...base, name: 'demo-incident', durationS: undefined, timeline },
    'demo-incident',
  );
}
