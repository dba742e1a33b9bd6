import { SilenceLabel, ValidationError, type Matcher } from '@vgpu-twin/contracts';
import fc from 'fast-check';
import { compileMatchers, formatMatcher, parseMatcher, validateSilenceMatchers } from './matchers';

const labels = { cluster: 'cluster-a', gpu: 'gpu-1', vm: 'vm-1', kind: 'interference', severity: 'warning' };
const matches = (...ms: string[]) => compileMatchers(ms.map(parseMatcher))(labels);
const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected it to throw');
};

describe('parseMatcher (Alertmanager pkg/labels/parse.go)', () => {
  it.each<[string, Matcher]>([
    ['vm=vm-1', { name: 'vm', op: '=', value: 'vm-1' }],
    ['vm!=vm-1', { name: 'vm', op: '!=', value: 'vm-1' }],
    ['vm=~vm-.*', { name: 'vm', op: '=~', value: 'vm-.*' }],
    ['vm!~vm-.*', { name: 'vm', op: '!~', value: 'vm-.*' }],
    // spaces around the operator and at the ends go; spaces inside quotes stay
    ['  gpu  =~  "gpu-1"  ', { name: 'gpu', op: '=~', value: 'gpu-1' }],
    ['vm = " vm 1 "', { name: 'vm', op: '=', value: ' vm 1 ' }],
    // the first operator wins: the rest is the value
    ['vm=~a=b!=c!~d', { name: 'vm', op: '=~', value: 'a=b!=c!~d' }],
    ['vm==x', { name: 'vm', op: '=', value: '=x' }],
    // Go-style escapes, quoted or not; a spurious escape keeps its backslash
    ['workload="a\\"b"', { name: 'workload', op: '=', value: 'a"b' }],
    ['workload="a\\\\b"', { name: 'workload', op: '=', value: 'a\\b' }],
    ['workload="a\\nb"', { name: 'workload', op: '=', value: 'a\nb' }],
    ['workload=a\\"b', { name: 'workload', op: '=', value: 'a"b' }],
    ['workload=~"gpu\\d+"', { name: 'workload', op: '=~', value: 'gpu\\d+' }],
    ['workload=a\\', { name: 'workload', op: '=', value: 'a\\' }], // a lone trailing backslash is literal
    ['vm=', { name: 'vm', op: '=', value: '' }],
    ['vm=""', { name: 'vm', op: '=', value: '' }],
    ['vm="é 😀"', { name: 'vm', op: '=', value: 'é 😀' }],
  ])('given %j, then it reads %j', (text, expected) => {
    expect(parseMatcher(text)).toEqual(expected);
  });

  it.each([
    ['vm', /bad matcher format: 'vm'/],
    ['vm~=x', /bad matcher format: 'vm~=x'/],
    ['=x', /bad matcher format: '=x'/],
    ['1vm=x', /bad matcher format: '1vm=x'/],
    ['job=api', /unknown label 'job' in matcher 'job=api': silences match cluster, host, gpu/],
    ['vm="x', /unescaped double quote: '"x' in 'vm="x'/], // opened, never closed
    ['vm=x"', /unescaped double quote: 'x"' in 'vm=x"'/], // closed, never opened
    ['vm="a"b"', /unescaped double quote/],
    ['vm=~"(unclosed"', /invalid regular expression in matcher vm=~"\(unclosed"/],
    ['vm=~"a(?=b)"', /lookaround is not supported by RE2/],
    ['vm=~"(a)\\\\1"', /RE2 has no backreferences/],
  ])('given %j, then it throws a ValidationError naming the problem and the text', (text, message) => {
    const e = thrown(() => parseMatcher(text));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toMatch(message);
  });

  it('given a value with a lone surrogate (not UTF-8), then it throws', () => {
    expect(() => parseMatcher('vm=\uD800')).toThrow(/not valid UTF-8/);
  });
});

describe('formatMatcher', () => {
  it('given a value with quotes, backslashes and a newline, then it writes it quoted and escaped as Alertmanager prints it', () => {
    expect(formatMatcher({ name: 'workload', op: '=~', value: 'a"b\\c\nd' })).toBe(
      'workload=~"a\\"b\\\\c\\nd"',
    );
  });

  it('given any matcher, then parseMatcher reads back what formatMatcher wrote', () => {
    const anyText = fc.string({ unit: 'grapheme', maxLength: 20 });
    // A regex must compile: quote an arbitrary string into one, or take a few real patterns.
    const regexValue = fc.oneof(
      anyText.map((s) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')),
      fc.constantFrom('vm-.*', '(a|b)+', '[^"]*', '.+\\.prod', ''),
    );
    const matcher: fc.Arbitrary<Matcher> = fc.oneof(
      fc.record({
        name: fc.constantFrom(...SilenceLabel.options),
        op: fc.constantFrom('=', '!='),
        value: anyText,
      }),
      fc.record({
        name: fc.constantFrom(...SilenceLabel.options),
        op: fc.constantFrom('=~', '!~'),
        value: regexValue,
      }),
    );
    fc.assert(fc.property(matcher, (m) => expect(parseMatcher(formatMatcher(m))).toEqual(m)));
  });
});

describe('compileMatchers (Alertmanager labels.Matcher.Matches)', () => {
  it.each<[string[], boolean, string]>([
    [['vm=vm-1'], true, 'equal'],
    [['vm=vm-2'], false, 'not equal'],
    [['vm!=vm-2'], true, 'not equal, negated'],
    [['vm=~vm-\\d'], true, 'regex over the whole value'],
    [['vm=~vm'], false, 'anchored: "vm" does not match "vm-1" (^(?:vm)$)'],
    [['vm=~-1'], false, 'anchored at the start too'],
    [['vm=~vm-1|x'], true, 'the alternation is grouped: ^(?:vm-1|x)$, not ^vm-1|x$'],
    [['vm=~x|vm'], false, 'the alternation is grouped: "x|vm" does not match "vm-1" by its prefix'],
    [['vm!~vm-.*'], false, 'negated regex'],
    [['host='], true, 'a missing label is the empty string'],
    [['host=~.*'], true, 'a missing label matches .*'],
    [['host!=""'], false, 'a missing label is not different from ""'],
    [['host=~.+'], false, 'a missing label does not match .+'],
    [['cluster=cluster-a', 'vm=vm-1'], true, 'AND: both'],
    [['cluster=cluster-a', 'vm=vm-2'], false, 'AND: one fails'],
    [[], true, 'no matchers match everything'],
    [['vm=~VM-1'], false, 'case-sensitive by default'],
    [['vm=~(?i)VM-1'], true, 'a leading (?i) ignores case, as in Go'],
    [['vm=~vm\\-1'], true, 'an escaped punctuation character is itself (RE2)'],
    [['kind=~[]a-z]+'], true, 'a ] first in a class is a literal (RE2), not an empty class'],
    [['vm=~vm{-1'], false, 'a brace that is no repeat is a literal: "vm{-1" is not "vm-1"'],
    [['vm=~vm-1{1}'], true, 'a real repeat'],
    [['vm=~\\pL\\pL-\\d'], true, "Go's one-letter Unicode class \\pL"],
    [['vm=~\\x{76}m-1'], true, "Go's \\x{76} is 'v'"],
    [['gpu=~gpu\\s?-1'], true, "Go's \\s, optional"],
  ])('given %j, then it is %s (%s)', (ms, expected) => {
    expect(matches(...ms)).toBe(expected);
  });

  it("given Go's . and a carriage return, then . matches it (JavaScript's . alone would not)", () => {
    expect(compileMatchers([{ name: 'vm', op: '=~', value: 'a.b' }])({ vm: 'a\rb' })).toBe(true);
    expect(compileMatchers([{ name: 'vm', op: '=~', value: 'a.b' }])({ vm: 'a\nb' })).toBe(false);
    expect(compileMatchers([{ name: 'vm', op: '=~', value: '(?s)a.b' }])({ vm: 'a\nb' })).toBe(true);
  });

  it("given Go's \\s, then it is ASCII whitespace only (not JavaScript's Unicode \\s)", () => {
    const m = compileMatchers([{ name: 'vm', op: '=~', value: 'a\\sb' }]);
    expect(m({ vm: 'a\tb' })).toBe(true);
    expect(m({ vm: 'a\u00a0b' })).toBe(false); // no-break space
  });

  it.each([
    ['(unclosed', /missing|Unterminated|Invalid/i],
    ['a{1001}', /invalid repeat count \{1001\}/], // RE2 allows at most 1000
    ['(?m)^a', /flag \(\?m\) is not supported/],
    ['\\Qa\\E', /escape \\Q is not supported/],
    ['(?<!a)b', /lookaround/],
  ])('given the regex %j, then it throws a ValidationError naming the matcher', (value, why) => {
    const e = thrown(() => compileMatchers([{ name: 'gpu', op: '=~', value }]));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toContain(
      `invalid regular expression in matcher gpu=~"${value.replace(/\\/g, '\\\\')}"`,
    );
    expect(e.message).toMatch(why);
  });
});

describe('validateSilenceMatchers (Alertmanager silence.validateSilence)', () => {
  const m = (...ms: string[]) => ms.map(parseMatcher);

  it('given no matchers, then it throws', () => {
    expect(() => validateSilenceMatchers([])).toThrow(
      new ValidationError('a silence needs at least one matcher'),
    );
  });

  it.each([[['vm=""']], [['vm=~".*"']], [['vm=~"(vm-1)?"', 'gpu=""']], [['host=~""']]])(
    'given %j, which all match the empty string, then it throws as Alertmanager does',
    (ms) => {
      const e = thrown(() => validateSilenceMatchers(m(...ms)));
      expect(e).toBeInstanceOf(ValidationError);
      expect(e.message).toMatch(
        /^at least one matcher must not match the empty string: \{.*\} would silence every alert$/,
      );
    },
  );

  it.each([[['vm=vm-1']], [['vm=~".+"']], [['vm=~".*"', 'gpu=gpu-1']], [['vm!="x"']], [['vm!~"vm-.*"']]])(
    'given %j, then it accepts them',
    (ms) => {
      // vm!="x" matches "" too, but Alertmanager's matchesEmpty only looks at = and =~: it accepts it.
      expect(() => validateSilenceMatchers(m(...ms))).not.toThrow();
    },
  );

  it('given an invalid regex, then it throws naming the matcher', () => {
    expect(() => validateSilenceMatchers([{ name: 'vm', op: '!~', value: '[' }])).toThrow(
      /invalid regular expression in matcher vm!~"\["/,
    );
  });
});
