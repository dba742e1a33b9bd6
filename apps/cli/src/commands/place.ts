import { existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import {
  analyticSlowdownModel,
  experimentMarkdown,
  gavelExperimentData,
  parseClusterSnapshot,
  planRebalance,
  rankMoves,
  runPlacementExperiment,
  syntheticExperimentData,
  PAPER_EXPERIMENT,
  type ExperimentData,
  type MoveSuggestion,
  type ParsedCluster,
  type SyntheticTruth,
} from '@vgpu-twin/placement';
import { GAVEL_GPUS, type GavelGpu } from '@vgpu-twin/interference';

const DEFAULT_GAVEL_FILE = '../shared/data/gavel/pair_throughputs.json';

/**
 * `vgpu-twin place experiment` and `vgpu-twin place suggest`: interference-aware placement
 * (libs/placement) from the command line. JSON on stdout; a bad option or file is reported on
 * stderr, naming it, with exit code 2.
 */
export function registerPlaceCommands(program: Command): void {
  const place = program
    .command('place')
    .description(
      'Interference-aware placement (libs/placement): the paper experiment and re-placement suggestions',
    );

  place
    .command('experiment')
    .description(
      "The placement experiment of Xu et al. (HotCloud 2019): 50 GPUs × 2 slots, 100 VMs drawn from the data set's " +
        "workloads per trial; every policy scored by the true slowdowns; prints each policy's mean slowdown per VM " +
        'and its reduction vs round robin. Models are trained here (libs/interference) and predict out of sample.',
    )
    .addOption(new Option('--trials <n>', 'trials (independent draws of 100 VMs)').default('100'))
    .addOption(new Option('--seed <n>', 'seed of the draws (same seed, same result)').default('1'))
    .addOption(
      new Option(
        '--dataset <name>',
        "synthetic (libs/interference's 14 synthetic workloads) or gavel (Gavel's measured pair throughputs)",
      ).default('synthetic'),
    )
    .addOption(
      new Option('--gpu <type>', `Gavel GPU type (--dataset gavel): ${GAVEL_GPUS.join(', ')}`).default(
        'v100',
      ),
    )
    .addOption(new Option('--gavel-file <path>', 'Gavel pair_throughputs.json').default(DEFAULT_GAVEL_FILE))
    .addOption(
      new Option(
        '--truth <kind>',
        'synthetic truth: expected (simulated slowdown without measurement noise) or measured (the noisy training values)',
      ).default('expected'),
    )
    .addOption(
      new Option('--trees <n>', 'trees per random forest (fewer: faster, less accurate)').default('50'),
    )
    .addOption(new Option('--json', 'print JSON (default: a Markdown table)'))
    .action(function (this: Command) {
      const o = this.opts<{
        trials: string;
        seed: string;
        dataset: string;
        gpu: string;
        gavelFile: string;
        truth: SyntheticTruth;
        trees: string;
        json?: boolean;
      }>();
      if (o.dataset !== 'synthetic' && o.dataset !== 'gavel') {
        fail(this, '--dataset', `'${o.dataset}' must be synthetic or gavel`);
      }
      if (o.truth !== 'expected' && o.truth !== 'measured') {
        fail(this, '--truth', `'${String(o.truth)}' must be expected or measured`);
      }
      const trials = int(this, '--trials', o.trials, 1, 100_000);
      const seed = int(this, '--seed', o.seed, 0, 2 ** 31 - 1);
      const trees = int(this, '--trees', o.trees, 1, 1000);
      const spec = { forest: { trees } };
      let data: ExperimentData;
      if (o.dataset === 'gavel') {
        if (!(GAVEL_GPUS as readonly string[]).includes(o.gpu)) {
          fail(this, '--gpu', `'${o.gpu}' must be one of ${GAVEL_GPUS.join(', ')}`);
        }
        if (!existsSync(o.gavelFile)) fail(this, '--gavel-file', `'${o.gavelFile}' does not exist`);
        try {
          data = gavelExperimentData(readFileSync(o.gavelFile, 'utf8'), o.gpu as GavelGpu, {
            spec,
            file: o.gavelFile,
          });
        } catch (e) {
          fail(this, '--gavel-file', `'${o.gavelFile}': ${(e as Error).message}`);
        }
      } else {
        data = syntheticExperimentData({ spec, truth: o.truth });
      }
      const r = runPlacementExperiment(data.truth, data.models, { ...PAPER_EXPERIMENT, trials, seed });
      if (o.json) {
        print({
          dataset: o.dataset,
          ...(o.dataset === 'gavel' ? { gpu: o.gpu } : { truth: o.truth }),
          config: r.config,
          notes: data.notes,
          policies: r.policies,
        });
      } else {
        process.stdout.write(`${data.notes.map((n) => `- ${n}`).join('\n')}\n\n${experimentMarkdown(r)}\n`);
      }
    });

  place
    .command('suggest')
    .description(
      'Best re-placement moves for a cluster snapshot, scored by the predicted total slowdown of every VM on the old ' +
        "and the new GPU minus a migration cost (the scheduler's analytical model on the workloads' solo features). " +
        'With --vm: the best targets for that VM; without: a bounded rebalance plan. cluster.json: ' +
        '{clusterId?, hosts:[{hostId, homogeneousProfiles}], gpus:[{gpuId, hostId, model, framebufferMib, policy}], ' +
        'vms:[{vmId, gpuId, profile, framebufferMib, workload, requires?:{models?, policy?}}], ' +
        'workloads:[{workload, features:{gpuUtilPct, memUtilPct, pcieRxMBps, pcieTxMBps, kernelMs?, …}}]} (libs/placement README)',
    )
    .addOption(new Option('--state <file>', 'cluster snapshot, cluster.json (required)'))
    .addOption(new Option('--vm <id>', 'rank the moves of this VM only'))
    .addOption(new Option('--limit <n>', 'moves to print with --vm').default('5'))
    .addOption(new Option('--max-moves <n>', 'most moves in a rebalance plan (without --vm)').default('20'))
    .addOption(
      new Option(
        '--migration-cost <x>',
        'cost of one live migration, in summed slowdown (a move must save more)',
      ).default('0.1'),
    )
    .action(function (this: Command) {
      const o = this.opts<{
        state?: string;
        vm?: string;
        limit: string;
        maxMoves: string;
        migrationCost: string;
      }>();
      if (!o.state) fail(this, '--state', 'is required: a cluster.json snapshot');
      const limit = int(this, '--limit', o.limit, 1, 1000);
      const maxMoves = int(this, '--max-moves', o.maxMoves, 0, 100_000);
      const migrationCost = Number(o.migrationCost);
      if (o.migrationCost.trim() === '' || !Number.isFinite(migrationCost) || migrationCost < 0) {
        fail(this, '--migration-cost', `'${o.migrationCost}' must be a number ≥ 0`);
      }
      let text: string;
      try {
        text = readFileSync(o.state, 'utf8');
      } catch (e) {
        fail(this, '--state', `cannot read '${o.state}': ${(e as Error).message}`);
      }
      let parsed: ParsedCluster;
      try {
        parsed = parseClusterSnapshot(text, o.state);
      } catch (e) {
        fail(this, '--state', (e as Error).message);
      }
      const model = analyticSlowdownModel((w) => parsed.workloads.get(w));
      let moves: readonly MoveSuggestion[];
      if (o.vm !== undefined) {
        if (!parsed.cluster.vms.has(o.vm)) fail(this, '--vm', `'${o.vm}' is not a VM in ${o.state}`);
        moves = rankMoves(parsed.cluster, o.vm, model, { limit, migrationCost });
      } else {
        moves = planRebalance(parsed.cluster, model, { maxMoves, migrationCost }).moves;
      }
      print({ clusterId: parsed.clusterId, moves: moves.map(roundMove) });
    });

  place
    .command('score')
    .description(
      "Where should a new VM go? Asks a running twin's what-if API (POST /v1/twin/what-if): every candidate GPU " +
        "scored by the twin's model from its live state — the new VM's predicted slowdown and what it does to " +
        'the VMs already there — cheapest first. Prints the answer as JSON.',
    )
    .addOption(
      new Option('--url <url>', 'the twin (or the all-in-one process)').default('http://127.0.0.1:8080'),
    )
    .addOption(new Option('--profile <type>', 'vGPU type of the new VM, e.g. 8Q'))
    .addOption(new Option('--workload <name>', 'its workload: a name the twin has a workload.profiled for'))
    .addOption(new Option('--candidates <ids>', 'comma-separated GPU ids to consider (default: every GPU)'))
    .addOption(new Option('--limit <n>', 'print at most this many candidates').default('10'))
    .action(async function (this: Command) {
      const o = this.opts<{
        url: string;
        profile?: string;
        workload?: string;
        candidates?: string;
        limit: string;
      }>();
      if (!o.profile) fail(this, '--profile', 'is required: the vGPU type, e.g. 8Q');
      if (!o.workload) fail(this, '--workload', 'is required: a profiled workload name');
      const limit = int(this, '--limit', o.limit, 1, 1_000_000);
      let url: URL;
      try {
        url = new URL('/v1/twin/what-if', o.url);
      } catch {
        fail(this, '--url', `'${o.url}' is not a URL`);
      }
      const body = {
        vm: { profile: o.profile, workload: o.workload },
        ...(o.candidates
          ? {
              candidates: o.candidates
                .split(',')
                .map((c) => c.trim())
                .filter(Boolean),
            }
          : {}),
      };
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      } catch (e) {
        fail(this, '--url', `cannot reach ${url.origin}: ${(e as Error).message}`);
      }
      const text = await res.text();
      if (!res.ok) {
        let message = text;
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? text;
        } catch {
          // not JSON: print as it came
        }
        this.error(`error: the twin answered ${res.status}: ${message}`, {
          exitCode: 1,
          code: 'vgpu-twin.whatIf',
        });
      }
      const answer = JSON.parse(text) as { candidates: unknown[] };
      print({ ...answer, candidates: answer.candidates.slice(0, limit) });
    });
}

function roundMove(m: MoveSuggestion) {
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  return {
    ...m,
    before: m.before.map((v) => ({ ...v, slowdown: r(v.slowdown) })),
    after: m.after.map((v) => ({ ...v, slowdown: r(v.slowdown) })),
    totalBefore: r(m.totalBefore),
    totalAfter: r(m.totalAfter),
    gain: r(m.gain),
  };
}

function fail(cmd: Command, option: string, message: string): never {
  cmd.error(`error: option '${option}' ${message}`, { exitCode: 2, code: 'vgpu-twin.invalidOption' });
  throw new Error('unreachable'); // cmd.error exits or throws (exitOverride)
}

function int(cmd: Command, option: string, raw: string, min: number, max: number): number {
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(x) || x < min || x > max) {
    fail(cmd, option, `'${raw}' must be an integer in ${min}..${max}`);
  }
  return x;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
