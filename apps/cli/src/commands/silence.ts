import { Option, InvalidArgumentError, type Command } from 'commander';
import { formatMatcher, parseMatcher, validateSilenceMatchers } from '@vgpu-twin/alerting';
import { SilenceLabel, SilenceView, ValidationError } from '@vgpu-twin/contracts';
import { z } from 'zod';
import { failOption } from './options';

/** The all-in-one process (`npm start`) serves the notifier's API on its one port. */
const DEFAULT_URL = 'http://127.0.0.1:8080';
const TIMEOUT_MS = 10_000;
const STATES = ['pending', 'active', 'expired'] as const;
type SilenceState = (typeof STATES)[number];
// The notifier's `duration`: a whole number of hours, minutes or seconds (docs: "2h" | "30m" | "45s").
const DURATION = /^[1-9]\d*[hms]$/;
// A zone is required: a time without one would be read in the local zone of whoever runs the CLI.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

const SilenceAnswer = z.object({ silence: SilenceView });
const SilenceList = z.object({ silences: z.array(SilenceView) });

interface ClientOptions {
  url: string;
  token?: string;
  json: boolean;
}

/**
 * `vgpu-twin silence add|list|expire`: Alertmanager-style silences, through the notifier's HTTP
 * API (`/v1/silences`). Matchers are checked here with the notifier's own parser before any
 * request, so a typo is refused naming it. Exit 0 on success, 1 when the notifier cannot be
 * reached or refuses (one line on stderr), 2 for a bad option or matcher.
 */
export function registerSilenceCommands(program: Command): void {
  const silence = program
    .command('silence')
    .description(
      "Silences: mute the notifier's alerts that match label matchers, for a while (as Alertmanager's)",
    );

  clientOptions(silence.command('add'))
    .description('create a silence; prints its id on stdout (a one-line summary on stderr)')
    .argument('<matcher...>', `label matchers, all of which must match: name=value, !=, =~regex, !~regex`)
    .option('--duration <d>', 'how long it lasts from its start: 2h, 30m, 45s', '2h')
    .option('--ends <ISO>', 'when it ends, instead of --duration (ISO-8601 with a zone)')
    .option('--starts <ISO>', "when it starts (ISO-8601 with a zone); default: now, the notifier's clock")
    .addOption(authorOption())
    .option('--comment <text>', 'why (required, as amtool requires one)')
    .addHelpText(
      'after',
      examples(
        'vgpu-twin silence add vm=vm-3 --comment "driver upgrade"',
        'vgpu-twin silence add \'kind=~"drift|interference"\' gpu!=gpu-1 --duration 30m --comment "recalibrating"',
        'vgpu-twin silence add cluster=a --starts 2026-06-01T22:00:00Z --ends 2026-06-02T02:00:00Z --comment "maintenance window"',
      ) + `\nMatcher labels: ${SilenceLabel.options.join(', ')}.\n`,
    )
    .action(async function (this: Command, texts: string[]) {
      const o = this.opts<
        ClientOptions & AuthorOption & { duration: string; ends?: string; starts?: string; comment?: string }
      >();
      const client = connect(this, o);
      checkMatchers(this, texts);
      if (!o.comment?.trim()) failOption(this, '--comment', 'is required: say why the alerts are silenced');
      if (!DURATION.test(o.duration))
        failOption(
          this,
          '--duration',
          `'${o.duration}' must be a whole number of hours, minutes or seconds, e.g. 2h, 30m, 45s`,
        );
      if (o.ends !== undefined && this.getOptionValueSource('duration') !== 'default')
        failOption(this, '--ends', 'cannot be used with --duration: give one of them');
      const startsAt = o.starts !== undefined ? instant(this, '--starts', o.starts) : undefined;
      const endsAt = o.ends !== undefined ? instant(this, '--ends', o.ends) : undefined;
      if (startsAt !== undefined && endsAt !== undefined && endsAt <= startsAt)
        failOption(this, '--ends', `${endsAt} must be after --starts ${startsAt}`);
      const body = {
        // as typed: the notifier parses them itself (checked above with the same parser)
        matchers: texts,
        ...(startsAt !== undefined ? { startsAt } : {}),
        ...(endsAt !== undefined ? { endsAt } : { duration: o.duration }),
        createdBy: author(this, o),
        comment: o.comment.trim(),
      };
      const { json, value } = await client.request('POST', '/v1/silences', SilenceAnswer, body);
      if (o.json) return print(json);
      process.stdout.write(`${value.silence.silenceId}\n`);
      process.stderr.write(`${summary(value.silence)}\n`);
    });

  clientOptions(silence.command('list'))
    .description('list the silences: id, state, matchers, starts, ends, created by, comment')
    .addOption(
      new Option('--state <state>', 'only the silences in this state').choices(STATES).argParser(stateChoice),
    )
    .addHelpText(
      'after',
      examples(
        'vgpu-twin silence list',
        'vgpu-twin silence list --state active',
        'vgpu-twin silence list --json',
      ),
    )
    .action(async function (this: Command) {
      const o = this.opts<ClientOptions & { state?: SilenceState }>();
      const client = connect(this, o);
      const query = o.state !== undefined ? `?state=${o.state}` : '';
      const { json, value } = await client.request('GET', '/v1/silences', SilenceList, undefined, query);
      if (o.json) return print(json);
      process.stdout.write(
        table([
          ['ID', 'STATE', 'MATCHERS', 'STARTS', 'ENDS', 'CREATED BY', 'COMMENT'],
          ...value.silences.map((s) => [
            s.silenceId,
            s.state,
            s.matchers.map(formatMatcher).join(' '),
            s.startsAt,
            s.endsAt,
            s.createdBy,
            s.comment,
          ]),
        ]),
      );
    });

  clientOptions(silence.command('expire'))
    .description('expire silences now, by id; prints each expired id')
    .argument('<id...>', 'silence ids, as `silence list` shows them')
    .addOption(authorOption())
    .addHelpText(
      'after',
      examples(
        'vgpu-twin silence expire 3f2a9c',
        'vgpu-twin silence expire 3f2a9c 77b01e --author alice',
        'vgpu-twin silence list --state active --json | jq -r ".silences[].silenceId" | xargs vgpu-twin silence expire',
      ),
    )
    .action(async function (this: Command, ids: string[]) {
      const o = this.opts<ClientOptions & AuthorOption>();
      const client = connect(this, o);
      const by = encodeURIComponent(author(this, o));
      // one at a time, stopping at the first refusal: what was expired before it is printed
      for (const id of ids) {
        const path = `/v1/silences/${encodeURIComponent(id)}`;
        const { json, value } = await client.request('DELETE', path, SilenceAnswer, undefined, `?by=${by}`);
        if (o.json) print(json);
        else process.stdout.write(`${value.silence.silenceId}\n`);
      }
    });
}

function clientOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', "the notifier's base URL").env('NOTIFIER_URL').default(DEFAULT_URL))
    .addOption(
      new Option('--token <token>', 'API token, sent as Authorization: Bearer').env('NOTIFIER_API_TOKEN'),
    )
    .option('--json', "print the API's JSON instead of a table", false);
}

interface AuthorOption {
  author?: string;
}

function authorOption(): Option {
  return new Option('--author <name>', 'who does it (default: $USER, else "cli")');
}

function author(cmd: Command, o: AuthorOption): string {
  if (o.author === undefined) return process.env['USER']?.trim() || 'cli';
  if (!o.author.trim()) failOption(cmd, '--author', 'must not be empty');
  return o.author.trim();
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}\n`).join('')}`;
}

/** commander's `choices` refuses with exit code 1, the code of a failed request here: a bad option exits 2. */
function stateChoice(value: string): SilenceState {
  const state = STATES.find((s) => s === value);
  if (state !== undefined) return state;
  const e = new InvalidArgumentError(`Allowed choices are ${STATES.join(', ')}.`);
  e.exitCode = 2;
  throw e;
}

/** The notifier's own checks, before any request: its parser, and its refusal of a silence that mutes everything. */
function checkMatchers(cmd: Command, texts: readonly string[]): void {
  try {
    validateSilenceMatchers(texts.map(parseMatcher));
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    // the message names the matcher: "unknown label 'vmm' in matcher 'vmm=vm-3': …"
    cmd.error(`error: ${e.message}`, { exitCode: 2, code: 'vgpu-twin.invalidMatcher' });
  }
}

function instant(cmd: Command, option: string, text: string): string {
  const ms = Date.parse(text);
  if (!ISO_TIME.test(text) || Number.isNaN(ms))
    failOption(cmd, option, `'${text}' must be an ISO-8601 time with a zone, e.g. 2026-06-01T22:00:00Z`);
  return new Date(ms).toISOString();
}

function summary(s: SilenceView): string {
  const matchers = s.matchers.map(formatMatcher).join(' ');
  return `silence ${s.silenceId} ${s.state} from ${s.startsAt} until ${s.endsAt}, by ${s.createdBy}: ${matchers} (${s.comment})`;
}

function print(json: unknown): void {
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

/** Columns padded to their widest cell; the last is not padded. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .map((line) => `${line.trimEnd()}\n`)
    .join('');
}

/** A failure of the notifier or of the way to it: one line, exit code 1, no help (it is not a usage error). */
function fail(cmd: Command, line: string): never {
  cmd.showHelpAfterError(false);
  cmd.error(line, { exitCode: 1, code: 'vgpu-twin.notifier' });
}

function connect(cmd: Command, o: ClientOptions) {
  let base: URL;
  try {
    base = new URL(o.url);
  } catch {
    failOption(cmd, '--url', `'${o.url}' is not a URL, e.g. ${DEFAULT_URL}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    failOption(cmd, '--url', `'${o.url}' must be an http(s) URL`);
  const root = o.url.replace(/\/+$/, '');
  const token = o.token?.trim();
  return {
    /** One call; answers the parsed body, or ends the command with one line on stderr. */
    async request<S extends z.ZodType>(
      method: 'GET' | 'POST' | 'DELETE',
      path: string,
      schema: S,
      body?: unknown,
      query = '',
    ): Promise<{ json: unknown; value: z.output<S> }> {
      let res: Response;
      let text: string;
      try {
        res = await fetch(`${root}${path}${query}`, {
          method,
          headers: {
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        text = await res.text();
      } catch (e) {
        fail(cmd, `cannot reach the notifier at ${root}: ${reasonOf(e)}`);
      }
      const json = parseJson(text);
      if (!res.ok) {
        const hint = res.status === 401 && !token ? ' (pass --token or set NOTIFIER_API_TOKEN)' : '';
        fail(
          cmd,
          `the notifier answered ${res.status} ${res.statusText} to ${method} ${path}: ${apiError(json, text)}${hint}`,
        );
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
        fail(
          cmd,
          `the notifier's answer to ${method} ${path} is not what its API describes: ${where}${issue?.message ?? 'unreadable'}`,
        );
      }
      return { json, value: parsed.data };
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The API's `{"error": "…"}`, else the start of whatever the body was. */
function apiError(json: unknown, text: string): string {
  if (typeof json === 'object' && json !== null && 'error' in json && typeof json.error === 'string')
    return json.error;
  const line = text.replace(/\s+/g, ' ').trim();
  return line === '' ? '(no message)' : line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function reasonOf(e: unknown): string {
  // read by shape, not `instanceof Error`: fetch's errors come from Node's realm, not always the caller's
  const { name, message, cause } = (e ?? {}) as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  // undici's "fetch failed" says nothing; its cause says why (connect ECONNREFUSED 127.0.0.1:8080)
  const why = (cause ?? {}) as { message?: unknown; code?: unknown };
  for (const reason of [why.message, why.code, message])
    if (typeof reason === 'string' && reason) return reason;
  return String(e);
}
