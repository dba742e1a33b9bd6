import { parseClusterSnapshot } from './cluster';

const snapshot = {
  clusterId: 'lab',
  hosts: [{ hostId: 'h1', homogeneousProfiles: true }],
  gpus: [{ gpuId: 'g1', hostId: 'h1', model: 'V100-16GB', framebufferMib: 16384, policy: 'best_effort' }],
  vms: [
    { vmId: 'b', gpuId: 'g1', profile: '8Q', framebufferMib: 8192, workload: 'w' },
    { vmId: 'a', gpuId: 'g1', profile: '8Q', framebufferMib: 8192, workload: 'w' },
  ],
  workloads: [
    { workload: 'w', features: { gpuUtilPct: 80, memUtilPct: 40, pcieRxMBps: 100, pcieTxMBps: 10 } },
  ],
};

describe('parseClusterSnapshot', () => {
  it('builds the cluster view with each GPU listing its VMs sorted, as the twin keeps them', () => {
    const p = parseClusterSnapshot(JSON.stringify(snapshot));
    expect(p.clusterId).toBe('lab');
    expect(p.cluster.gpus.get('g1')!.vms).toEqual(['a', 'b']);
    expect(p.workloads.get('w')!.gpuUtilPct).toBe(80);
  });

  it('names the file and the bad field', () => {
    expect(() => parseClusterSnapshot('{', 'c.json')).toThrow(/c.json: not JSON/);
    const badGpu = { ...snapshot, vms: [{ ...snapshot.vms[0], gpuId: 'gX' }] };
    expect(() => parseClusterSnapshot(JSON.stringify(badGpu), 'c.json')).toThrow(
      /c.json: vms.0.gpuId: unknown GPU 'gX'/,
    );
    const badPolicy = { ...snapshot, gpus: [{ ...snapshot.gpus[0], policy: 'fair' }] };
    expect(() => parseClusterSnapshot(JSON.stringify(badPolicy), 'c.json')).toThrow(/c.json: gpus.0.policy/);
  });
});
