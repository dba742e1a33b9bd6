import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '@vgpu-twin/contracts';
import Ajv2020 from 'ajv/dist/2020';
import demo from './demo.scenario.json';
import { parseScenario } from './parse';
import { scenarioJsonSchema, type ScenarioInput } from './schema';

/** A small valid scenario: one host, two V100s, three VMs. */
const base = (): ScenarioInput => ({
  name: 'small',
  cluster: {
    hosts: [
      {
        hostId: 'host-1',
        gpus: [
          {
            gpuId: 'gpu-a',
            vms: [
              { vmId: 'vm-1', profile: '8Q', workload: 'resnet50-train' },
              { vmId: 'vm-2', profile: '8Q', workload: 'a3c-train' },
            ],
          },
          { gpuId: 'gpu-b', vms: [{ vmId: 'vm-3', profile: '8Q', workload: 'recsys-infer' }] },
        ],
      },
    ],
  },
  timeline: [],
});

/** The ValidationError `parseScenario` throws for `value`, as `path: message` lines. */
function issuesOf(value: unknown, file = 'small.json'): string[] {
  try {
    parseScenario(JSON.stringify(value), file);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message.startsWith(`${file}: `)).toBe(true);
    return (e as ValidationError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('parsed without an error');
}

const withTimeline = (timeline: unknown[]) => ({ ...base(), timeline });

describe('parseScenario', () => {
  it('given a valid file, then it fills the defaults (V100-16GB, best effort, 1 ms slices, seed 42, progress on)', () => {
    const s = parseScenario(JSON.stringify(base()), 'small.json');
    expect(s.seed).toBe(42);
    expect(s.noise).toEqual({ util: 0.02, progress: 0.02, framebuffer: 0.01 });
    if ('alibaba' in s.cluster) throw new Error('expected a written-out cluster');
    expect(s.cluster.clusterId).toBe('sim-cluster');
    expect(s.cluster.hosts[0]!.gpus[0]).toMatchObject({
      model: 'V100-16GB',
      policy: 'best_effort',
      timeSliceMs: 1,
    });
    expect(s.cluster.hosts[0]!.gpus[0]!.vms[0]!.progress).toBe(true);
  });

  it('when the text is not JSON, then the error names the file', () => {
    expect(() => parseScenario('{ "name": ', 'broken.json')).toThrow(/^broken\.json: \(file\): is not JSON/);
  });

  it('when fields are missing, mistyped or unknown, then each bad path is named', () => {
    const bad = base() as Record<string, unknown>;
    delete bad['name'];
    bad['seeed'] = 1;
    const cluster = (bad['cluster'] as { hosts: { gpus: { vms: Record<string, unknown>[] }[] }[] }).hosts[0]!
      .gpus[0]!;
    cluster.vms[0]!['sloSlowdown'] = 0.5;
    delete cluster.vms[1]!['workload'];
    bad['timeline'] = [
      { atS: -1, action: 'remove', vm: 'vm-1' },
      { atS: 3, action: 'warp' },
      { atS: 4, action: 'phase', vm: 'vm-1', workload: 'x', atSec: 3 },
    ];
    expect(issuesOf(bad)).toEqual([
      'name: is required (string)',
      'cluster.hosts[0].gpus[0].vms[0].sloSlowdown: must be ≥ 1 (a slowdown)',
      'cluster.hosts[0].gpus[0].vms[1].workload: is required (string)',
      'timeline[0].atS: must be ≥ 0 (seconds after the start)',
      "timeline[1].action: Invalid discriminator value. Expected 'phase' | 'place' | 'framebuffer' | 'migrate' | 'remove' | 'policy'",
      'timeline[2].atSec: is not a field of the scenario format',
      'seeed: is not a field of the scenario format',
    ]);
  });

  it('when a cluster.alibaba is malformed, then the issues are those of the Alibaba form, not of the written-out one', () => {
    expect(issuesOf({ name: 'a', cluster: { alibaba: { gpus: 0, vmsPerGpu: [3, 2] } } })).toEqual([
      'cluster.alibaba.gpus: must be > 0',
      'cluster.alibaba.vmsPerGpu: must be [min, max] with min ≤ max',
    ]);
  });

  it('when ids repeat, models, profiles or workloads are unknown, or a GPU is over-committed, then the path is named', () => {
    const s = base() as {
      cluster: {
        hosts: {
          hostId: string;
          gpus: {
            gpuId: string;
            model?: string;
            vms: { vmId: string; profile: string; workload: string }[];
          }[];
        }[];
      };
    };
    const [a, b] = s.cluster.hosts[0]!.gpus;
    a!.vms.push({ vmId: 'vm-1', profile: '8Q', workload: 'bert-infer' }); // 3 × 8Q and a repeated id
    b!.gpuId = 'host-1';
    b!.vms[0]!.workload = 'doom-eternal';
    s.cluster.hosts[0]!.gpus.push(
      { gpuId: 'gpu-c', model: 'K80', vms: [] },
      { gpuId: 'gpu-d', vms: [{ vmId: 'vm-9', profile: '5Q', workload: 'idle' }] },
    );
    const issues = issuesOf(s);
    expect(issues).toEqual([
      "cluster.hosts[0].gpus[0].vms[2].vmId: 'vm-1' is already used by cluster.hosts[0].gpus[0].vms[0]",
      "cluster.hosts[0].gpus[1].gpuId: 'host-1' is already used by cluster.hosts[0]",
      expect.stringMatching(
        /^cluster\.hosts\[0\]\.gpus\[1\]\.vms\[0\]\.workload: unknown workload 'doom-eternal'; the catalogue has resnet50-train, /,
      ),
      expect.stringMatching(/^cluster\.hosts\[0\]\.gpus\[2\]\.model: unknown GPU model 'K80'/),
      "cluster.hosts[0].gpus[3].vms[0].profile: GPU V100-16GB has no vGPU type '5Q'; it offers 16Q, 8Q, 4Q, 2Q, 1Q, 16C, 8C, 4C",
      'cluster.hosts[0].gpus[0].vms: 3 vGPUs exceed the 2 that V100-8Q allows per GPU',
      "cluster.hosts[0].gpus[0].vms: 24576 MiB of vGPU framebuffer exceed the GPU's 16384 MiB",
    ]);
  });

  it('when a workload needs more framebuffer than its profile, or a host mixes sizes, then the path says so', () => {
    const s = base() as {
      cluster: { hosts: { gpus: { vms: { profile: string; workload: string }[] }[] }[] };
    };
    s.cluster.hosts[0]!.gpus[1]!.vms[0]!.profile = '4Q';
    s.cluster.hosts[0]!.gpus[1]!.vms[0]!.workload = 'transformer-train'; // 7000 MiB
    expect(issuesOf(s)).toEqual([
      'cluster.hosts[0].gpus[1].vms[0].workload: transformer-train uses 7000 MiB of framebuffer, more than the 4096 MiB of 4Q',
      'cluster.hosts[0].gpus[1].vms: host requires one profile size on every GPU: 4096 MiB here, 8192 MiB on gpus[0]',
    ]);
  });

  it('when the timeline names VMs and GPUs that do not exist at that time, then each action’s path is named', () => {
    expect(
      issuesOf(
        withTimeline([
          { atS: 5, action: 'remove', vm: 'vm-99' },
          { atS: 10, action: 'place', vm: 'vm-1', gpu: 'gpu-b', profile: '8Q', workload: 'bert-infer' },
          { atS: 20, action: 'remove', vm: 'vm-3' },
          { atS: 30, action: 'migrate', vm: 'vm-3', to: 'gpu-a' },
          { atS: 40, action: 'place', vm: 'vm-4', gpu: 'gpu-z', profile: '8Q', workload: 'bert-infer' },
          { atS: 50, action: 'migrate', vm: 'vm-2', to: 'gpu-a' },
          { atS: 60, action: 'policy', gpu: 'gpu-q', policy: 'equal_share' },
          { atS: 70, action: 'phase', vm: 'vm-5', workload: 'a3c-train-heavy' },
          { atS: 80, action: 'place', vm: 'vm-5', gpu: 'gpu-b', profile: '8Q', workload: 'bert-infer' },
          { atS: 90, action: 'framebuffer', vm: 'vm-1', toMib: 9000 },
          { atS: 95, action: 'place', vm: 'vm-6', gpu: 'gpu-a', profile: '8Q', workload: 'bert-infer' },
          { atS: 96, action: 'place', vm: 'vm-7', gpu: 'gpu-b', profile: '4Q', workload: 'bert-infer' },
        ]),
      ),
    ).toEqual([
      "timeline[0].vm: unknown VM 'vm-99'",
      "timeline[1].vm: VM 'vm-1' is already placed, on GPU gpu-a",
      "timeline[3].vm: VM 'vm-3' was removed at +20 s (timeline[2])",
      "timeline[4].gpu: unknown GPU 'gpu-z'",
      "timeline[5].to: VM 'vm-2' is already on GPU gpu-a",
      "timeline[6].gpu: unknown GPU 'gpu-q'",
      "timeline[7].vm: VM 'vm-5' is not placed until +80 s (timeline[8])",
      "timeline[9].toMib: 9000 MiB is more than the 8192 MiB of VM vm-1's 8Q",
      "timeline[10].profile: on GPU gpu-a: 3 vGPUs exceed the 2 that V100-8Q allows per GPU; 24576 MiB of vGPU framebuffer exceed the GPU's 16384 MiB",
      expect.stringMatching(
        /^timeline\[11\]\.profile: on GPU gpu-b: V100-4Q cannot share GPU V100-16GB with V100-8Q/,
      ),
    ]);
  });

  it('given an unsorted timeline, then it is checked in time order (ties in file order) and kept as written', () => {
    const timeline = [
      { atS: 30, action: 'migrate', vm: 'vm-4', to: 'gpu-a' },
      { atS: 10, action: 'remove', vm: 'vm-2' },
      { atS: 20, action: 'place', vm: 'vm-4', gpu: 'gpu-b', profile: '8Q', workload: 'bert-infer' },
    ];
    const s = parseScenario(JSON.stringify(withTimeline(timeline)), 'small.json');
    expect(s.timeline.map((a) => a.atS)).toEqual([30, 10, 20]);
  });

  it('given the demo file, then it parses', () => {
    expect(parseScenario(JSON.stringify(demo), 'demo.json').name).toBe('demo');
  });
});

describe('the scenario JSON Schema', () => {
  const file = join(__dirname, 'scenario.schema.json');

  it('is committed up to date in scenario.schema.json (rewritten when not: commit the new file)', () => {
    const schema = scenarioJsonSchema();
    let committed: unknown = null;
    try {
      committed = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // no file yet, or not JSON: write it
    }
    // Compared as JSON, not as bytes, so that Prettier may format the file.
    const fresh = JSON.stringify(committed) === JSON.stringify(schema);
    if (!fresh) writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
    expect(fresh ? 'up to date' : `${file} was out of date and has been rewritten; commit it`).toBe(
      'up to date',
    );
  });

  it('accepts the demo and refuses what the zod schema refuses', () => {
    const validate = new Ajv2020({ strict: false }).compile(scenarioJsonSchema());
    expect(validate(demo)).toBe(true);
    expect(validate({ ...demo, timeline: [{ atS: 1, action: 'warp' }] })).toBe(false);
    expect(validate({ ...demo, extra: 1 })).toBe(false);
  });
});
