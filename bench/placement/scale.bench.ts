/**
 * Scale benchmark: the Alibaba topology (6,212 GPUs) filled from its pod list; one suggestion
 * (median of many) and a bounded rebalance plan (median of ≥ 5).
 *   SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register bench/placement/scale.bench.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { WorkloadFeatures } from '@vgpu-twin/contracts';
import { generateSynthetic } from '@vgpu-twin/interference';
import {
  alibabaCluster,
  analyticSlowdownModel,
  parseAlibabaNodes,
  parseAlibabaPods,
  planRebalance,
  suggestMove,
  type SlowdownModel,
} from '@vgpu-twin/placement';

const DIR = '../shared/data/alibaba-gpu-v2023';

export interface ScaleResult {
  readonly machine: string;
  readonly gpus: number;
  readonly vms: number;
  readonly placedPods: number;
  readonly unplacedPods: number;
  readonly sharedGpus: number;
  readonly suggestMs: { median: number; p90: number; runs: number };
  readonly rebalanceMs: { median: number; runs: number; moves: number; gain: number };
  readonly example: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** Every profile column of the synthetic workloads as the twin's features (so a hybrid can read them all). */
export function syntheticFeatures(): Map<string, WorkloadFeatures> {
  const g = generateSynthetic({ seed: 1, durationMs: 50 });
  const c = g.profiles.columns;
  const col = (row: readonly number[], name: string) => row[c.indexOf(name)]!;
  return new Map(
    [...g.profiles.rows].map(([name, row]) => [
      name,
      {
        gpuUtilPct: Math.min(100, col(row, 'gpu_util')),
        memUtilPct: Math.min(100, col(row, 'mem_util')),
        fbMib: col(row, 'fb_mib'),
        pcieRxMBps: col(row, 'pcie_rx_mbps'),
        pcieTxMBps: col(row, 'pcie_tx_mbps'),
        vcpuUtilPct: Math.min(100, col(row, 'vcpu_util')),
        vmMemUtilPct: Math.min(100, col(row, 'vm_mem_util')),
        threadsPerKernel: col(row, 'threads_per_kernel'),
        kernelMs: col(row, 'kernel_ms'),
        longKernelMs: col(row, 'long_kernel_ms'),
        longShortRatio: col(row, 'long_short_ratio'),
      },
    ]),
  );
}

export function runScale(log: (s: string) => void = console.log): ScaleResult | null {
  if (!existsSync(DIR)) {
    log(`SKIP scale benchmark: ${DIR} is absent (the shared data directory is not mounted)`);
    return null;
  }
  const features = syntheticFeatures();
  const nodes = parseAlibabaNodes(readFileSync(`${DIR}/openb_node_list_gpu_node.csv`, 'utf8'));
  const pods = parseAlibabaPods(readFileSync(`${DIR}/openb_pod_list_default.csv`, 'utf8'));
  const filled = alibabaCluster(nodes, pods, { workloads: [...features.keys()], seed: 1 });
  const { cluster } = filled;
  log(
    `Alibaba: ${cluster.gpus.size} GPUs on ${cluster.hosts.size} hosts, ${cluster.vms.size} VMs from ${filled.placedPods} running pods ` +
      `(${filled.unplacedPods} found no room), ${filled.sharedGpus} GPUs shared`,
  );
  const model: SlowdownModel = analyticSlowdownModel((w) => features.get(w));
  // Alerts: victims on shared GPUs, aggressor = a co-runner; cycle through them.
  const shared = [...cluster.gpus.values()].filter((g) => g.vms.length >= 2);
  const times: number[] = [];
  let example = '';
  const runs = Math.min(200, shared.length);
  for (let i = 0; i < runs; i++) {
    const g = shared[(i * 7919) % shared.length]!;
    const t0 = performance.now();
    const s = suggestMove({ cluster, victimVmId: g.vms[0]!, aggressorVmId: g.vms[1]!, model });
    times.push(performance.now() - t0);
    if (i === 0) example = s?.reason ?? 'no move gains';
  }
  const plans: number[] = [];
  let last = { moves: 0, gain: 0 };
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const plan = planRebalance(cluster, model, { maxMoves: 50 });
    plans.push(performance.now() - t0);
    last = { moves: plan.moves.length, gain: plan.gain };
  }
  const res: ScaleResult = {
    machine: cpus()[0]?.model ?? 'unknown',
    gpus: cluster.gpus.size,
    vms: cluster.vms.size,
    placedPods: filled.placedPods,
    unplacedPods: filled.unplacedPods,
    sharedGpus: filled.sharedGpus,
    suggestMs: { median: median(times), p90: quantile(times, 0.9), runs },
    rebalanceMs: { median: median(plans), runs: plans.length, ...last },
    example,
  };
  log(JSON.stringify(res, null, 2));
  return res;
}

if (require.main === module) runScale();
