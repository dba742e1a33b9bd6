import { PlacementSuggested } from '@vgpu-twin/contracts';
import { mulberry32 } from '@vgpu-twin/scheduler';
import type { SlowdownModel } from './cluster';
import { PlacementRules } from './constraints';
import { pairwiseSlowdownModel } from './models';
import { Scorer } from './score';
import { bestTargetsByScan, rankMoves, suggestMove, suggestionEventData, TargetIndex } from './suggest';
import { buildCluster } from './testing';

// Pair slowdowns: "short" suffers next to "long" (2.5×), everything else is mild (1.1×);
// more co-runners add their overheads (pairwiseSlowdownModel).
const PAIRS: Record<string, number> = { 'short|long': 2.5, 'long|short': 1.2 };
const model: SlowdownModel = pairwiseSlowdownModel((a, b) => PAIRS[`${a}|${b}`] ?? 1.1);

function fixture() {
  // given GPU g1 with victim v (short) next to aggressor x (long); g2 holds one short 8Q VM;
  // g3 is idle on a host pinned to 8 GB vGPUs; g4 is idle but on a host pinned to 4 GB
  return buildCluster({
    hosts: [{ id: 'h1' }, { id: 'h2' }, { id: 'h3' }],
    gpus: [
      { id: 'g1', host: 'h1' },
      { id: 'g2', host: 'h1' },
      { id: 'g3', host: 'h2' },
      { id: 'g4', host: 'h3' },
      { id: 'g5', host: 'h3' },
    ],
    vms: [
      { vmId: 'v', gpuId: 'g1', profile: '8Q', workload: 'short' },
      { vmId: 'x', gpuId: 'g1', profile: '8Q', workload: 'long' },
      { vmId: 's', gpuId: 'g2', profile: '8Q', workload: 'short' },
      { vmId: 'q', gpuId: 'g5', profile: '4Q', workload: 'short' },
    ],
  });
}

describe('suggestMove', () => {
  it('moves a VM of the pair to an idle GPU and reports every affected VM before and after', () => {
    const cluster = fixture();
    // when the twin raises an interference alert on v with aggressor x
    const s = suggestMove({ cluster, victimVmId: 'v', aggressorVmId: 'x', model });
    // then: before, g1 sums 2.5 (v next to x) + 1.2 (x next to v) = 3.7; moving either VM to the
    // idle g3 leaves 1 + 1 = 2 (gain 1.7 − 0.1 = 1.6); to g2 next to s it would add 1.1 + 1.1 − 1
    // for v (sum 3.2, worse) or 1.2 + 2.5 − 1 for x. Idle g3 wins; v and x tie at 1.6 → lower id 'v'.
    expect(s).not.toBeNull();
    expect(s!.vmId).toBe('v');
    expect(s!.role).toBe('victim');
    expect(s!.toGpuId).toBe('g3'); // g4 is idle too, but its host runs 4 GB vGPUs only
    expect(s!.gain).toBeCloseTo(1.6); // 3.7 − 2.0 − 0.1
    expect(s!.before).toEqual([
      { vmId: 'v', gpuId: 'g1', slowdown: 2.5 },
      { vmId: 'x', gpuId: 'g1', slowdown: 1.2 },
    ]);
    expect(s!.after).toEqual([
      { vmId: 'v', gpuId: 'g3', slowdown: 1 },
      { vmId: 'x', gpuId: 'g1', slowdown: 1 },
    ]);
    expect(s!.reason).toMatch(
      /Move victim VM v \(short\) from GPU g1 to GPU g3 \(an idle GPU\).*v 2\.50× → 1\.00×.*gain of 1\.60/,
    );
  });

  it('weighs the new neighbour: with only g2 free, the victim goes, since the aggressor would hurt s', () => {
    // given no idle GPU that takes 8Q: only g2 (next to another short VM) has room
    const base = fixture();
    const cluster = { ...base, gpus: new Map([...base.gpus].filter(([id]) => id !== 'g3')) };
    const s = suggestMove({ cluster, victimVmId: 'v', aggressorVmId: 'x', model });
    // then v → g2: g1 3.7 → 1 (x alone), g2 1 → 2.2 (two shorts at 1.1): gain 3.7 + 1 − 1 − 2.2 − 0.1 = 1.4
    //      x → g2: g1 3.7 → 1 (v alone), g2 1 → 2.5 + 1.2 = 3.7: gain 3.7 + 1 − 1 − 3.7 − 0.1 = −0.1
    expect(s!.vmId).toBe('v');
    expect(s!.toGpuId).toBe('g2');
    expect(s!.gain).toBeCloseTo(1.4);
  });

  it('suggests nothing when no move beats the migration cost', () => {
    const cluster = fixture();
    // x alone on an idle GPU saves 1.7; a migration cost of 2 makes every move a loss
    expect(
      suggestMove({ cluster, victimVmId: 'v', aggressorVmId: 'x', model, options: { migrationCost: 2 } }),
    ).toBeNull();
  });

  it('considers every co-runner when the alert names no aggressor', () => {
    const cluster = fixture();
    const s = suggestMove({ cluster, victimVmId: 'x', model });
    expect(s?.toGpuId).toBe('g3'); // x or v to g3, tie 1.6 → lower id 'v' (a co-runner)
    expect(s?.vmId).toBe('v');
    expect(s?.role).toBe('co-runner');
  });

  it('rejects an aggressor that is not on the victim GPU, and unknown VMs', () => {
    const cluster = fixture();
    expect(() => suggestMove({ cluster, victimVmId: 'v', aggressorVmId: 's', model })).toThrow(
      /not on the victim's GPU/,
    );
    expect(() => suggestMove({ cluster, victimVmId: 'nope', model })).toThrow(/victim VM 'nope'/);
  });

  it('gives a payload the placement.suggested schema accepts', () => {
    const s = suggestMove({ cluster: fixture(), victimVmId: 'v', aggressorVmId: 'x', model })!;
    const data = suggestionEventData(s, { suggestionId: 'sg-1', clusterId: 'c1', alertId: 'al-1' });
    const event = {
      id: 'e1',
      type: 'placement.suggested',
      version: 1,
      ts: '2026-01-01T00:00:00Z',
      source: 'twin',
      data,
    };
    expect(PlacementSuggested.safeParse(event).success).toBe(true);
  });
});

describe('rankMoves', () => {
  it('lists targets best first, one idle GPU per class, ties by GPU id', () => {
    const moves = rankMoves(fixture(), 'x', model, { limit: 3 });
    // x → idle g3: g1 3.7 → 1, +1 on g3: gain 1.6; x → g2 next to s: gain −0.1 (see above)
    expect(moves.map((m) => [m.toGpuId, Math.round(m.gain * 100) / 100])).toEqual([
      ['g3', 1.6],
      ['g2', -0.1],
    ]);
  });
});

describe('TargetIndex', () => {
  it('finds the same best targets as testing every GPU (random clusters, 40 seeds × every VM)', () => {
    const workloads = ['a', 'b', 'c', 'd'];
    const pair = (x: string, y: string) => 1 + ((x.charCodeAt(0) * 7 + y.charCodeAt(0) * 13) % 10) / 10;
    let compared = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rng = mulberry32(seed);
      const hosts = Array.from({ length: 6 }, (_, i) => ({ id: `h${i}`, homogeneous: rng() < 0.7 }));
      const gpus = hosts.flatMap((h, i) =>
        Array.from({ length: 3 }, (_, j) => ({
          id: `g${i}-${j}`,
          host: h.id,
          model: rng() < 0.3 ? 'T4' : 'V100-16GB',
        })),
      );
      // each host picks one size (homogeneous) or per GPU (mixed); GPUs fill at random
      const vms: { vmId: string; gpuId: string; profile: string; workload: string }[] = [];
      for (const h of hosts) {
        let size = ['4Q', '8Q', '16Q'][Math.floor(rng() * 3)]!;
        for (const g of gpus.filter((x) => x.host === h.id)) {
          if (!h.homogeneous) size = ['4Q', '8Q', '16Q'][Math.floor(rng() * 3)]!;
          const max = 16 / Number(size.slice(0, -1));
          const n = Math.floor(rng() * (max + 1));
          for (let k = 0; k < n; k++) {
            vms.push({
              vmId: `${g.id}-v${k}`,
              gpuId: g.id,
              profile: size,
              workload: workloads[Math.floor(rng() * 4)]!,
            });
          }
        }
      }
      const cluster = buildCluster({ hosts, gpus, vms });
      const rules = new PlacementRules(cluster);
      const scorer = new Scorer(cluster, pairwiseSlowdownModel(pair));
      const index = new TargetIndex(rules, scorer);
      for (const v of cluster.vms.values()) {
        const fast = index.bestTargets(v, 1)[0];
        const slow = bestTargetsByScan(rules, scorer, v, 1)[0];
        expect(fast === undefined).toBe(slow === undefined);
        if (!fast || !slow) continue;
        expect(fast.delta).toBeCloseTo(slow.delta, 12);
        // the scan sorts ties by id too, and the index keeps the lowest-id idle GPU per class
        expect(fast.gpu.gpuId).toBe(slow.gpu.gpuId);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
  });
});
