import { Progress } from '../progress';
import { Streams, SchedulingPolicy, type StreamName } from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import {
  embeddedLogFile,
  LogConfigSchema,
  loadConfig,
  type LogConfig,
  openEventLog,
} from '@vgpu-twin/service-kit';
import {
  loadModel,
  openSnapshotStore,
  TwinConfigSchema,
  twinConfigFrom,
  type StoredSnapshot,
  type TwinServiceConfig,
} from '@vgpu-twin/twin';
import { deserializeState, startReplay, type ReplayReport, type TwinInput } from '@vgpu-twin/twin-core';
import { type Command, InvalidArgumentError } from 'commander';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeJsonFile } from '../replay/json-file';
import { mergeLog, type MergeRange } from '../replay/merge';
import { renderReportHtml } from '../replay/report-html';

export interface ReplayCommandOptions {
  readonly from: string;
  readonly to: string;
  readonly out: string;
  readonly cluster?: string;
  readonly policy?: SchedulingPolicy;
  readonly model?: string;
  /** Ignore snapshots: fold the whole log from its first event. */
  readonly fromBeginning?: boolean;
  /** Worker threads that read and decode the log (0: this thread does); default one per core. */
  readonly workers?: number;
}

/** Telemetry records read past the first one later than --to: event time is not monotonic in a partition. */
const LATE_SLACK = 2_000;

const rank = (stream: string) => (stream === Streams.inventory ? 0 : 1);

/** Which records of each partition the replay needs: from the snapshot's offsets up to --to (+ slack). */
async function rangesOf(
  log: EventLog,
  stream: StreamName,
  toMs: number,
  startAt: Readonly<Record<string, number>>,
): Promise<MergeRange[]> {
  const ends = await log.endOffsets(stream);
  const stops = await log.offsetsForTimestamp(stream, toMs + 1);
  return ends
    .map(({ partition, offset: end }) => ({
      stream,
      rank: rank(stream),
      partition,
      from: startAt[`${stream}/${partition}`] ?? 0,
      // the inventory is small: read it whole
      to:
        stream === Streams.inventory
          ? end
          : Math.min(end, (stops.find((s) => s.partition === partition)?.offset ?? end) + LATE_SLACK),
    }))
    .filter((r) => r.from < r.to);
}

/** Every partition range of the inventory and telemetry streams a replay up to `toMs` reads. */
export async function replayRanges(
  log: EventLog,
  toMs: number,
  startAt: Readonly<Record<string, number>> = {},
): Promise<MergeRange[]> {
  return [
    ...(await rangesOf(log, Streams.inventory, toMs, startAt)),
    ...(await rangesOf(log, Streams.telemetry, toMs, startAt)),
  ];
}

/** Read workers by default: one per core (the merge and fold on this thread share them). */
export const defaultReplayWorkers = (): number => Math.min(8, availableParallelism());

const defaultLog = (m: string): void => void process.stderr.write(`${m}\n`);

/** Reads the window's events from the configured log and re-runs the twin over them. */
export async function runReplay(
  options: ReplayCommandOptions,
  env: NodeJS.ProcessEnv = process.env,
  log: (m: string) => void = defaultLog,
): Promise<ReplayReport> {
  const logConfig = loadConfig(LogConfigSchema, env);
  const twinService = loadConfig(TwinConfigSchema, env);
  const twinConfig = twinConfigFrom(twinService);
  const whatIfModel = options.model ? loadModel(options.model) : undefined;
  if (whatIfModel) log(`replay: what-if model ${whatIfModel.model.name} (${whatIfModel.file})`);
  if (logConfig.EVENT_LOG === 'embedded' && !existsSync(embeddedLogFile(logConfig))) {
    throw new InvalidArgumentError(
      `no embedded log at ${embeddedLogFile(logConfig)}: point VGPU_TWIN_DATA_DIR at the data dir of the twin you want to replay`,
    );
  }
  const eventLog = await openEventLog(logConfig);
  try {
    const snapshot = options.fromBeginning
      ? null
      : await nearestSnapshot(twinService, logConfig, options.from);
    if (snapshot)
      log(
        `replay: starting from ${snapshot.owner}'s snapshot at ${snapshot.takenAt} (${snapshot.events} events in it)`,
      );
    log(`replay: reading the ${logConfig.EVENT_LOG} log up to ${options.to} and re-running the twin…`);
    const run = startReplay({
      from: options.from,
      to: options.to,
      config: twinConfig,
      ...(options.cluster ? { cluster: options.cluster } : {}),
      ...(options.policy ? { policy: options.policy } : {}),
      ...(whatIfModel ? { model: whatIfModel.model } : {}),
      ...(snapshot
        ? {
            initial: deserializeState(snapshot.state),
            snapshot: { owner: snapshot.owner, takenAt: snapshot.takenAt, events: snapshot.events },
          }
        : {}),
    });
    // a bar redrawn in place on a terminal, a line every 5% otherwise (the caller's log)
    const tty = log === defaultLog && process.stderr.isTTY === true;
    const bar = new Progress(
      'replay:',
      (line, redraw) => (redraw ? void process.stderr.write(`\r${line}`) : log(line)),
      tty,
    );
    const ranges = await replayRanges(eventLog, Date.parse(options.to), snapshot?.offsets ?? {});
    const { bad } = await mergeLog(
      eventLog,
      logConfig,
      ranges,
      options.workers ?? defaultReplayWorkers(),
      (event) => run.apply(event as TwinInput),
      (n, total) => bar.update(n, total),
    );
    if (tty) process.stderr.write('\n');
    if (bad > 0) log(`replay: skipped ${bad} undecodable records (see the dead-letter stream)`);
    return run.finish();
  } finally {
    await eventLog.close();
  }
}

/**
 * The newest snapshot whose state holds nothing later than `from`, from the twin's configured
 * store, read-only: a SQLite store that does not exist is not created. Any twin instance's
 * snapshot will do — the state covers the records before its offsets, and the replay reads each
 * partition on from there (from 0 where it has none).
 */
async function nearestSnapshot(
  twin: TwinServiceConfig,
  logConfig: LogConfig,
  from: string,
): Promise<StoredSnapshot | null> {
  if (twin.TWIN_SNAPSHOT_STORE === 'sqlite' && !existsSync(join(logConfig.VGPU_TWIN_DATA_DIR, 'twin.sqlite')))
    return null;
  const store = await openSnapshotStore(twin, logConfig.VGPU_TWIN_DATA_DIR);
  try {
    return (await store?.nearest(from)) ?? null;
  } finally {
    await store?.close();
  }
}

export function writeReport(report: ReplayReport, out: string): { json: string; html: string } {
  mkdirSync(out, { recursive: true });
  const json = join(out, 'report.json');
  const html = join(out, 'report.html');
  writeJsonFile(json, report);
  writeFileSync(html, renderReportHtml(report));
  return { json, html };
}

function isoTime(name: string) {
  return (v: string): string => {
    if (
      !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(v) ||
      Number.isNaN(Date.parse(v))
    ) {
      throw new InvalidArgumentError(
        `${name} must be an ISO-8601 time such as 2026-03-01T00:00:00Z, got '${v}'`,
      );
    }
    return new Date(Date.parse(v)).toISOString();
  };
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      're-run the twin over a time window of the log (no effect on the live twin) and write report.json and report.html',
    )
    .requiredOption(
      '--from <time>',
      'start of the window, ISO-8601 (e.g. 2026-03-01T00:00:00Z)',
      isoTime('--from'),
    )
    .requiredOption('--to <time>', 'end of the window, ISO-8601', isoTime('--to'))
    .requiredOption('--out <dir>', 'folder for report.json and report.html (created if missing)')
    .option('--cluster <id>', 'report only the GPUs of this cluster')
    .option(
      '--from-beginning',
      "ignore the twin's snapshots and rebuild the state at --from from the first event of the log",
    )
    .option(
      '--policy <policy>',
      `what if every GPU had run this scheduling policy from --from on (${SchedulingPolicy.options.join(', ')})`,
      (v: string) => {
        const r = SchedulingPolicy.safeParse(v);
        if (!r.success)
          throw new InvalidArgumentError(
            `--policy must be one of ${SchedulingPolicy.options.join(', ')}, got '${v}'`,
          );
        return r.data;
      },
    )
    .option(
      '--model <file>',
      'what if the twin had predicted with this interference model artifact (model.json, or a directory: its newest) from --from on',
    )
    .option(
      '--workers <n>',
      'worker threads that read and decode the log while this one merges and folds (0: none, all on one thread; default: one per core, at most 8)',
      (v: string) => {
        if (!/^\d+$/.test(v) || Number(v) > 64)
          throw new InvalidArgumentError(`--workers must be a whole number from 0 to 64, got '${v}'`);
        return Number(v);
      },
    )
    .addHelpText(
      'after',
      '\nThe log is the configured one: the embedded log under VGPU_TWIN_DATA_DIR (default ./.vgpu-twin), or Kafka\n' +
        'with EVENT_LOG=kafka and KAFKA_BROKERS. The state at --from is rebuilt from the nearest snapshot of the twin\n' +
        '(TWIN_SNAPSHOT_STORE: SQLite under VGPU_TWIN_DATA_DIR, or PostgreSQL at DATABASE_URL) and the events after it.\n' +
        'The same window replayed twice gives a byte-identical report.json.\n' +
        'Progress goes to stderr; a one-line JSON summary to stdout.',
    )
    .action(async (opts: ReplayCommandOptions) => {
      if (opts.from > opts.to)
        throw new InvalidArgumentError(`--from (${opts.from}) is after --to (${opts.to})`);
      const report = await runReplay(opts);
      const started = performance.now();
      const files = writeReport(report, opts.out);
      const mb = (file: string) => `${(statSync(file).size / 1e6).toFixed(1)} MB`;
      process.stderr.write(
        `replay: wrote ${files.json} (${mb(files.json)}) and ${files.html} (${mb(files.html)}) in ${((performance.now() - started) / 1e3).toFixed(1)} s\n`,
      );
      process.stdout.write(
        `${JSON.stringify({ ...files, alerts: report.alerts.length, gpus: report.gpus.length, events: report.events })}\n`,
      );
    });
}
