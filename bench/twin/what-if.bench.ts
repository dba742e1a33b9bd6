/**
 * What-if benchmark: the twin's placement oracle (`whatIf`, libs/twin-core/src/what-if.ts) over
 * every GPU of the Alibaba topology (6,212 GPUs) filled from its pod list, folded into a twin
 * state from inventory events. DESIGN.md target: one answer over all GPUs in < 10 ms.
 * Two scenarios: the cluster as filled, and after churn with demand revealed by telemetry. Per
 * workload asked about: the first call (cold: the sets with the new VM are not memoised yet), then
 * the median and p90 of warm calls; the learned model (models/default/hybrid.json, where present)
 * against the scheduler model alone, both in the same run; and the model's cost per new set.
 *   SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register bench/twin/what-if.bench.ts
 * Env: WHATIF_PROFILE (8Q), WHATIF_WARM (30 calls a round), WHATIF_REPEATS (3 rounds), WHATIF_MODEL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { InventoryEvent, WorkloadFeatures } from '@vgpu-twin/contracts';
import { alibabaCluster, parseAlibabaNodes, parseAlibabaPods, type VmView } from '@vgpu-twin/placement';
import { mulberry32 } from '@vgpu-twin/scheduler';
import { syntheticFeatures } from '../placement/scale.bench';
import {
  defaultTwinConfig,
  initialState,
  predictionMemoStats,
  predictSet,
  step,
  whatIf,
  type LearnedModel,
  type TwinConfig,
  type TwinInput,
  type TwinState,
  type WhatIfAnswer,
} from '@vgpu-twin/twin-core';
import { loadModel } from '../../apps/twin/src/model-file';

const DIR = '../shared/data/alibaba-gpu-v2023';
const MODEL = process.env['WHATIF_MODEL'] ?? 'models/default/hybrid.json';
/** The new VM's vGPU type: 8Q is offered by every GPU model of the topology (T4, P100, V100, A10). */
const PROFILE = process.env['WHATIF_PROFILE'] ?? '8Q';
/** New VMs asked about: a short-kernel, a long-kernel and a mid workload of the synthetic set. */
const ASKED = ['mobilenet-bs16', 'gpt2-bs16', 'resnet50-bs32'];
/** Warms the code (not the memo of the asked workloads) before anything is timed. */
const WARMUP = 'bert-bs8';
const WARM = Number(process.env['WHATIF_WARM'] ?? 30);
const REPEATS = Number(process.env['WHATIF_REPEATS'] ?? 3);

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: readonly number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const r2 = (x: number) => Math.round(x * 100) / 100;

const TS = '2026-01-01T00:00:00.000Z';
const ev = <T extends InventoryEvent['type']>(id: string, type: T, data: unknown): InventoryEvent =>
  ({ id, type, version: 1, ts: TS, source: 'bench', data }) as InventoryEvent;

/** The filled Alibaba cluster as the inventory events the twin folds. */
export function inventoryEvents(features: Map<string, WorkloadFeatures>): {
  events: InventoryEvent[];
  churn: TwinInput[];
  gpus: number;
  vms: number;
  sharedGpus: number;
} {
  const nodes = parseAlibabaNodes(readFileSync(`${DIR}/openb_node_list_gpu_node.csv`, 'utf8'));
  const pods = parseAlibabaPods(readFileSync(`${DIR}/openb_pod_list_default.csv`, 'utf8'));
  const { cluster, sharedGpus } = alibabaCluster(nodes, pods, { workloads: [...features.keys()], seed: 1 });
  const events: InventoryEvent[] = [];
  for (const h of cluster.hosts.values())
    events.push(
      ev(`h-${h.hostId}`, 'host.registered', {
        hostId: h.hostId,
        clusterId: 'alibaba',
        cpuCores: 96,
        memoryMib: 786432,
        homogeneousProfiles: h.homogeneousProfiles,
      }),
    );
  for (const g of cluster.gpus.values())
    events.push(
      ev(`g-${g.gpuId}`, 'gpu.registered', {
        gpuId: g.gpuId,
        hostId: g.hostId,
        model: g.model,
        framebufferMib: g.framebufferMib,
        policy: 'best_effort',
        timeSliceMs: 1,
      }),
    );
  for (const [workload, f] of features)
    events.push(ev(`w-${workload}`, 'workload.profiled', { workload, features: f, soloProgressRate: 10 }));
  for (const vm of cluster.vms.values())
    events.push(
      ev(`p-${vm.vmId}`, 'vm.placed', {
        vmId: vm.vmId,
        gpuId: vm.gpuId,
        profile: vm.profile,
        framebufferMib: vm.framebufferMib,
        workload: vm.workload,
      }),
    );
  // A second scenario: the same cluster after churn (every second VM removed, so GPUs that were
  // full have room beside a co-runner) with demand revealed by telemetry (each remaining VM's
  // utilisation off its profile by a seeded factor in 0.6–1.4, three 1-Hz samples, no progress
  // signal): the twin's demand estimates give almost every VM distinct features, so the co-location
  // sets a what-if predicts are distinct too, as in a live cluster.
  const churn: TwinInput[] = [];
  const rng = mulberry32(7);
  const kept: VmView[] = [];
  [...cluster.vms.values()].forEach((vm, i) => {
    if (i % 2) churn.push(ev(`r-${vm.vmId}`, 'vm.removed', { vmId: vm.vmId, gpuId: vm.gpuId }));
    else kept.push(vm);
  });
  const factor = new Map(kept.map((vm) => [vm.vmId, 0.6 + 0.8 * rng()]));
  for (let t = 1; t <= 3; t++)
    for (const vm of kept) {
      const f = features.get(vm.workload)!;
      churn.push({
        id: `s-${vm.vmId}-${t}`,
        type: 'telemetry.vm_sample',
        version: 1,
        ts: new Date(Date.parse(TS) + t * 1000).toISOString(),
        source: 'bench',
        data: {
          vmId: vm.vmId,
          gpuId: vm.gpuId,
          gpuUtilPct: Math.min(100, f.gpuUtilPct * factor.get(vm.vmId)!),
          memUtilPct: f.memUtilPct,
          fbUsedMib: Math.round(vm.framebufferMib / 2),
          pcieRxMBps: f.pcieRxMBps,
          pcieTxMBps: f.pcieTxMBps,
          vcpuUtilPct: f.vcpuUtilPct ?? 10,
          vmMemUtilPct: f.vmMemUtilPct ?? 10,
          progressRate: null,
        },
      });
    }
  return { events, churn, gpus: cluster.gpus.size, vms: cluster.vms.size, sharedGpus };
}

/** Infeasible GPUs by their first reason, with the GPU- and host-specific parts blanked. */
function reasons(a: WhatIfAnswer): Record<string, number> {
  const by: Record<string, number> = {};
  for (const i of a.infeasible) {
    const k = i.reason
      .split('; ')[0]!
      .replace(/openb-node-\d+\/gpu\d+/g, '<gpu>')
      .replace(/openb-node-\d+/g, '<host>')
      .replace(/\d+(\.\d+)?/g, 'N');
    by[k] = (by[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(by).sort((x, y) => y[1] - x[1]));
}

export const hasData = (): boolean => existsSync(DIR);
export const MODEL_FILE = MODEL;

/** Folds the inventory into a twin state under `config` (each VM's `before` is that model's prediction). */
export function foldState(events: readonly TwinInput[], config: TwinConfig): TwinState {
  const state = initialState(config.dedupeWindow);
  for (const e of events) step(state, e, config);
  return state;
}

interface Arm {
  readonly name: string;
  readonly config: TwinConfig;
  readonly state: TwinState;
  readonly foldMs: number;
  readonly cold: Record<string, { ms: number; setsComputed: number; answer: WhatIfAnswer }>;
  readonly warm: Record<string, number[]>;
  readonly serialize: Record<string, number[]>;
}

/** One scenario: a state per arm (learned model, scheduler alone), cold and warm timings of each. */
function measure(events: readonly TwinInput[], configs: readonly { name: string; config: TwinConfig }[]) {
  const arms: Arm[] = configs.map(({ name, config }) => {
    const t0 = performance.now();
    const state = foldState(events, config);
    return { name, config, state, foldMs: performance.now() - t0, cold: {}, warm: {}, serialize: {} };
  });
  // JIT warm-up on a workload not asked about: the code is hot, the memo holds none of the asked sets.
  for (const a of arms)
    for (let i = 0; i < 5; i++) whatIf(a.state, a.config, { vm: { profile: PROFILE, workload: WARMUP } });
  const call = (a: Arm, workload: string) =>
    whatIf(a.state, a.config, { vm: { profile: PROFILE, workload } });
  // Cold: the first call per workload (every set with the new VM in it is computed once, then memoised).
  ASKED.forEach((w, k) => {
    for (const a of k % 2 ? [...arms].reverse() : arms) {
      const misses = predictionMemoStats.misses;
      const t0 = performance.now();
      const answer = call(a, w);
      a.cold[w] = { ms: performance.now() - t0, setsComputed: predictionMemoStats.misses - misses, answer };
    }
  });
  // Warm: rounds of WARM calls per workload and arm, the arms' order alternating between rounds.
  for (let r = 0; r < REPEATS; r++)
    for (const w of ASKED)
      for (const a of r % 2 ? [...arms].reverse() : arms) {
        const ts = (a.warm[w] ??= []);
        let answer: WhatIfAnswer | undefined;
        for (let i = 0; i < WARM; i++) {
          const t0 = performance.now();
          answer = call(a, w);
          ts.push(performance.now() - t0);
        }
        const t0 = performance.now();
        JSON.stringify(answer);
        (a.serialize[w] ??= []).push(performance.now() - t0);
      }
  const stats = (xs: number[]) => ({ median: r2(median(xs)), p90: r2(quantile(xs, 0.9)), runs: xs.length });
  const s0 = arms[0]!.state;
  const results = Object.fromEntries(
    arms.map((a) => [
      a.name,
      {
        foldMs: Math.round(a.foldMs),
        allWorkloadsWarmMs: stats(ASKED.flatMap((w) => a.warm[w]!)),
        workloads: Object.fromEntries(
          ASKED.map((w) => {
            const c = a.cold[w]!;
            const best = c.answer.candidates[0];
            return [
              w,
              {
                coldMs: r2(c.ms),
                coldSetsComputed: c.setsComputed,
                warmMs: stats(a.warm[w]!),
                jsonStringifyOfAnswerMs: r2(median(a.serialize[w]!)),
                feasibleGpus: c.answer.candidates.length,
                feasibleBesideCoRunners: c.answer.candidates.filter((x) => x.affected.length > 0).length,
                infeasibleGpus: c.answer.infeasible.length,
                predictedByLearnedModel: c.answer.candidates.filter((x) => !x.model.startsWith('scheduler@'))
                  .length,
                best: best ? `${best.gpuId} (slowdown ${best.predictedSlowdown}, cost ${best.cost})` : 'none',
                bestBesideCoRunner: ((x) =>
                  x
                    ? `${x.gpuId} (slowdown ${x.predictedSlowdown}, cost ${x.cost}, ${x.affected.length} co-runner(s))`
                    : 'none')(c.answer.candidates.find((x) => x.affected.length > 0)),
                whyInfeasible: reasons(c.answer),
              },
            ];
          }),
        ),
      },
    ]),
  );
  const ratio = (f: (a: Arm) => number) => r2(f(arms[0]!) / f(arms[1]!));
  return {
    vms: s0.vms.size,
    vmsWithRevealedDemand: [...s0.vms.values()].filter((v) => v.demandPct !== null).length,
    results,
    hybridOverScheduler:
      arms.length === 2
        ? {
            warmMedian: Object.fromEntries(ASKED.map((w) => [w, ratio((a) => median(a.warm[w]!))])),
            allWorkloadsWarmMedian: ratio((a) => median(ASKED.flatMap((w) => a.warm[w]!))),
            cold: Object.fromEntries(ASKED.map((w) => [w, ratio((a) => a.cold[w]!.ms)])),
          }
        : null,
  };
}

/**
 * What the memo hides: the model's cost per co-location set when every set is new (each member's
 * demand distinct), µs per `predictSet`, learned model against the scheduler alone, interleaved.
 */
function perSetMicros(features: Map<string, WorkloadFeatures>, model: LearnedModel | undefined) {
  const a = features.get('gpt2-bs16')!;
  const b = features.get('resnet50-bs32')!;
  const gpu = { policy: 'best_effort' as const, framebufferMib: 16384, timeSliceMs: 1 };
  let u = 0;
  const out: Record<string, unknown> = {};
  for (const n of [2, 4]) {
    const arms = [...(model ? [['hybrid', model] as const] : []), ['scheduler', undefined] as const];
    const us: Record<string, number[]> = {};
    // Round 0 warms the code and is not counted.
    for (let r = 0; r < 10; r++)
      for (const [name, m] of arms) {
        const t0 = performance.now();
        for (let i = 0; i < 300; i++) {
          const members = Array.from({ length: n }, (_, k) => ({
            framebufferMib: 16384 / n,
            features: { ...(k % 2 ? b : a), gpuUtilPct: 50 + ((u++ * 1e-4) % 40) },
          }));
          predictSet(gpu, members, m);
        }
        if (r > 0) (us[name] ??= []).push(((performance.now() - t0) / 300) * 1000);
      }
    out[`${n} VMs`] = {
      ...Object.fromEntries(arms.map(([name]) => [`${name}Us`, Math.round(median(us[name]!))])),
      ...(model ? { ratio: r2(median(us['hybrid']!) / median(us['scheduler']!)) } : {}),
    };
  }
  return out;
}

export function runWhatIf(log: (s: string) => void = console.log): unknown {
  if (!existsSync(DIR)) {
    log(`SKIP what-if benchmark: ${DIR} is absent (the shared data directory is not mounted)`);
    return null;
  }
  const features = syntheticFeatures();
  const inv = inventoryEvents(features);
  const hybrid = existsSync(MODEL) ? loadModel(MODEL).model : undefined;
  if (!hybrid) log(`NOTE: ${MODEL} is absent: the learned model is not measured, only the scheduler model`);
  const configs = [
    ...(hybrid ? [{ name: hybrid.name, config: { ...defaultTwinConfig, model: hybrid } }] : []),
    { name: 'scheduler', config: defaultTwinConfig },
  ];
  const scenarios = {
    'as filled': measure(inv.events, configs),
    'after churn, demand revealed': measure([...inv.events, ...inv.churn], configs),
  };
  const out = {
    machine: `${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, Node ${process.version}`,
    topology: { gpus: inv.gpus, vms: inv.vms, sharedGpus: inv.sharedGpus },
    newVm: { profile: PROFILE, workloads: ASKED, warmCallsPerRound: WARM, rounds: REPEATS },
    model: hybrid?.name ?? `absent (${MODEL}): scheduler model only`,
    targetMs: 10,
    scenarios,
    modelCostPerNewSet: perSetMicros(features, hybrid),
  };
  log(JSON.stringify(out, null, 2));
  return out;
}

if (require.main === module) runWhatIf();
