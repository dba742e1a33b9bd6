import { alibabaCluster, parseAlibabaNodes, parseAlibabaPods, profileForShare } from './alibaba';
import { PlacementRules } from './constraints';

describe('Alibaba trace → vGPU cluster', () => {
  it('maps a GPU fraction to the smallest Q profile with that much framebuffer', () => {
    expect(profileForShare('V100-16GB', 0.46).shortName).toBe('8Q'); // 0.46 × 16 GB = 7.4 GB → 8 GB
    expect(profileForShare('V100-16GB', 0.23).shortName).toBe('4Q'); // 3.7 GB → 4 GB
    expect(profileForShare('T4', 0.81).shortName).toBe('16Q'); // 13 GB → the whole 16 GB
    expect(profileForShare('V100-32GB', 0.46).shortName).toBe('16Q'); // 14.7 GB of 32 → 16 GB
  });

  it('fills hosts first fit, one profile size per host, in creation order', () => {
    const nodes = parseAlibabaNodes('sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,2,V100M16\nn1,1,1,2,T4\n');
    const pods = parseAlibabaPods(
      [
        'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time',
        'p0,1,1,1,460,,LS,Running,0,9,0', // 8Q on n0
        'p1,1,1,1,470,,LS,Running,1,9,1', // 8Q: joins p0 on n0/gpu0
        'p2,1,1,1,230,,LS,Running,2,9,2', // 4Q: n0 is pinned to 8 GB, so the next empty host n1
        'p3,1,1,2,1000,,LS,Running,3,9,3', // 2 whole GPUs: n0/gpu1 is pinned to 8 GB, n1 to 4 GB → no room
        'p4,1,1,1,300,,LS,Failed,4,9,4', // not running: skipped
        'p5,1,1,0,0,,LS,Running,5,9,5', // no GPU: skipped
      ].join('\n'),
    );
    const r = alibabaCluster(nodes, pods, { workloads: ['w'], seed: 1 });
    expect(r.placedPods).toBe(3);
    expect(r.unplacedPods).toBe(1);
    expect(r.cluster.gpus.get('n0/gpu0')!.vms).toEqual(['p0', 'p1']);
    expect(r.cluster.gpus.get('n1/gpu0')!.vms).toEqual(['p2']);
    expect(r.cluster.vms.get('p2')!.profile).toBe('4Q');
    // every GPU of the result is a valid placement
    const rules = new PlacementRules(r.cluster);
    expect([...rules.hostLocks.values()].map((l) => l.mib)).toEqual([8192, 4096]);
  });

  it('names the file and field of a bad row', () => {
    expect(() => parseAlibabaNodes('sn,gpu,model\nn0,two,T4\n', 'nodes.csv')).toThrow(
      /nodes.csv: gpu of n0 'two'/,
    );
    expect(() => parseAlibabaPods('name,num_gpu\n', 'pods.csv')).toThrow(/pods.csv: missing column/);
  });
});
