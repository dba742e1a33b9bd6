import { Streams, SchedulingPolicy, type StreamName } from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import {
  decodeRecords,
  embeddedLogFile,
  LogConfigSchema,
  loadConfig,
  type LogConfig,
  openEventLog,
  type Decoded,
} from '@vgpu-twin/service-kit';
import {
  loadModel,
  openSnapshotStore,
  TwinConfigSchema,
  twinConfigFrom,
  type StoredSnapshot,
  type TwinServiceConfig,
} from '@vgpu-twin/twin';
import { deserializeState, replay, type ReplayReport, type TwinInput } from '@vgpu-twin/twin-core';
import { type Command, InvalidArgumentError } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
}

const READ_CHUNK = 50_000;

/** Every record of a stream with an event time up to `toMs`, decoded; undecodable ones are counted. */
async function readStream(
  log: EventLog,
  stream: StreamName,
  toMs: number,
  startAt: Readonly<Record<string, number>>,
  progress: (n: number) => void,
): Promise<{ events: Decoded[]; bad: number }> {
  const ends = await log.endOffsets(stream);
  const stops = await log.offsetsForTimestamp(stream, toMs + 1);
  const events: Decoded[] = [];
  let bad = 0;
  for (const { partition, offset: end } of ends) {
    // Event time is not monotonic within a partition: read to the end when the stream is small (inventory).
    const stop =
      stream === Streams.inventory
        ? end
        : Math.min(end, (stops.find((s) => s.partition === partition)?.offset ?? end) + READ_CHUNK);
    for (let at = startAt[`${stream}/${partition}`] ?? 0; at < stop;) {
      const records = await log.read(stream, partition, at, Math.min(READ_CHUNK, stop - at));
      if (records.length === 0) break;
      const decoded = decodeRecords(records);
      events.push(...decoded.events);
      bad += decoded.bad.length;
      at = records[records.length - 1]!.offset + 1;
      progress(events.length);
    }
  }
  return { events, bad };
}

const rank = (stream: string) => (stream === Streams.inventory ? 0 : 1);

/** Reads the window's events from the configured log and re-runs the twin over them. */
export async function runReplay(
  options: ReplayCommandOptions,
  env: NodeJS.ProcessEnv = process.env,
  log: (m: string) => void = (m) => void process.stderr.write(`${m}\n`),
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
    const toMs = Date.parse(options.to);
    log(`replay: reading ${logConfig.EVENT_LOG} log up to ${options.to}…`);
    const snapshot = options.fromBeginning
      ? null
      : await nearestSnapshot(twinService, logConfig, options.from);
    if (snapshot)
      log(
        `replay: starting from ${snapshot.owner}'s snapshot at ${snapshot.takenAt} (${snapshot.events} events in it)`,
      );
    const startAt = snapshot?.offsets ?? {};
    const inventory = await readStream(eventLog, Streams.inventory, toMs, startAt, () => undefined);
    const telemetry = await readStream(eventLog, Streams.telemetry, toMs, startAt, (n) => {
      if (n % (READ_CHUNK * 4) === 0) log(`replay: read ${n} telemetry events`);
    });
    if (inventory.bad + telemetry.bad > 0)
      log(
        `replay: skipped ${inventory.bad + telemetry.bad} undecodable records (see the dead-letter stream)`,
      );
    const all = [...inventory.events, ...telemetry.events];
    // A total order that does not depend on how the log was read: event time, then stream, partition, offset.
    all.sort(
      (a, b) =>
        (a.event.ts < b.event.ts ? -1 : a.event.ts > b.event.ts ? 1 : 0) ||
        rank(a.record.stream) - rank(b.record.stream) ||
        a.record.partition - b.record.partition ||
        a.record.offset - b.record.offset,
    );
    const total = all.length;
    log(`replay: ${total} events; re-running the twin`);
    return replay(
      all.map((d) => d.event as TwinInput),
      {
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
        onProgress: (n) =>
          log(`replay: ${n}/${total} events (${Math.round((100 * n) / Math.max(1, total))}%)`),
      },
    );
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
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
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
      const files = writeReport(report, opts.out);
      process.stdout.write(
        `${JSON.stringify({ ...files, alerts: report.alerts.length, gpus: report.gpus.length, events: report.events })}\n`,
      );
    });
}
