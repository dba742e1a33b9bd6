import { moveIssues, PlacementRules } from './constraints';
import { buildCluster } from './testing';

// given homogeneous h1 with an 8Q pair on g1 and an idle g2, homogeneous h3 with a 4Q on g3, and
// h2 (mixed sizes allowed) with a T4 running two 4Q VMs, a V100 under equal share with one 8Q and an idle V100
const cluster = buildCluster({
  hosts: [{ id: 'h1' }, { id: 'h2', homogeneous: false }, { id: 'h3' }],
  gpus: [
    { id: 'g1', host: 'h1' },
    { id: 'g2', host: 'h1' },
    { id: 'g3', host: 'h3' },
    { id: 't4', host: 'h2', model: 'T4' },
    { id: 'g5', host: 'h2', policy: 'equal_share' },
    { id: 'g6', host: 'h2' },
  ],
  vms: [
    { vmId: 'a', gpuId: 'g1', profile: '8Q', workload: 'w1' },
    { vmId: 'b', gpuId: 'g1', profile: '8Q', workload: 'w2' },
    { vmId: 'c', gpuId: 'g3', profile: '4Q', workload: 'w1' },
    { vmId: 'd', gpuId: 'g5', profile: '8Q', workload: 'w3' },
    { vmId: 'e', gpuId: 't4', profile: '4Q', workload: 'w3', requires: { models: ['T4'] } },
    { vmId: 'f', gpuId: 't4', profile: '4Q', workload: 'w3', requires: { policy: 'best_effort' } },
  ],
});
const vm = (id: string) => cluster.vms.get(id)!;
const gpu = (id: string) => cluster.gpus.get(id)!;
const codes = (v: string, g: string) => moveIssues(cluster, vm(v), gpu(g)).map((i) => i.code);

describe('placement constraints', () => {
  it('lets an 8Q VM join a GPU with one 8Q (V100-8Q allows 2 per GPU)', () => {
    expect(codes('d', 'g2')).toEqual([]); // g2 is empty on h1, whose GPUs all run 8 GB vGPUs
  });

  it('refuses a third 8Q on a GPU: capacity 2 per V100-16GB, and 3 × 8 GB > 16 GB', () => {
    expect(codes('d', 'g1')).toEqual(['capacity', 'framebuffer']);
  });

  it('refuses to mix vGPU types on one GPU', () => {
    // an 8Q next to the 4Q on g3: 2 vGPUs are within both types' limits and 8 + 4 GB ≤ 16 GB,
    // so the one-type-per-GPU rule objects, and h3's GPUs all run 4 GB vGPUs
    expect(codes('d', 'g3')).toEqual(['mixed-type', 'host-homogeneity']);
  });

  it('keeps a homogeneous host on one profile size, but not a mixed-size host', () => {
    // given a host whose GPUs run 8Q only
    const h = buildCluster({
      hosts: [{ id: 'h1' }, { id: 'h2', homogeneous: false }],
      gpus: [
        { id: 'g1', host: 'h1' },
        { id: 'g2', host: 'h1' },
        { id: 'g3', host: 'h2' },
        { id: 'g4', host: 'h2' },
        { id: 'src', host: 'h2' },
      ],
      vms: [
        { vmId: 'x', gpuId: 'g1', profile: '8Q', workload: 'w' },
        { vmId: 'y', gpuId: 'g3', profile: '8Q', workload: 'w' },
        { vmId: 'small', gpuId: 'src', profile: '4Q', workload: 'w' },
      ],
    });
    const small = h.vms.get('small')!;
    // then a 4Q may not go to the idle g2 of the 8Q host h1, but may go to the idle g4 of h2
    expect(moveIssues(h, small, h.gpus.get('g2')!).map((i) => i.code)).toEqual(['host-homogeneity']);
    expect(moveIssues(h, small, h.gpus.get('g4')!)).toEqual([]);
  });

  it("checks the VM's own model and policy requirements", () => {
    expect(codes('e', 'g6')).toEqual(['model']); // e requires a T4; the idle g6 is a V100-16GB
    expect(codes('f', 'g5')).toContain('policy'); // f requires best effort; g5 runs equal share
  });

  it('refuses an unknown GPU model and a type the model lacks', () => {
    const h = buildCluster({
      hosts: [{ id: 'h', homogeneous: false }],
      gpus: [
        { id: 'x', host: 'h', model: 'Z9000' },
        { id: 'a100', host: 'h', model: 'A100-80GB' },
        { id: 'src', host: 'h' },
      ],
      vms: [{ vmId: 'q', gpuId: 'src', profile: '8Q', workload: 'w' }],
    });
    const q = h.vms.get('q')!;
    expect(moveIssues(h, q, h.gpus.get('x')!).map((i) => i.code)).toEqual(['unknown-model']);
    // A100-80GB has only C types in the catalog, so no 8Q
    expect(moveIssues(h, q, h.gpus.get('a100')!).map((i) => i.code)).toEqual(['profile']);
  });

  it('agrees with the fast check on every VM × GPU of the fixture', () => {
    const rules = new PlacementRules(cluster);
    for (const v of cluster.vms.values()) {
      for (const g of cluster.gpus.values()) {
        if (g.gpuId === v.gpuId) continue;
        expect([v.vmId, g.gpuId, rules.fits(v, g)]).toEqual([
          v.vmId,
          g.gpuId,
          moveIssues(cluster, v, g).length === 0,
        ]);
      }
    }
  });
});
