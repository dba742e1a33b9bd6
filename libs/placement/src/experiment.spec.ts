import { pairTable, runPlacementExperiment } from './experiment';

describe('runPlacementExperiment', () => {
  // given two workloads: "s" suffers 3× next to "l" (which is slowed 1.5×); same-type pairs 1.2×
  const truth = pairTable(['s', 'l'], (a, b) => (a === b ? 1.2 : a === 's' ? 3 : 1.5));
  const config = { gpus: 10, slots: 2, vms: 20, trials: 20, seed: 3 };

  it('the ideal pairs like with like and beats round robin; a perfect model equals the ideal', () => {
    const r = runPlacementExperiment(
      truth,
      [{ name: 'model', description: 'the truth itself', table: truth }],
      config,
    );
    const by = Object.fromEntries(r.policies.map((p) => [p.name, p]));
    expect(Object.keys(by)).toEqual(
      expect.arrayContaining([
        'round-robin',
        'random',
        'first-fit',
        'best-fit',
        'greedy',
        'local-search',
        'ideal',
        'model',
      ]),
    );
    expect(by['ideal']!.reductionVsRoundRobin).toBeGreaterThan(0);
    expect(by['model']!.meanSlowdown).toBeCloseTo(by['ideal']!.meanSlowdown, 12);
    expect(by['model']!.fractionOfIdealGain).toBeCloseTo(1, 12);
    expect(by['round-robin']!.reductionVsRoundRobin).toBe(0);
    // with only 2 workloads: a mixed pair costs 3 + 1.5 = 4.5, two like pairs 2.4 + 2.4 = 4.8 for
    // 4 VMs vs 4.5 + 4.5 = 9 mixed, so the ideal never mixes more than one pair
    expect(by['ideal']!.meanSlowdown).toBeLessThan(by['round-robin']!.meanSlowdown);
  });

  it('a model that ranks pairs backwards does worse than round robin', () => {
    const backwards = pairTable(['s', 'l'], (a, b) => (a === b ? 3 : 1));
    const r = runPlacementExperiment(
      truth,
      [{ name: 'model', description: 'inverted', table: backwards }],
      config,
    );
    const model = r.policies.find((p) => p.name === 'model')!;
    expect(model.reductionVsRoundRobin).toBeLessThan(0);
    expect(model.fractionOfIdealGain).toBeLessThan(0);
  });
});
