import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createScenarioRun } from './engine';
import { parseScenario } from './parse';

const file = join(__dirname, 'examples', 'two-tenants.scenario.json');

describe('the README’s example scenario (examples/two-tenants.scenario.json)', () => {
  it('is the JSON the README shows, and a valid scenario', () => {
    const text = readFileSync(file, 'utf8');
    const readme = readFileSync(join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
    const shown =
      /```json\n(\{\n {2}"\$schema": "\.\/scenario\.schema\.json",\n {2}"name": "two-tenants"[\s\S]*?\n\})\n```/.exec(
        readme,
      )?.[1];
    expect(shown).toBeDefined();
    const { $schema: _a, ...fromReadme } = JSON.parse(shown!) as Record<string, unknown>;
    const { $schema: _b, ...fromFile } = JSON.parse(text) as Record<string, unknown>;
    expect(fromFile).toEqual(fromReadme);
    const scenario = parseScenario(text, file);
    expect(scenario.timeline.map((a) => a.action)).toEqual([
      'place',
      'phase',
      'framebuffer',
      'migrate',
      'policy',
      'remove',
    ]);
  });

  it('runs: each of its actions shows in the events at its time', () => {
    const run = createScenarioRun(parseScenario(readFileSync(file, 'utf8'), file), {
      startMs: 0,
      stepMs: 1000,
    });
    const types: string[] = [];
    while (!run.done) for (const e of run.tick().inventory) types.push(e.type);
    // place, migrate, policy and remove are inventory events; phase and framebuffer change only what the VMs do
    expect(types).toEqual(['vm.placed', 'vm.migrated', 'gpu.policy_changed', 'vm.removed']);
  });
});
