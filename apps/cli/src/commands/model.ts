import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { NotFoundError, SchedulingPolicy, ValidationError } from '@vgpu-twin/contracts';
import {
  buildArtifact,
  CLASSIFIERS,
  DEFAULT_FOREST,
  evaluate,
  GAVEL_GPUS,
  generateSynthetic,
  hashDataset,
  importGavel,
  kFoldSplits,
  leaveOutSplit,
  formatTable,
  pairsPolicy,
  pairsToCsv,
  parseArtifact,
  parsePairs,
  parseProfiles,
  predictSlowdown,
  profilesToCsv,
  REGRESSORS,
  resolveFeatures,
  scoreRegressor,
  serializeArtifact,
  trainRegressor,
  type Dataset,
  type EvalRow,
  type ForestOptions,
  type GavelGpu,
  type Metrics,
  type RegressorKind,
} from '@vgpu-twin/interference';
import { catalogueDataset } from '@vgpu-twin/simulation';

/** Gavel's measured pair throughputs, relative to the repository root (../shared/data/README.md). */
export const DEFAULT_GAVEL_FILE = '../shared/data/gavel/pair_throughputs.json';

/**
 * The interference model that ships, and how it is made. `npm run model:default`
 * (tools/model-default.mjs) runs, with the built CLI, `model generate <generate> --out DIR` and
 * `model train --profiles DIR/profiles.csv --pairs DIR/pairs.csv <train> --out <file>`;
 * model-default.spec.ts runs the same two commands in-process and checks that the committed file is
 * byte-identical. Everything in the artifact is a function of these arguments (createdAt included).
 */
export const DEFAULT_MODEL = {
  file: 'models/default/hybrid.json',
  generate: ['--dataset', 'catalogue', '--seed', '1'],
  train: [
    '--features',
    'extend',
    '--model',
    'hybrid',
    // The catalogue is the simulator's whole workload set: leaves of one pair let the forest
    // reproduce each measured pair's residual instead of averaging it with its neighbours'.
    '--min-samples',
    '1',
    '--trees',
    '100',
    '--seed',
    '42',
    '--created-at',
    '2026-01-01T00:00:00Z',
  ],
} as const;

/**
 * `vgpu-twin model …`: the interference model (libs/interference) from the command line. Data and
 * JSON results on stdout, progress on stderr; a bad option or input file is reported on stderr,
 * naming the option or the file, line and column, with exit code 2.
 */
export function registerModelCommands(program: Command): void {
  const model = program
    .command('model')
    .description(
      "Interference model (libs/interference): predicts a VM's slowdown next to its co-runners from their solo " +
        'profiles (Xu et al., HotCloud 2019). CSV formats: profiles.csv = workload,<feature columns>; ' +
        'pairs.csv = workload,co_runner,slowdown[,gpu][,policy]',
    );

  model
    .command('generate')
    .description(
      'Write simulated training data, profiles.csv and pairs.csv. --dataset synthetic: 14 workloads (7 model types ' +
        '× 2 batch sizes, Xu et al. style), all 196 ordered pairs, slowdowns from the scheduler simulation plus ' +
        "measurement noise. --dataset catalogue: the simulator's own workload catalogue (libs/simulation), each " +
        "profiled alone, all ordered pairs as two 8Q vGPUs, slowdowns = the simulator's ground truth (no noise); " +
        'the default model (models/default/hybrid.json) is trained on it',
    )
    .addOption(new Option('--out <dir>', 'output directory (required; created if missing)'))
    .addOption(new Option('--seed <n>', 'random seed (integer)').default('1'))
    .addOption(
      new Option(
        '--dataset <name>',
        "synthetic: the 14 Xu et al.-style workloads; catalogue: the simulator's workload catalogue",
      )
        .choices(['synthetic', 'catalogue'])
        .default('synthetic'),
    )
    .action(function (this: Command) {
      const o = this.opts<{ out?: string; seed: string; dataset: 'synthetic' | 'catalogue' }>();
      const out = required(this, '--out', o.out);
      const seed = parseInteger(this, '--seed', o.seed, 0);
      const onProgress = (done: number, total: number) => {
        if (done % 28 === 0 || done === total) progress(`generate: ${done}/${total} pairs simulated`);
      };
      const data =
        o.dataset === 'catalogue'
          ? catalogueDataset({ seed, onProgress })
          : generateSynthetic({ seed, onProgress });
      writeData(this, out, data.profiles, data.pairs, data.comment);
      print({
        out,
        dataset: o.dataset,
        workloads: data.profiles.rows.size,
        pairs: data.pairs.length,
        synthetic: true,
        seed,
      });
    });

  model
    .command('import-gavel')
    .description(
      "Convert Gavel's measured pair throughputs (OSDI 2020) for one GPU type into profiles.csv and pairs.csv: " +
        'slowdown = solo ÷ pair throughput; infeasible [0,0] pairs are left out and counted; profile columns are ' +
        'batch_size, solo_throughput and one-hot family_* (Gavel has no utilisation counters)',
    )
    .addOption(new Option('--gpu <type>', 'GPU type (required)').choices([...GAVEL_GPUS]))
    .addOption(new Option('--file <path>', 'Gavel pair_throughputs.json').default(DEFAULT_GAVEL_FILE))
    .addOption(new Option('--out <dir>', 'output directory (required; created if missing)'))
    .action(function (this: Command) {
      const o = this.opts<{ gpu?: string; file: string; out?: string }>();
      const gpu = required(this, '--gpu', o.gpu) as GavelGpu;
      const out = required(this, '--out', o.out);
      const text = readText(this, '--file', o.file);
      const g = guard(this, '--file', () => importGavel(text, gpu, o.file));
      writeData(this, out, g.profiles, g.pairs, g.comment);
      print({
        out,
        gpu,
        workloads: g.profiles.rows.size,
        pairs: g.pairs.length,
        infeasible: g.infeasible,
        equalToSolo: g.equalToSolo,
      });
    });

  const dataOptions = (cmd: Command) =>
    cmd
      .addOption(new Option('--profiles <file>', 'profiles CSV: workload,<feature columns> (required)'))
      .addOption(
        new Option('--pairs <file>', 'pairs CSV: workload,co_runner,slowdown[,gpu][,policy] (required)'),
      );
  const forestOptions = (cmd: Command) =>
    cmd
      .addOption(new Option('--trees <n>', 'trees per random forest').default(String(DEFAULT_FOREST.trees)))
      .addOption(
        new Option(
          '--min-samples <n>',
          'fewest training pairs a tree leaf holds (smaller: closer to the data)',
        ).default(String(DEFAULT_FOREST.minNumSamples)),
      )
      .addOption(
        new Option('--seed <n>', 'seed for forests and fold assignment').default(String(DEFAULT_FOREST.seed)),
      )
      .addOption(
        new Option(
          '--max-train-rows <n>',
          'train forests on a seeded subset of at most this many pairs (ml-cart slows quadratically with rows)',
        ).default(String(DEFAULT_FOREST.maxTrainRows)),
      );
  const featuresHelp =
    'feature set: base | extend | select (Xu et al.) | all (every profile column) | a comma-separated list of columns';

  forestOptions(
    dataOptions(
      model
        .command('train')
        .description(
          'Train a model on pairs and write a versioned JSON artifact (features, training-data hash, metrics, ' +
            'creation time; forests are stored compiled). rf = random forest, linear = linear regression, hybrid = ' +
            'the scheduler model plus a forest trained on its residual',
        ),
    ),
  )
    .addOption(new Option('--features <set>', featuresHelp).default('select'))
    .addOption(new Option('--model <kind>', 'model kind').choices([...REGRESSORS]).default('rf'))
    .addOption(new Option('--out <file>', 'model artifact to write (required), e.g. model.json'))
    .addOption(
      new Option('--folds <k>', 'k-fold cross-validation stored in the artifact metrics; 0 to skip').default(
        '5',
      ),
    )
    .addOption(new Option('--created-at <iso>', 'creation time recorded in the artifact (default: now)'))
    .action(function (this: Command) {
      const o = this.opts<{
        profiles?: string;
        pairs?: string;
        features: string;
        model: string;
        out?: string;
        folds: string;
        createdAt?: string;
      }>();
      const out = required(this, '--out', o.out);
      const data = readData(this, o.profiles, o.pairs);
      const features = guard(this, '--features', () =>
        resolveFeatures(o.features, data.profiles, o.profiles),
      );
      const forest = parseForest(this);
      const policy = guard(this, '--pairs', () => pairsPolicy(data.pairs, o.pairs));
      const kind = o.model as RegressorKind;
      const folds = parseInteger(this, '--folds', o.folds, 0);
      const createdAt = o.createdAt ?? new Date().toISOString();
      if (Number.isNaN(Date.parse(createdAt)))
        fail(this, '--created-at', `'${createdAt}' is not an ISO-8601 time`);
      progress(`train: ${kind} on ${data.pairs.length} pairs, ${features.length} features`);
      const trained = trainRegressor(data, kind, features, policy, forest);
      const fit = scoreRegressor(trained.model, data);
      let cv: (Metrics & { folds: number }) | undefined;
      if (folds > 0) {
        const splits = guard(this, '--folds', () => kFoldSplits(data, folds, forest.seed));
        const r = evaluate(data, {
          regressors: [kind],
          featureSets: [{ name: o.features, columns: features }],
          splits,
          policy,
          forest,
          onProgress: (m) => progress(`train: cross-validation ${m}`),
        })[0]!;
        cv = { ...metricsOf(r), folds };
      }
      const artifact = buildArtifact(trained.model, {
        trainingDataHash: hashDataset(data.profiles, data.pairs),
        trainingPairs: data.pairs.length,
        rowsUsed: trained.rowsUsed,
        options: forest,
        metrics: { train: fit, ...(cv ? { cv } : {}) },
        createdAt,
      });
      writeText(this, '--out', out, serializeArtifact(artifact));
      print({ out, kind, features, policy, rowsUsed: trained.rowsUsed, metrics: artifact.metrics });
    });

  forestOptions(
    dataOptions(
      model
        .command('eval')
        .description(
          'Evaluate models × feature sets and print a table (MSE, MAE, Spearman, severity F1: < 1.1, 1.1–1.5, > 1.5). ' +
            'k-fold cross-validation by pair, or --leave-out: train without those workloads, test on every pair ' +
            'involving one of them',
        ),
    ),
  )
    .addOption(
      new Option('--features <sets...>', `one or more feature sets; each: ${featuresHelp}`).default([
        'select',
      ]),
    )
    .addOption(
      new Option('--models <list>', `comma-separated regressors: ${REGRESSORS.join(',')}`).default(
        REGRESSORS.join(','),
      ),
    )
    .addOption(
      new Option('--classifiers', `also evaluate the severity classifiers: ${CLASSIFIERS.join(', ')}`),
    )
    .addOption(new Option('--folds <k>', 'number of folds for k-fold cross-validation by pair').default('5'))
    .addOption(
      new Option(
        '--leave-out <workloads>',
        'comma-separated workloads never seen in training; test = every pair involving one',
      ),
    )
    .addOption(
      new Option(
        '--json',
        'print {"results": [{model, features, mse, mae, spearman, f1, n}], "classifiers": [...]}',
      ),
    )
    .action(function (this: Command) {
      const o = this.opts<{
        profiles?: string;
        pairs?: string;
        features: string[];
        models: string;
        classifiers?: boolean;
        folds: string;
        leaveOut?: string;
        json?: boolean;
      }>();
      const data = readData(this, o.profiles, o.pairs);
      const featureSets = o.features.map((spec) => ({
        name: spec,
        columns: guard(this, '--features', () => resolveFeatures(spec, data.profiles, o.profiles)),
      }));
      const regressors = o.models.split(',').map((m) => m.trim());
      const bad = regressors.find((m) => !(REGRESSORS as readonly string[]).includes(m));
      if (bad !== undefined) fail(this, '--models', `'${bad}' is not one of ${REGRESSORS.join(', ')}`);
      const forest = parseForest(this);
      const policy = guard(this, '--pairs', () => pairsPolicy(data.pairs, o.pairs));
      let splits;
      if (o.leaveOut !== undefined) {
        const names = o.leaveOut
          .split(',')
          .map((w) => w.trim())
          .filter((w) => w !== '');
        if (names.length === 0) fail(this, '--leave-out', 'needs at least one workload');
        splits = [guard(this, '--leave-out', () => leaveOutSplit(data, names))];
      } else {
        const folds = parseInteger(this, '--folds', o.folds, 2);
        splits = guard(this, '--folds', () => kFoldSplits(data, folds, forest.seed));
      }
      const rows = evaluate(data, {
        regressors: regressors as RegressorKind[],
        classifiers: o.classifiers ? CLASSIFIERS : [],
        featureSets,
        splits,
        policy,
        forest,
        onProgress: (m) => progress(`eval: ${m}`),
      });
      const reg = rows.filter((r) => r.mse !== null);
      const clf = rows.filter((r) => r.mse === null);
      if (o.json) {
        print({
          validation:
            o.leaveOut !== undefined ? { leaveOut: o.leaveOut.split(',') } : { folds: splits.length },
          results: reg.map((r) => ({ model: r.model, features: r.features, ...metricsOf(r) })),
          ...(clf.length > 0
            ? { classifiers: clf.map((r) => ({ model: r.model, features: r.features, f1: r.f1, n: r.n })) }
            : {}),
        });
      } else {
        process.stdout.write(`${formatTable(rows)}\n`);
      }
    });

  model
    .command('predict')
    .description(
      'Predict the slowdown of --workload next to its --co-runner(s) on one GPU. Several co-runners: overheads ' +
        'add, 1 + Σ(pair slowdown − 1) (the hybrid asks the scheduler model for the whole group)',
    )
    .addOption(new Option('--model <file>', 'model artifact from `model train` (required)'))
    .addOption(new Option('--profiles <file>', 'profiles CSV holding the workloads (required)'))
    .addOption(new Option('--workload <name>', "the VM's workload (required)"))
    .addOption(
      new Option('--co-runner <name>', "a co-runner's workload; repeat for several (at least one)").argParser(
        (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
      ),
    )
    .addOption(
      new Option(
        '--policy <policy>',
        `scheduling policy: ${SchedulingPolicy.options.join(' | ')} (default: the model's)`,
      ),
    )
    .action(function (this: Command) {
      const o = this.opts<{
        model?: string;
        profiles?: string;
        workload?: string;
        coRunner?: string[];
        policy?: string;
      }>();
      const modelFile = required(this, '--model', o.model);
      const profilesFile = required(this, '--profiles', o.profiles);
      const workload = required(this, '--workload', o.workload);
      const coRunners = o.coRunner ?? [];
      if (coRunners.length === 0) fail(this, '--co-runner', 'is required (repeat it for several co-runners)');
      const { model: m } = guard(this, '--model', () =>
        parseArtifact(readText(this, '--model', modelFile), modelFile),
      );
      const profiles = guard(this, '--profiles', () =>
        parseProfiles(readText(this, '--profiles', profilesFile), profilesFile),
      );
      let policy = m.policy;
      if (o.policy !== undefined) {
        const p = SchedulingPolicy.safeParse(o.policy);
        if (!p.success)
          fail(this, '--policy', `'${o.policy}' must be one of ${SchedulingPolicy.options.join(', ')}`);
        policy = p.data;
      }
      const r = guard(this, '--workload/--co-runner', () =>
        predictSlowdown(m, profiles, workload, coRunners, policy),
      );
      print({ workload, coRunners, policy, model: m.kind, slowdown: r.slowdown, pairwise: r.pairwise });
    });
}

function fail(cmd: Command, option: string, message: string): never {
  cmd.error(`error: option '${option}' ${message}`, { exitCode: 2, code: 'vgpu-twin.invalidOption' });
  throw new Error('unreachable'); // cmd.error exits or throws (exitOverride)
}

/** Runs `fn`, turning the library's ValidationError/NotFoundError into an exit-2 error naming `option`. */
function guard<T>(cmd: Command, option: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ValidationError || e instanceof NotFoundError) fail(cmd, option, e.message);
    throw e;
  }
}

function required(cmd: Command, option: string, value: string | undefined): string {
  if (value === undefined || value === '') fail(cmd, option, 'is required');
  return value;
}

function parseInteger(cmd: Command, option: string, raw: string, min: number): number {
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(x) || x < min)
    fail(cmd, option, `'${raw}' must be an integer ≥ ${min}`);
  return x;
}

function parseForest(cmd: Command): ForestOptions {
  const o = cmd.opts<{ trees: string; seed: string; maxTrainRows: string; minSamples: string }>();
  return {
    ...DEFAULT_FOREST,
    trees: parseInteger(cmd, '--trees', o.trees, 1),
    minNumSamples: parseInteger(cmd, '--min-samples', o.minSamples, 1),
    seed: parseInteger(cmd, '--seed', o.seed, 0),
    maxTrainRows: parseInteger(cmd, '--max-train-rows', o.maxTrainRows, 2),
  };
}

function readText(cmd: Command, option: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    fail(cmd, option, `cannot read '${file}': ${(e as Error).message}`);
  }
}

function writeText(cmd: Command, option: string, file: string, text: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  } catch (e) {
    fail(cmd, option, `cannot write '${file}': ${(e as Error).message}`);
  }
}

function readData(cmd: Command, profilesFile: string | undefined, pairsFile: string | undefined): Dataset {
  const pf = required(cmd, '--profiles', profilesFile);
  const qf = required(cmd, '--pairs', pairsFile);
  const profiles = guard(cmd, '--profiles', () => parseProfiles(readText(cmd, '--profiles', pf), pf));
  const pairs = guard(cmd, '--pairs', () => parsePairs(readText(cmd, '--pairs', qf), qf, profiles, pf));
  return { profiles, pairs };
}

function writeData(
  cmd: Command,
  dir: string,
  profiles: Dataset['profiles'],
  pairs: Dataset['pairs'],
  comment: string,
): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    fail(cmd, '--out', `cannot create '${dir}': ${(e as Error).message}`);
  }
  writeText(cmd, '--out', join(dir, 'profiles.csv'), profilesToCsv(profiles, comment));
  writeText(cmd, '--out', join(dir, 'pairs.csv'), pairsToCsv(pairs, comment));
}

function metricsOf(r: EvalRow): Metrics {
  return { mse: r.mse ?? NaN, mae: r.mae ?? NaN, spearman: r.spearman ?? NaN, f1: r.f1, n: r.n };
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
