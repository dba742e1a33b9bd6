/**
 * Prometheus text exposition format 0.0.4, parsed by hand: the one JavaScript parser on npm
 * (parse-prometheus-text-format 1.1.1) trims lines, returns families without line numbers and
 * throws "Encountered invalid line" without saying which, and @prometheus-io/* parse PromQL, not
 * exposition text. Where client_golang's expfmt and the Prometheus server's scraper differ, the
 * server wins: it is the one that refuses a scrape.
 *
 * Invalid text refuses the whole input (no samples, one problem naming line and column), as the
 * server drops the whole scrape. The one tolerated exception is a line that is just `...` (or `…`):
 * dcgm-exporter's README samples elide series that way, and we parse those samples, so such a line
 * is a problem of its own and parsing goes on.
 */
import { type Problem } from '../reading';

export const PROM_TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'] as const;
export type PromType = (typeof PROM_TYPES)[number];

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The sample's own timestamp (ms since the epoch); null when the line gives none. */
  timestampMs: number | null;
  /** 1-based line of the input. */
  line: number;
  /** From the family's `# TYPE` line (`x_bucket`, `x_sum`, `x_count` belong to family `x`); 'untyped' when none. */
  type: PromType;
}

export interface Exposition {
  samples: PromSample[];
  problems: Problem[];
  /** True when the text is not valid exposition text: `samples` is then empty. */
  refused: boolean;
}

interface SyntaxFault {
  column: number;
  message: string;
  field?: string;
}

export function parseExposition(text: string): Exposition {
  const lines = text.split('\n');
  const samples: PromSample[] = [];
  const problems: Problem[] = [];
  const types = new Map<string, PromType>();
  const helped = new Set<string>();
  const sampled = new Set<string>();

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] ?? '';
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const start = skipBlanks(line, 0);
    if (start === line.length) continue;

    let fault: SyntaxFault | null = null;
    if (line[start] === '#') {
      fault = readComment(line, start + 1, types, helped, sampled);
    } else if (/^(\.\.\.|…)$/.test(line.trim())) {
      problems.push({ line: lineNo, message: "not a sample line (an elision '...'?); skipped" });
      continue;
    } else {
      const read = readSample(line, start);
      if ('column' in read) {
        fault = read;
      } else {
        sampled.add(read.name);
        samples.push({ ...read, line: lineNo, type: familyType(read.name, types) });
      }
    }
    if (fault) {
      const { column, message, field } = fault;
      const problem: Problem = {
        line: lineNo,
        message: `column ${column}: ${message}; the input is refused`,
      };
      if (field !== undefined) problem.field = field;
      return { samples: [], problems: [...problems, problem], refused: true };
    }
  }
  return { samples, problems, refused: false };
}

const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const TOKEN = /[^ \t]+/y;

function matchAt(re: RegExp, text: string, pos: number): string | null {
  re.lastIndex = pos;
  const m = re.exec(text);
  return m ? m[0] : null;
}

function skipBlanks(text: string, pos: number): number {
  while (text[pos] === ' ' || text[pos] === '\t') pos++;
  return pos;
}

function fault(pos: number, message: string, field?: string): SyntaxFault {
  return field === undefined ? { column: pos + 1, message } : { column: pos + 1, message, field };
}

/** `# HELP name text`, `# TYPE name type`, or any other comment (ignored), as expfmt reads them. */
function readComment(
  line: string,
  from: number,
  types: Map<string, PromType>,
  helped: Set<string>,
  sampled: Set<string>,
): SyntaxFault | null {
  let pos = skipBlanks(line, from);
  const keyword = matchAt(TOKEN, line, pos);
  if (keyword !== 'HELP' && keyword !== 'TYPE') return null;
  pos = skipBlanks(line, pos + keyword.length);
  if (pos === line.length) return null; // `# HELP` alone: a comment, as expfmt has it
  const name = matchAt(METRIC_NAME, line, pos);
  const after = pos + (name?.length ?? 0);
  if (name === null || (after < line.length && line[after] !== ' ' && line[after] !== '\t')) {
    return fault(name === null ? pos : after, `not a metric name in a ${keyword} line`);
  }
  pos = skipBlanks(line, after);
  if (keyword === 'HELP') {
    // The docstring itself (escapes `\\`, `\n`) is not kept: samples carry no help text.
    if (helped.has(name)) return fault(from - 1, `a second HELP line for ${name}`, name);
    helped.add(name);
    return null;
  }
  if (pos === line.length) return null; // `# TYPE name` with no type: not a syntax error in expfmt
  const type = matchAt(TOKEN, line, pos) ?? '';
  if (!(PROM_TYPES as readonly string[]).includes(type)) {
    return fault(pos, `unknown metric type "${type}"`, name);
  }
  const end = skipBlanks(line, pos + type.length);
  if (end < line.length) return fault(end, 'unexpected text after the metric type', name);
  if (types.has(name)) return fault(from - 1, `a second TYPE line for ${name}`, name);
  if (sampled.has(name)) return fault(from - 1, `the TYPE line for ${name} comes after its samples`, name);
  types.set(name, type as PromType);
  return null;
}

function readSample(line: string, from: number): Omit<PromSample, 'line' | 'type'> | SyntaxFault {
  const name = matchAt(METRIC_NAME, line, from);
  if (name === null) return fault(from, 'expected a metric name');
  let pos = from + name.length;
  const afterName = pos;
  pos = skipBlanks(line, pos);

  const labels = new Map<string, string>();
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      pos = skipBlanks(line, pos);
      if (line[pos] === '}') break;
      const label = matchAt(LABEL_NAME, line, pos);
      if (label === null) return fault(pos, "expected a label name or '}'");
      if (labels.has(label)) return fault(pos, `label ${label} appears twice`, label);
      pos = skipBlanks(line, pos + label.length);
      if (line[pos] !== '=') return fault(pos, `expected '=' after label ${label}`, label);
      pos = skipBlanks(line, pos + 1);
      if (line[pos] !== '"') return fault(pos, `expected '"' to open the value of label ${label}`, label);
      const value = readQuoted(line, pos + 1);
      if (value === null) return fault(pos, `the value of label ${label} is not closed`, label);
      labels.set(label, value.text);
      pos = skipBlanks(line, value.end);
      if (line[pos] === ',') {
        pos++;
        continue;
      }
      if (line[pos] === '}') break;
      return fault(pos, `expected ',' or '}' after the value of label ${label}`, label);
    }
    pos = skipBlanks(line, pos + 1);
  } else if (pos === afterName) {
    return fault(pos, "expected a blank or '{' after the metric name", name);
  }

  const valueText = matchAt(TOKEN, line, pos);
  if (valueText === null) return fault(pos, `expected a value for ${name}`, name);
  const value = parseGoFloat(valueText);
  if (value === null) return fault(pos, `not a number: "${valueText}"`, name);
  pos = skipBlanks(line, pos + valueText.length);

  let timestampMs: number | null = null;
  if (pos < line.length) {
    const tsText = matchAt(TOKEN, line, pos) ?? '';
    timestampMs = parseInt64(tsText);
    if (timestampMs === null) return fault(pos, `not a timestamp in integer ms: "${tsText}"`, name);
    pos = skipBlanks(line, pos + tsText.length);
    if (pos < line.length) return fault(pos, 'unexpected text after the timestamp', name);
  }
  return { name, labels: Object.fromEntries(labels), value, timestampMs };
}

/**
 * A label value after its opening quote, up to the closing one. `\\`, `\"` and `\n` are the
 * format's escapes; any other backslash pair is kept as written, as the server's parser does.
 */
function readQuoted(line: string, from: number): { text: string; end: number } | null {
  let text = '';
  for (let pos = from; pos < line.length; pos++) {
    const c = line[pos];
    if (c === '"') return { text, end: pos + 1 };
    if (c === '\\' && pos + 1 < line.length) {
      const next = line[++pos];
      text += next === 'n' ? '\n' : next === '"' || next === '\\' ? next : `\\${next}`;
    } else {
      text += c;
    }
  }
  return null;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/;

/** What Go's strconv.ParseFloat accepts (the format defers to it), or null; overflow is an error there too. */
export function parseGoFloat(text: string): number | null {
  if (/^nan$/i.test(text)) return NaN;
  const inf = /^([+-]?)inf(?:inity)?$/i.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  let value: number;
  const hex = HEX.exec(text);
  if (hex) {
    const [, sign, whole = '', frac = '', exp = '0'] = hex;
    if (whole === '' && frac === '') return null;
    const mantissa = parseInt(`${whole}${frac}`, 16);
    value = mantissa === 0 ? 0 : mantissa * 2 ** (Number(exp) - 4 * frac.length);
    if (sign === '-') value = -value;
  } else if (DECIMAL.test(text)) {
    value = Number(text);
  } else {
    return null;
  }
  return Number.isFinite(value) ? value : null;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function parseInt64(text: string): number | null {
  if (!/^[+-]?\d+$/.test(text)) return null;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? null : Number(n);
}

function familyType(name: string, types: ReadonlyMap<string, PromType>): PromType {
  const own = types.get(name);
  if (own) return own;
  const m = /^(.+)_(bucket|sum|count)$/.exec(name);
  if (!m) return 'untyped';
  const [, base = '', suffix] = m;
  const family = types.get(base);
  if (family === 'histogram' || (family === 'summary' && suffix !== 'bucket')) return family;
  return 'untyped';
}
