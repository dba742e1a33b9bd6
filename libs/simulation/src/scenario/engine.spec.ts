import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEvent, type DomainEvent } from '@vgpu-twin/contracts';
import { parseAlibabaNodes, type AlibabaNode } from '@vgpu-twin/placement';
import { catalogueWorkload } from '../catalogue';
import { profileWorkload } from '../profile';
import { createGroundTruth } from '../truth';
import { buildCluster } from './cluster';
import { createScenarioRun, type ScenarioRunOptions } from './engine';
import { validateScenario } from './parse';
import type { ScenarioInput } from './schema';

const T0 = Date.UTC(2026, 0, 1);
// One second of simulated GPU time per co-location set keeps these tests fast; the demo's own
// spec uses the default.
const truth = createGroundTruth({ durationMs: 1000 });

const small = (extra: Partial<ScenarioInput> = {}): ScenarioInput => ({
  name: 'small',
  seed: 7,
  durationS: 6,
  cluster: {
    hosts: [
      {
        hostId: 'host-1',
        gpus: [
          {
            gpuId: 'gpu-a',
            vms: [
              { vmId: 'vm-1', profile: '8Q', workload: 'resnet50-train', sloSlowdown: 1.5 },
              { vmId: 'vm-2', profile: '8Q', workload: 'a3c-train', progress: false },
            ],
          },
          { gpuId: 'gpu-b', vms: [{ vmId: 'vm-3', profile: '8Q', workload: 'recsys-infer' }] },
        ],
      },
    ],
  },
  timeline: [
    { atS: 2, action: 'phase', vm: 'vm-2', workload: 'a3c-train-heavy' },
    { atS: 2, action: 'framebuffer', vm: 'vm-3', toMib: 7800, overS: 4 },
    { atS: 3, action: 'place', vm: 'vm-4', gpu: 'gpu-b', profile: '8Q', workload: 'resnet50-infer' },
    { atS: 4, action: 'remove', vm: 'vm-4' },
    { atS: 4, action: 'migrate', vm: 'vm-2', to: 'gpu-b' }, // after the removal: ties go in file order
    { atS: 5, action: 'policy', gpu: 'gpu-a', policy: 'equal_share', timeSliceMs: 2 },
  ],
  ...extra,
});

const runOf = (input: ScenarioInput, o: Partial<ScenarioRunOptions> = {}) =>
  createScenarioRun(validateScenario(input, 'small.json'), { startMs: T0, stepMs: 1000, truth, ...o });

/** The whole stream of a run as NDJSON: inventory, then every tick's inventory and telemetry. */
function stream(input: ScenarioInput, o: Partial<ScenarioRunOptions> = {}): string {
  const run = runOf(input, o);
  const events: DomainEvent[] = [...run.inventory()];
  while (!run.done) {
    const t = run.tick();
    events.push(...t.inventory, ...t.telemetry);
  }
  return events.map((e) => JSON.stringify(e)).join('\n');
}

describe('scenario engine', () => {
  it('given a scenario, then the inventory profiles every workload it mentions and registers hosts, GPUs and placements', () => {
    const inv = runOf(small()).inventory();
    expect(inv.map((e) => e.id)).toEqual([
      'sim:workload:resnet50-train',
      'sim:workload:a3c-train',
      'sim:workload:recsys-infer',
      'sim:workload:a3c-train-heavy', // phase targets too: what an operator profiled, alone
      'sim:workload:resnet50-infer',
      'sim:host:host-1',
      'sim:gpu:gpu-a',
      'sim:placed:vm-1',
      'sim:placed:vm-2',
      'sim:gpu:gpu-b',
      'sim:placed:vm-3',
    ]);
    expect(new Set(inv.map((e) => e.ts))).toEqual(new Set([new Date(T0).toISOString()]));
    const profiled = inv.find((e) => e.type === 'workload.profiled' && e.data.workload === 'resnet50-train')!;
    const expected = profileWorkload(catalogueWorkload('resnet50-train'), { seed: 7 });
    expect(profiled.data).toEqual({ workload: 'resnet50-train', ...expected });
    expect(inv.find((e) => e.id === 'sim:placed:vm-1')!.data).toEqual({
      vmId: 'vm-1',
      gpuId: 'gpu-a',
      profile: '8Q',
      framebufferMib: 8192,
      workload: 'resnet50-train',
      sloSlowdown: 1.5,
    });
    expect(inv.find((e) => e.id === 'sim:gpu:gpu-a')!.data).toMatchObject({
      model: 'V100-16GB',
      framebufferMib: 16384,
      policy: 'best_effort',
      timeSliceMs: 1,
    });
  });

  it('given the same scenario and seed, then the event stream is byte-identical; another seed gives other noise', () => {
    const a = stream(small());
    expect(stream(small())).toBe(a);
    expect(stream(small(), { seed: 8 })).not.toBe(a);
    // 11 at the start; ticks 0–5 sample 3, 3, 3, 4, 3, 3 VMs and 2 GPUs each; place, remove, migrate, policy
    expect(a.split('\n').length).toBe(11 + 19 + 6 * 2 + 4);
  });

  it('emits only valid contract events, with ids sim:<vm>:<tick> and event time start + tick × step', () => {
    const run = runOf(small(), { stepMs: 250 });
    const events: DomainEvent[] = [...run.inventory()];
    for (let i = 0; i < 30; i++) {
      const t = run.tick();
      events.push(...t.inventory, ...t.telemetry);
    }
    for (const e of events) expect(parseEvent(e)).toEqual({ ok: true, event: e });
    const vm1 = events.filter((e) => e.type === 'telemetry.vm_sample' && e.data.vmId === 'vm-1');
    expect(vm1.map((e) => e.id).slice(0, 3)).toEqual(['sim:vm-1:0', 'sim:vm-1:1', 'sim:vm-1:2']);
    expect(vm1[5]!.ts).toBe(new Date(T0 + 5 * 250).toISOString());
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('applies each action at the first tick at or after its time; placements, moves and policies are inventory, phases and growth are not', () => {
    const run = runOf(small(), { stepMs: 1500 }); // ticks at 0, 1.5, 3, 4.5, 6 s
    const ticks = Array.from({ length: 5 }, () => run.tick());
    expect(ticks.map((t) => t.applied.map((a) => a.action))).toEqual([
      [],
      [],
      ['phase', 'framebuffer', 'place'], // due at 2, 2 and 3 s
      ['remove', 'migrate'],
      ['policy'],
    ]);
    expect(ticks.map((t) => t.inventory.map((e) => e.id))).toEqual([
      [],
      [],
      ['sim:t2:place:vm-4'],
      ['sim:t3:remove:vm-4', 'sim:t4:migrate:vm-2'],
      ['sim:t5:policy:gpu-a'],
    ]);
    expect(ticks[3]!.inventory[1]!.data).toEqual({
      vmId: 'vm-2',
      fromGpuId: 'gpu-a',
      toGpuId: 'gpu-b',
      profile: '8Q',
      framebufferMib: 8192,
    });
    expect(ticks[4]!.inventory[0]!.data).toEqual({ gpuId: 'gpu-a', policy: 'equal_share', timeSliceMs: 2 });
    expect(ticks[4]!.ts).toBe(new Date(T0 + 6000).toISOString());
    // The inventory keeps the name vm-2 was placed with; it really runs the heavy phase.
    expect(
      run
        .gpus()
        .find((g) => g.gpuId === 'gpu-b')!
        .vms.map((v) => [v.vmId, v.workload, v.runs]),
    ).toEqual([
      ['vm-3', 'recsys-infer', 'recsys-infer'],
      ['vm-2', 'a3c-train', 'a3c-train-heavy'],
    ]);
    expect(run.gpus().find((g) => g.gpuId === 'gpu-a')).toMatchObject({
      policy: 'equal_share',
      timeSliceMs: 2,
    });
  });

  it('given no noise, then every sample is the ground truth of the GPU’s current set, read through the solo profiles', () => {
    const run = runOf(small({ noise: { util: 0, progress: 0, framebuffer: 0 } }));
    const t = run.tick(); // t = 0: resnet50-train + a3c-train on gpu-a, recsys-infer alone on gpu-b
    const [res, a3c] = truth.run({ policy: 'best_effort', framebufferMib: 16384, timeSliceMs: 1 }, [
      { framebufferMib: 8192, workload: 'resnet50-train' },
      { framebufferMib: 8192, workload: 'a3c-train' },
    ]);
    const sample = (vmId: string) => {
      const e = t.telemetry.find((x) => x.type === 'telemetry.vm_sample' && x.data.vmId === vmId);
      if (e?.type !== 'telemetry.vm_sample' || e.version !== 1) throw new Error(`no sample of ${vmId}`);
      return e.data;
    };
    const solo = profileWorkload(catalogueWorkload('resnet50-train'), { seed: 7 }).features;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    expect(sample('vm-1')).toEqual({
      vmId: 'vm-1',
      gpuId: 'gpu-a',
      gpuUtilPct: r2(100 * res!.share),
      memUtilPct: r2(100 * res!.share * 0.49), // resnet50-train's memory intensity
      fbUsedMib: 6200,
      pcieRxMBps: r2(solo.pcieRxMBps / res!.slowdown),
      pcieTxMBps: r2(solo.pcieTxMBps / res!.slowdown),
      vcpuUtilPct: r2(40 / res!.slowdown),
      vmMemUtilPct: 45,
      progressRate: Number((9.6 / res!.slowdown).toPrecision(4)),
    });
    expect(sample('vm-2').progressRate).toBeNull(); // progress: false
    expect(sample('vm-2').gpuUtilPct).toBe(r2(100 * a3c!.share));
    const gpuA = t.telemetry.find((x) => x.type === 'telemetry.gpu_sample' && x.data.gpuId === 'gpu-a')!;
    expect(gpuA.data).toMatchObject({
      gpuUtilPct: r2(sample('vm-1').gpuUtilPct + sample('vm-2').gpuUtilPct),
      fbUsedMib: 6200 + 1200,
      fbTotalMib: 16384,
    });
    expect(t.truth.find((v) => v.vmId === 'vm-1')).toMatchObject({
      slowdown: res!.slowdown,
      share: res!.share,
    });
  });

  it('given a framebuffer action, then the VM’s use grows linearly from what it used to the target, then stays', () => {
    const run = runOf(small({ noise: { util: 0, progress: 0, framebuffer: 0 } }));
    const fb = Array.from({ length: 8 }, () => run.tick().truth.find((v) => v.vmId === 'vm-3')!.fbUsedMib);
    // recsys-infer uses 1800 MiB; from +2 s it grows by (7800 − 1800) / 4 s = 1500 MiB/s
    expect(fb).toEqual([1800, 1800, 1800, 3300, 4800, 6300, 7800, 7800]);
  });

  it('given the scenario’s duration or none, then a run lasts it, or the last action + 60 s', () => {
    expect(runOf(small()).durationS).toBe(6);
    expect(runOf(small({ durationS: 6 })).durationS).toBe(6);
    const calm = runOf(
      small({ durationS: undefined, timeline: [{ atS: 30, action: 'remove', vm: 'vm-3' }] }),
    );
    expect(calm.durationS).toBe(90);
  });
});

describe('an Alibaba-sampled cluster', () => {
  const nodes: AlibabaNode[] = [
    { sn: 'n-0', gpus: 2, model: 'V100M16' },
    { sn: 'n-1', gpus: 8, model: 'G2' },
    { sn: 'n-2', gpus: 4, model: 'H800' }, // not in the model map: skipped, counted
    { sn: 'n-3', gpus: 2, model: 'T4' },
    { sn: 'n-4', gpus: 1, model: 'A10' },
  ];
  const scenario = (o: Record<string, unknown> = {}) =>
    validateScenario({ name: 'ali', cluster: { alibaba: { gpus: 4, seed: 3, ...o } } }, 'ali.json');

  it('given a GPU count, then whole nodes are drawn until it is reached, each host on one profile size', () => {
    const c = buildCluster(scenario(), { alibabaNodes: nodes });
    expect(c.gpus.length).toBeGreaterThanOrEqual(4);
    const hosts = c.hosts.map((h) => h.hostId);
    for (const h of hosts) {
      const n = nodes.find((x) => x.sn === h)!;
      expect(c.gpus.filter((g) => g.hostId === h)).toHaveLength(n.gpus); // whole nodes
      expect(
        new Set(c.gpus.filter((g) => g.hostId === h).flatMap((g) => g.vms.map((v) => v.profile))).size,
      ).toBeLessThanOrEqual(1);
    }
    expect(hosts).not.toContain('n-2');
    expect(c.notes).toContain("skipped 1 node(s) with 4 GPU(s) of unknown GPU model 'H800'");
    for (const g of c.gpus) {
      expect(g.vms.length).toBeGreaterThanOrEqual(1);
      expect(g.vms.length).toBeLessThanOrEqual(4);
      for (const v of g.vms) {
        expect(catalogueWorkload(v.workload).fbMib).toBeLessThanOrEqual(v.framebufferMib);
        expect(['short-kernel', 'long-kernel', 'memory-bound', 'idle']).not.toContain(v.workload); // no presets by default
      }
    }
    expect(buildCluster(scenario(), { alibabaNodes: nodes })).toEqual(c); // seeded
    expect(buildCluster(scenario({ seed: 4 }), { alibabaNodes: nodes })).not.toEqual(c);
  });

  it('when the sample cannot hold the count, the node list is missing, or the timeline names an unknown VM, then a ValidationError names the path', () => {
    expect(() => buildCluster(scenario({ gpus: 40 }), { alibabaNodes: nodes })).toThrow(
      /cluster\.alibaba\.gpus: asks for 40 GPUs; the node list has 13/,
    );
    expect(() => buildCluster(scenario())).toThrow(/cluster\.alibaba needs the Alibaba node list/);
    const withTimeline = validateScenario(
      {
        name: 'ali',
        cluster: { alibaba: { gpus: 2 } },
        timeline: [{ atS: 1, action: 'remove', vm: 'vm-99' }],
      },
      'ali.json',
    );
    expect(() => buildCluster(withTimeline, { alibabaNodes: nodes })).toThrow(
      /timeline\[0\]\.vm: unknown VM 'vm-99'/,
    );
  });

  const csv = join(__dirname, '../../../../../shared/data/alibaba-gpu-v2023/openb_node_list_gpu_node.csv');
  const haveCsv = existsSync(csv);
  if (!haveCsv) console.warn(`skipping the real-topology test: ${csv} is absent`);
  (haveCsv ? it : it.skip)(
    'given the real node list, then 200 GPUs of it run through the engine with valid events',
    () => {
      const real = parseAlibabaNodes(readFileSync(csv, 'utf8'));
      const s = validateScenario(
        {
          name: 'ali',
          cluster: {
            alibaba: { gpus: 200, seed: 7, workloads: ['resnet50-train', 'bert-infer', 'recsys-infer'] },
          },
        },
        'ali.json',
      );
      const run = createScenarioRun(s, { startMs: T0, stepMs: 1000, truth, alibabaNodes: real });
      expect(run.cluster.gpus.length).toBeGreaterThanOrEqual(200);
      expect(run.cluster.gpus.length).toBeLessThan(208); // whole nodes of at most 8 GPUs
      const events = [...run.inventory(), ...run.tick().telemetry];
      for (const e of events) expect(parseEvent(e).ok).toBe(true);
    },
  );
});
