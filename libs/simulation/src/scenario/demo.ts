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
 * The demo's cluster with only its first incident: vm-002 runs a3c-train-heavy next to vm-001 from
 * `startS`, and goes back to what its inventory says (a data loader, no kernels) at `endS` (0:
 * never). For tests and benchmarks that need one interference incident and a calm cluster around it.
 */
export function demoIncident(window: { readonly startS: number; readonly endS: number }): Scenario {
  const base = demoScenario();
  const timeline: Scenario['timeline'] = [
    {
      atS: window.startS,
      action: 'phase',
      vm: 'vm-002',
      workload: 'a3c-train-heavy',
      note: 'the incident starts',
    },
  ];
  if (window.endS > 0)
    timeline.push({
      atS: window.endS,
      action: 'phase',
      vm: 'vm-002',
      workload: 'pcie-bound',
      note: 'the incident ends',
    });
  return validateScenario(
    { ...base, name: 'demo-incident', durationS: undefined, timeline },
    'demo-incident',
  );
}
