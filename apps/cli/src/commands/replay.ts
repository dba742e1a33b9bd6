import { Progress } from '../progress';
import { Streams, SchedulingPolicy, type StreamName } from '@vgpu-twin/contracts';
import type { EventLog, LogRecord, PartitionRange, RangeReader } from '@vgpu-twin/event-log';
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
import { deserializeState, startReplay, type ReplayReport, type TwinInput } from '@vgpu-twin/twin-core';
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

/**
 * Records pulled from one partition at a time: bounds memory whatever the window's size. Records,
 * not events: a packed record holds up to INGEST_PACK_MAX_EVENTS (500) events, so chunks are
 * small and each record is decoded only when the merge reaches it.
 */
const READ_CHUNK = 200;
/** Telemetry records read past the first one later than --to: event time is not monotonic in a partition. */
const LATE_SLACK = 2_000;

const rank = (stream: string) => (stream === Streams.inventory ? 0 : 1);

interface Cursor {
  readonly partition: number;
  readonly rank: number;
  readonly reader: RangeReader;
  /** The chunk read, and the next of its records to decode. */
  records: readonly LogRecord[];
  next: number;
  /** The events of the record being merged. */
  buffer: readonly Decoded[];
  at: number;
  done: boolean;
}

/** Which records of each partition the replay needs: from the snapshot's offsets up to --to (+ slack). */
async function rangesOf(
  log: EventLog,
  stream: StreamName,
  toMs: number,
  startAt: Readonly<Record<string, number>>,
): Promise<PartitionRange[]> {
  const ends = await log.endOffsets(stream);
  const stops = await log.offsetsForTimestamp(stream, toMs + 1);
  return ends.map(({ partition, offset: end }) => ({
    partition,
    from: startAt[`${stream}/${partition}`] ?? 0,
    // the inventory is small: read it whole
    to:
      stream === Streams.inventory
        ? end
        : Math.min(end, (stops.find((s) => s.partition === partition)?.offset ?? end) + LATE_SLACK),
  }));
}

/**
 * Feeds every event of the inventory and telemetry streams up to `toMs` into `apply`, merged
 * across partitions by (event time, stream, partition, offset) — an order that depends only on
 * the log's contents — holding at most a chunk per partition in memory. Undecodable records are
 * counted and skipped.
 */
async function mergeLog(
  log: EventLog,
  toMs: number,
  startAt: Readonly<Record<string, number>>,
  apply: (event: TwinInput) => void,
  progress: (read: number, total: number) => void,
): Promise<{ bad: number }> {
  const cursors: Cursor[] = [];
  const readers: RangeReader[] = [];
  let total = 0;
  let bad = 0;
  let read = 0;
  const fill = async (c: Cursor): Promise<void> => {
    while (c.at >= c.buffer.length && !c.done) {
      if (c.next < c.records.length) {
        const decoded = decodeRecords([c.records[c.next++]!]);
        bad += decoded.bad.length;
        c.buffer = decoded.events;
        c.at = 0;
        continue;
      }
      const records = await c.reader.next(c.partition);
      if (records.length === 0) {
        c.done = true;
        break;
      }
      read += records.length;
      c.records = records;
      c.next = 0;
      progress(read, total);
    }
  };
  const before = (a: Cursor, b: Cursor): boolean => {
    const x = a.buffer[a.at]!;
    const y = b.buffer[b.at]!;
    if (x.event.ts !== y.event.ts) return x.event.ts < y.event.ts;
    if (a.rank !== b.rank) return a.rank < b.rank;
    if (a.partition !== b.partition) return a.partition < b.partition;
    return x.record.offset < y.record.offset;
  };
  try {
    for (const stream of [Streams.inventory, Streams.telemetry] as const) {
      const ranges = (await rangesOf(log, stream, toMs, startAt)).filter((r) => r.from < r.to);
      total += ranges.reduce((n, r) => n + r.to - r.from, 0);
      const reader = await log.openReader(stream, ranges, READ_CHUNK);
      readers.push(reader);
      for (const r of ranges)
        cursors.push({
          partition: r.partition,
          rank: rank(stream),
          reader,
          records: [],
          next: 0,
          buffer: [],
          at: 0,
          done: false,
        });
    }
    for (const c of cursors) await fill(c);
    let live = cursors.filter((c) => c.at < c.buffer.length);
    while (live.length > 0) {
      let next = live[0]!;
      for (let i = 1; i < live.length; i++) if (before(live[i]!, next)) next = live[i]!;
      apply(next.buffer[next.at]!.event as TwinInput);
      if (++next.at >= next.buffer.length) {
        await fill(next);
        if (next.at >= next.buffer.length) live = live.filter((c) => c !== next);
      }
    }
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
  return { bad };
}

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
    const { bad } = await mergeLog(
      eventLog,
      Date.parse(options.to),
      snapshot?.offsets ?? {},
      (event) => run.apply(event),
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
