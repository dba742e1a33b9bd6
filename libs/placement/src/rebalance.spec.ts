import type { SlowdownModel } from './cluster';
import { pairwiseSlowdownModel } from './models';
import { planRebalance } from './rebalance';
import { buildCluster } from './testing';

const PAIRS: Record<string, number> = { 'short|long': 2.5, 'long|short': 1.2 };
const model: SlowdownModel = pairwiseSlowdownModel((a, b) => PAIRS[`${a}|${b}`] ?? 1.1);

describe('planRebalance', () => {
  // given two mixed pairs (short next to long) on g1 and g2, and g3 idle, all on 8Q hosts
  const cluster = buildCluster({
    hosts: [{ id: 'h1' }, { id: 'h2' }],
    gpus: [
      { id: 'g1', host: 'h1' },
      { id: 'g2', host: 'h1' },
      { id: 'g3', host: 'h2' },
    ],
    vms: [
      { vmId: 's1', gpuId: 'g1', profile: '8Q', workload: 'short' },
      { vmId: 'l1', gpuId: 'g1', profile: '8Q', workload: 'long' },
      { vmId: 's2', gpuId: 'g2', profile: '8Q', workload: 'short' },
      { vmId: 'l2', gpuId: 'g2', profile: '8Q', workload: 'long' },
    ],
  });

  it('moves one VM per step, each the best of the state left by the last, until no move pays', () => {
    const plan = planRebalance(cluster, model, { maxMoves: 5 });
    // step 1: l1 or s1 to idle g3: g1 3.7 → 1, g3 0 → 1: gain 1.7 − 0.1 = 1.6 (ties: lowest id, 'l1')
    // step 2: s1 (now alone on g1) is fine; g2 still 3.7: s2 → g1 next to s1: 3.7 + 1 → 1 + 2.2,
    //         gain 1.5 − 0.1 = 1.4 (l2 → g3 next to l1 also 3.7 + 1 → 1 + 2.2: tie → 'l2' < 's2')
    // step 3: nothing left to gain (every GPU holds like with like)
    expect(plan.moves.map((m) => [m.vmId, m.toGpuId])).toEqual([
      ['l1', 'g3'],
      ['l2', 'g3'],
    ]);
    expect(plan.moves.map((m) => Math.round(m.gain * 100) / 100)).toEqual([1.6, 1.4]);
    expect(plan.gain).toBeCloseTo(3.0);
  });

  it('stops at maxMoves', () => {
    expect(planRebalance(cluster, model, { maxMoves: 1 }).moves).toHaveLength(1);
    expect(planRebalance(cluster, model, { maxMoves: 0 }).moves).toHaveLength(0);
  });
});
