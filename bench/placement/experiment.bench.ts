/**
 * The paper's placement experiment (synthetic + Gavel) and the heuristic's gap to the exact optimum.
 *   SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register bench/placement/experiment.bench.ts [trials]
 * Prints Markdown for bench/RESULTS.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { generateSynthetic } from '@vgpu-twin/interference';
import { mulberry32 } from '@vgpu-twin/scheduler';
import {
  exactBruteForce,
  exactPairs,
  experimentMarkdown,
  gavelExperimentData,
  greedy,
  greedyLocalSearch,
  pairwiseGroupCost,
  placementCost,
  runPlacementExperiment,
  syntheticExperimentData,
  PAPER_EXPERIMENT,
  type BatchProblem,
  type ExperimentData,
} from '@vgpu-twin/placement';

const GAVEL = '../shared/data/gavel/pair_throughputs.json';
const trials = Number(process.argv[2] ?? 100);

function section(title: string, d: ExperimentData): void {
  const t0 = performance.now();
  const r = runPlacementExperiment(d.truth, d.models, { ...PAPER_EXPERIMENT, trials });
  console.log(`\n### ${title}\n`);
  for (const n of d.notes) console.log(`- ${n}`);
  console.log(
    `- ${trials} trials, seed ${PAPER_EXPERIMENT.seed}; placement of all policies took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  console.log(experimentMarkdown(r));
}

/** Heuristic vs exact on small cases drawn from the synthetic truth table. */
function gapTable(): void {
  const g = generateSynthetic({ seed: 1 });
  const names = [...g.profiles.rows.keys()];
  const k = names.length;
  const t = new Float64Array(k * k);
  const idx = new Map(names.map((n, i) => [n, i]));
  for (const p of g.pairs) t[idx.get(p.workload)! * k + idx.get(p.coRunner)!] = p.slowdown;
  const rows: string[] = [];
  const cases: [string, number, number, number, (p: BatchProblem) => Int32Array][] = [
    ['2 slots, 10 VMs on 5 GPUs (brute force)', 10, 5, 2, (p) => exactBruteForce(p, mulberry32(1))],
    ['3 slots, 9 VMs on 3 GPUs (brute force)', 9, 3, 3, (p) => exactBruteForce(p, mulberry32(1))],
    ['4 slots, 12 VMs on 3 GPUs (brute force)', 12, 3, 4, (p) => exactBruteForce(p, mulberry32(1))],
    ['2 slots, 100 VMs on 50 GPUs (exact matching)', 100, 50, 2, (p) => exactPairs(p, mulberry32(1))],
  ];
  for (const [name, n, gpus, slots, exact] of cases) {
    const gaps = { greedy: [] as number[], ls: [] as number[] };
    const reps = n > 12 ? 50 : 30;
    for (let s = 1; s <= reps; s++) {
      const rng = mulberry32(1000 + s);
      const types = Int32Array.from({ length: n }, () => Math.floor(rng() * k));
      const p: BatchProblem = {
        n,
        gpus,
        slots,
        groupCost: pairwiseGroupCost(types, (a, b) => t[a * k + b]!),
      };
      const opt = placementCost(p, exact(p));
      gaps.greedy.push(placementCost(p, greedy(p, rng)) / opt - 1);
      gaps.ls.push(placementCost(p, greedyLocalSearch(p, rng)) / opt - 1);
    }
    const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    rows.push(
      `| ${name} | ${reps} | ${pct(mean(gaps.greedy))} | ${pct(Math.max(...gaps.greedy))} | ${pct(mean(gaps.ls))} | ${pct(Math.max(...gaps.ls))} |`,
    );
  }
  console.log('\n### Heuristic gap to the exact optimum (synthetic measured pair slowdowns)\n');
  console.log(
    '| case | instances | greedy: mean gap | greedy: max gap | greedy + local search: mean gap | max gap |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  console.log(rows.join('\n'));
}

console.log(`Machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, Node ${process.version}`);
gapTable();
section('Synthetic workloads, truth = expected slowdowns', syntheticExperimentData({ truth: 'expected' }));
section(
  'Synthetic workloads, truth = measured (noisy) slowdowns',
  syntheticExperimentData({ truth: 'measured' }),
);
if (existsSync(GAVEL))
  section('Gavel v100, measured slowdowns', gavelExperimentData(readFileSync(GAVEL, 'utf8'), 'v100'));
else console.log(`\nSKIP Gavel experiment: ${GAVEL} is absent`);
