import { SilenceLabel, ValidationError, type Matcher, type MatcherOp } from '@vgpu-twin/contracts';

/**
 * Alertmanager's label matchers (pkg/labels/parse.go, matcher.go; silence/silence.go): how a
 * silence is written, read back and applied, with Alertmanager's quirks kept on purpose so that
 * a silence means the same here as in Alertmanager.
 */

type Labels = Readonly<Record<string, string>>;

// Go's \s is ASCII only: [\t\n\f\r ].
const GO_SPACE = '[\\t\\n\\f\\r ]';
// parse.go's `^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$`: '=~' before '='
// so that `a=~b` is not read as `a = "~b"`.
const MATCHER_SYNTAX = new RegExp(
  `^${GO_SPACE}*([a-zA-Z_:][a-zA-Z0-9_:]*)${GO_SPACE}*(=~|=|!=|!~)${GO_SPACE}*([\\s\\S]*?)${GO_SPACE}*$`,
);
const LONE_SURROGATE = /\p{Surrogate}/u; // what Go calls "not valid UTF-8" in a JS string
const SILENCE_LABELS: readonly string[] = SilenceLabel.options;

/** Reads `name=value`, `name!=value`, `name=~regex` or `name!~regex`; the value may be "quoted". */
export function parseMatcher(text: string): Matcher {
  const parts = MATCHER_SYNTAX.exec(text);
  if (!parts) {
    throw new ValidationError(
      `bad matcher format: '${text}' (write name=value, name!=value, name=~regex or name!~regex)`,
    );
  }
  const [, name = '', op = '', raw = ''] = parts;
  if (!SILENCE_LABELS.includes(name)) {
    throw new ValidationError(
      `unknown label '${name}' in matcher '${text}': silences match ${SILENCE_LABELS.join(', ')}`,
    );
  }
  if (LONE_SURROGATE.test(raw)) throw new ValidationError(`matcher value not valid UTF-8: '${text}'`);
  const matcher = { name: name as SilenceLabel, op: op as MatcherOp, value: unescapeValue(raw, text) };
  if (isRegex(matcher.op)) goRegex(matcher);
  return matcher;
}

/**
 * parse.go's unescaping: a leading `"` asks for a trailing one; `\n`, `\"` and `\\` are escapes,
 * any other backslash is literal; an unescaped `"` anywhere else is an error.
 */
function unescapeValue(raw: string, text: string): string {
  const quoted = raw.startsWith('"');
  const chars = Array.from(quoted ? raw.slice(1) : raw);
  const unescapedQuote = () =>
    new ValidationError(`matcher value contains unescaped double quote: '${raw}' in '${text}'`);
  let value = '';
  let closed = !quoted;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const last = i === chars.length - 1;
    if (c === '\\' && !last) {
      const next = chars[++i]!;
      value += next === 'n' ? '\n' : next === '"' || next === '\\' ? next : `\\${next}`;
    } else if (c === '"') {
      if (closed || !last) throw unescapedQuote();
      closed = true;
    } else {
      value += c;
    }
  }
  if (!closed) throw unescapedQuote();
  return value;
}

/** `name=~"value"`, quoted and escaped as Alertmanager prints a matcher; parseMatcher reads it back. */
export function formatMatcher(m: Matcher): string {
  const escaped = m.value.replace(/[\\\n"]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
  return `${m.name}${m.op}"${escaped}"`;
}

/** One predicate for all the matchers (AND). A label the alert lacks is the empty string. */
export function compileMatchers(ms: readonly Matcher[]): (labels: Labels) => boolean {
  const tests = ms.map(compileMatcher);
  return (labels) => tests.every((test) => test(labels));
}

function compileMatcher(m: Matcher): (labels: Labels) => boolean {
  const valueOf = (labels: Labels) => labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return (labels) => valueOf(labels) === m.value;
    case '!=':
      return (labels) => valueOf(labels) !== m.value;
    case '=~': {
      const re = goRegex(m);
      return (labels) => re.test(valueOf(labels));
    }
    case '!~': {
      const re = goRegex(m);
      return (labels) => !re.test(valueOf(labels));
    }
  }
}

/**
 * Throws what Alertmanager's validateSilence refuses: no matchers, a bad regex, or matchers that
 * all match the empty string (the silence would mute every alert). As in Alertmanager only `=` and
 * `=~` count as matching the empty string: `vm!="x"` alone is accepted although it matches "".
 */
export function validateSilenceMatchers(ms: readonly Matcher[]): void {
  if (ms.length === 0) throw new ValidationError('a silence needs at least one matcher');
  ms.forEach((m) => isRegex(m.op) && goRegex(m));
  if (ms.every(matchesEmpty)) {
    throw new ValidationError(
      `at least one matcher must not match the empty string: {${ms.map(formatMatcher).join(', ')}} would silence every alert`,
    );
  }
}

function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '=~':
      return goRegex(m).test('');
    case '!=':
    case '!~':
      return false;
  }
}

const isRegex = (op: MatcherOp) => op === '=~' || op === '!~';

/**
 * A matcher's value as Alertmanager compiles it: RE2 syntax, fully anchored as `^(?:value)$`.
 * JavaScript's Unicode-mode dialect agrees with RE2 on the common syntax; `translateRe2` rewrites
 * the places where they differ and rejects what RE2 rejects (lookaround, backreferences), so a
 * regex accepted here is accepted by Alertmanager and matches the same strings. Go-only syntax
 * with no JavaScript equivalent (`\pL`, `\Q…\E`, `[[:alpha:]]`, `\A`, `\z`, flags after the
 * start) is refused rather than read differently.
 */
function goRegex(m: Matcher): RegExp {
  try {
    const { source, flags } = translateRe2(m.value);
    return new RegExp(`^(?:${source})$`, flags);
  } catch (e) {
    throw new ValidationError(
      `invalid regular expression in matcher ${formatMatcher(m)}: ${(e as Error).message}`,
    );
  }
}

const GO_FLAGS = /^\(\?([a-zA-Z]+)\)/;
const REPEAT = /^\{(\d+)(,(\d*))?\}/;
const MAX_REPEAT = 1000; // RE2's limit on {n,m}: "invalid repeat count" above it

function translateRe2(pattern: string): { source: string; flags: string } {
  let rest = pattern;
  let ignoreCase = false;
  let dotAll = false;
  const leading = GO_FLAGS.exec(rest);
  if (leading) {
    for (const f of leading[1]!) {
      if (f === 'i') ignoreCase = true;
      else if (f === 's') dotAll = true;
      else throw new Error(`flag (?${f}) is not supported`);
    }
    rest = rest.slice(leading[0].length);
  }
  const chars = Array.from(rest);
  let out = '';
  let inClass = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const next = chars[i + 1];
    if (c === '\\') {
      if (next === undefined) throw new Error('trailing backslash');
      if (next === 'x' && chars[i + 2] === '{') {
        // Go's \x{10FFFF} is JavaScript's \u{10FFFF}.
        const close = chars.indexOf('}', i + 3);
        if (close < 0) throw new Error('unterminated \\x{');
        out += `\\u{${chars.slice(i + 3, close).join('')}}`;
        i = close;
      } else if ((next === 'p' || next === 'P') && chars[i + 2] === '{') {
        const close = chars.indexOf('}', i + 3);
        if (close < 0) throw new Error(`unterminated \\${next}{`);
        out += chars.slice(i, close + 1).join('');
        i = close;
      } else if (next === 'p' || next === 'P') {
        // Go's one-letter class \pL is \p{L}.
        const name = chars[i + 2];
        if (name === undefined) throw new Error(`\\${next} needs a class name`);
        out += `\\${next}{${name}}`;
        i += 2;
      } else {
        out += translateEscape(next, inClass);
        i++;
      }
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += '[';
      if (next === '^') out += chars[++i];
      // RE2 reads a `]` right after `[` or `[^` as a literal; JavaScript as the end of an empty class.
      if (chars[i + 1] === ']') {
        out += '\\]';
        i++;
      }
    } else if (c === '(' && next === '?') {
      const ahead = chars.slice(i + 2, i + 4).join('');
      if (/^(=|!|<=|<!)/.test(ahead)) throw new Error('lookaround is not supported by RE2');
      if (ahead[0] === 'P' && ahead[1] === '<') {
        out += '(?<';
        i += 3;
      } else {
        out += c;
      }
    } else if (c === '.') {
      // Go's `.` excludes only \n; JavaScript's also excludes \r, U+2028 and U+2029.
      out += dotAll ? '[\\s\\S]' : '[^\\n]';
    } else if (c === '{' || c === '}') {
      // RE2 reads a brace that does not start {n}, {n,} or {n,m} as a literal.
      const repeat = c === '{' ? REPEAT.exec(chars.slice(i).join('')) : null;
      if (!repeat) {
        out += `\\${c}`;
        continue;
      }
      const counts = [repeat[1], repeat[3]].filter((n): n is string => !!n).map(Number);
      if (counts.some((n) => n > MAX_REPEAT)) throw new Error(`invalid repeat count ${repeat[0]}`);
      out += repeat[0];
      i += repeat[0].length - 1;
    } else {
      out += c;
    }
  }
  return { source: out, flags: ignoreCase ? 'iu' : 'u' };
}

// Escapes that mean the same in RE2 and in JavaScript's Unicode mode (\x takes two hex digits);
// every other letter or digit is refused.
const SHARED_ESCAPES = new Set(['d', 'D', 'w', 'W', 't', 'n', 'r', 'f', 'v', 'x', 'S']);

function translateEscape(c: string, inClass: boolean): string {
  // RE2: an escaped ASCII punctuation character is itself; JavaScript's Unicode mode refuses most.
  if (/^[!-/:-@[-`{-~ ]$/.test(c)) return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  // Go's \s is [\t\n\f\r ]; JavaScript's also takes \v and Unicode spaces.
  if (c === 's') return inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
  if (c === 'S' && !inClass) return '[^\\t\\n\\f\\r ]';
  if (SHARED_ESCAPES.has(c) || ((c === 'b' || c === 'B') && !inClass)) return `\\${c}`;
  if (/^[0-9]$/.test(c) || c === 'k') throw new Error(`\\${c}: RE2 has no backreferences`);
  throw new Error(`the escape \\${c} is not supported`);
}
