import { ValidationError } from '@vgpu-twin/contracts';
import { mulberry32, type Rng } from '@vgpu-twin/scheduler';
import {
  bestFit,
  exactPairs,
  firstFit,
  greedy,
  greedyLocalSearch,
  pairwiseGroupCost,
  placementCost,
  randomPlacement,
  roundRobin,
  type BatchPolicy,
  type BatchProblem,
} from './batch';

/** Ordered pair slowdowns among `workloads`: `slowdown[a·k + b]` = workload a next to workload b. */
export interface PairTable {
  readonly workloads: readonly string[];
  readonly slowdown: Float64Array;
}

export function pairTable(
  workloads: readonly string[],
  slowdown: (a: string, b: string) => number,
): PairTable {
  const k = workloads.length;
  const t = new Float64Array(k * k);
  workloads.forEach((a, i) =>
    workloads.forEach((b, j) => {
      const s = slowdown(a, b);
      if (!Number.isFinite(s)) throw new ValidationError(`no finite slowdown for ${a} next to ${b}`);
      t[i * k + j] = s;
    }),
  );
  return { workloads: [...workloads], slowdown: t };
}

export interface ExperimentConfig {
  /** GPUs (the paper: 50 hosts × one GPU). */
  readonly gpus: number;
  readonly slots: number;
  readonly vms: number;
  readonly trials: number;
  readonly seed: number;
}

export const PAPER_EXPERIMENT: ExperimentConfig = { gpus: 50, slots: 2, vms: 100, trials: 100, seed: 1 };

export interface ModelTable {
  /** Policy name in the results, e.g. `model`. */
  readonly name: string;
  readonly description: string;
  readonly table: PairTable;
}

export interface PolicyResult {
  readonly name: string;
  readonly description: string;
  /** Mean over trials of the mean true slowdown per VM. */
  readonly meanSlowdown: number;
  /** 1 − Σ slowdown(policy) / Σ slowdown(round robin), over all trials. */
  readonly reductionVsRoundRobin: number;
  /** The same on overheads (slowdown − 1), the paper's measure. */
  readonly overheadReductionVsRoundRobin: number;
  /** This policy's gain over round robin ÷ the ideal's (equal for slowdown and overhead). */
  readonly fractionOfIdealGain: number;
}

export interface ExperimentResult {
  readonly config: ExperimentConfig;
  readonly workloads: number;
  readonly policies: readonly PolicyResult[];
}

/**
 * The placement experiment of Xu et al. (HotCloud 2019): in each trial `vms` VMs draw workloads
 * uniformly from the truth table's; every policy places them on `gpus` × `slots`; each placement
 * is scored by the TRUE slowdowns. `ideal` solves the placement exactly on the truth, each model
 * policy exactly on its own predicted table (two slots: minimum-weight perfect matching; more:
 * greedy + local search). Round robin, random, first fit and best fit ignore interference; greedy
 * and local search use the first model.
 */
export function runPlacementExperiment(
  truth: PairTable,
  models: readonly ModelTable[],
  config: ExperimentConfig = PAPER_EXPERIMENT,
): ExperimentResult {
  const k = truth.workloads.length;
  if (k === 0) throw new ValidationError('the truth table has no workloads');
  if (models.length === 0) throw new ValidationError('the experiment needs at least one model table');
  for (const m of models) {
    if (m.table.workloads.join('\u0000') !== truth.workloads.join('\u0000')) {
      throw new ValidationError(`model table '${m.name}' covers other workloads than the truth`);
    }
  }
  const lookup = (t: PairTable) => (a: number, b: number) => t.slowdown[a * k + b]!;
  const exact: BatchPolicy = config.slots === 2 ? exactPairs : greedyLocalSearch;
  const exactName = config.slots === 2 ? 'exact matching' : 'greedy + local search';
  const first = models[0]!;
  const specs: { name: string; description: string; table: PairTable | null; policy: BatchPolicy }[] = [
    { name: 'round-robin', description: 'VM i to GPU i mod G', table: null, policy: roundRobin },
    { name: 'random', description: 'uniformly random slots', table: null, policy: randomPlacement },
    { name: 'first-fit', description: 'lowest GPU with a free slot', table: null, policy: firstFit },
    { name: 'best-fit', description: 'fullest GPU with a free slot', table: null, policy: bestFit },
    {
      name: 'greedy',
      description: `least added slowdown, arrival order (${first.name})`,
      table: first.table,
      policy: greedy,
    },
    {
      name: 'local-search',
      description: `greedy + moves and swaps (${first.name})`,
      table: first.table,
      policy: greedyLocalSearch,
    },
    { name: 'ideal', description: `${exactName} on the true slowdowns`, table: truth, policy: exact },
    ...models.map((m) => ({
      name: m.name,
      description: `${exactName} on ${m.description}`,
      table: m.table,
      policy: exact,
    })),
  ];
  const totals = new Float64Array(specs.length);
  const rng: Rng = mulberry32(config.seed);
  const policyRng = mulberry32(config.seed ^ 0x5bd1e995);
  for (let t = 0; t < config.trials; t++) {
    const types = Int32Array.from({ length: config.vms }, () => Math.floor(rng() * k));
    const trueCost = pairwiseGroupCost(types, lookup(truth));
    specs.forEach((s, i) => {
      const p: BatchProblem = {
        n: config.vms,
        gpus: config.gpus,
        slots: config.slots,
        groupCost: s.table ? pairwiseGroupCost(types, lookup(s.table)) : trueCost,
      };
      totals[i]! += placementCost(p, s.policy(p, policyRng), trueCost);
    });
  }
  const rr = totals[0]!;
  const ideal = totals[specs.findIndex((s) => s.name === 'ideal')]!;
  const n = config.vms * config.trials;
  return {
    config,
    workloads: k,
    policies: specs.map((s, i) => ({
      name: s.name,
      description: s.description,
      meanSlowdown: totals[i]! / n,
      reductionVsRoundRobin: 1 - totals[i]! / rr,
      overheadReductionVsRoundRobin: 1 - (totals[i]! - n) / (rr - n),
      fractionOfIdealGain: rr === ideal ? 1 : (rr - totals[i]!) / (rr - ideal),
    })),
  };
}

/** A Markdown table of the results. */
export function experimentMarkdown(r: ExperimentResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = r.policies.map(
    (p) =>
      `| ${p.name} | ${p.description} | ${p.meanSlowdown.toFixed(4)} | ${pct(p.reductionVsRoundRobin)} | ${pct(p.overheadReductionVsRoundRobin)} | ${pct(p.fractionOfIdealGain)} |`,
  );
  return [
    '| policy | how | mean slowdown per VM | reduction of Σ slowdown vs round robin | reduction of Σ overhead vs round robin | share of the ideal gain |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
