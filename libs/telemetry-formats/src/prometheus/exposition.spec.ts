import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDcgmBlank } from '../reading';
import { parseExposition, parseGoFloat } from './exposition';

const TELEMETRY = join(__dirname, '../../../../../shared/data/telemetry');
const sample = (file: string) => readFileSync(join(TELEMETRY, file), 'utf8');
const PROM_FILES = readdirSync(TELEMETRY).filter((f) => f.endsWith('.prom'));

describe('parseExposition on the real samples', () => {
  it('finds the five dcgm-exporter samples', () => {
    expect(PROM_FILES).toHaveLength(5);
  });

  it.each(PROM_FILES.filter((f) => !f.includes('2020')))('parses %s without refusing it', (file) => {
    const { samples, refused, problems } = parseExposition(sample(file));
    expect(refused).toBe(false);
    expect(samples.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.message.startsWith('not a sample line'))).toBe(true);
  });

  it('refuses the 2020 sample at its first sample line, where the comma is missing', () => {
    const { samples, problems, refused } = parseExposition(
      sample('dcgm-exporter-readme-2020-missing-comma.prom'),
    );
    expect(refused).toBe(true);
    expect(samples).toEqual([]);
    expect(problems).toEqual([
      { line: 7, message: expect.stringContaining("elision '...'") }, // L7: ...
      // L8: DCGM_FI_DEV_SM_CLOCK{gpu="0" UUID=…: 20-character name, `{` at 21, `gpu="0"` 22–28, blank 29, U at 30
      {
        line: 8,
        field: 'gpu',
        message: expect.stringMatching(/^column 30: expected ',' or '}' after the value of label gpu/),
      },
    ]);
  });

  it('reads the quickstart: labels with a blank after the comma, elisions as problems, the DCGM blank as a number', () => {
    const { samples, problems } = parseExposition(sample('dcgm-exporter-readme-quickstart.prom'));
    expect(problems.map((p) => p.line)).toEqual([7, 11]); // L7 and L11: ...
    expect(samples.map((s) => [s.line, s.name, s.value, s.type])).toEqual([
      [8, 'DCGM_FI_DEV_SM_CLOCK', 139, 'gauge'], // L8 … 139, L2: # TYPE DCGM_FI_DEV_SM_CLOCK gauge
      [9, 'DCGM_FI_DEV_MEM_CLOCK', 405, 'gauge'], // L9 … 405
      [10, 'DCGM_FI_DEV_MEMORY_TEMP', 9223372036854775794, 'gauge'], // L10 … 9223372036854775794
    ]);
    expect(samples[0]?.labels).toEqual({ gpu: '0', UUID: 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52' });
    expect(samples[0]?.timestampMs).toBeNull();
    expect(isDcgmBlank(samples[2]!.value)).toBe(true); // the int64 "not supported" blank, ≈ 9.22e18
  });

  it('keeps the k8s sample’s empty pod labels as empty strings', () => {
    const { samples } = parseExposition(sample('dcgm-exporter-readme-k8s.prom'));
    // L10: DCGM_FI_DEV_MEMORY_TEMP{gpu="0", UUID=…,container="",namespace="",pod=""} 9223372036854775794
    expect(samples[2]).toMatchObject({
      line: 10,
      value: 9223372036854775794,
      labels: { container: '', namespace: '', pod: '' },
    });
  });

  it('reads the 1.x textfile sample: exponents and counter types', () => {
    const { samples } = parseExposition(sample('dcgm-exporter-legacy-1x-node-exporter.prom'));
    expect(samples).toHaveLength(6);
    // L15: dcgm_total_energy_consumption{…} 7.824041e+06, L14: # TYPE … counter
    expect(samples[4]).toMatchObject({ line: 15, value: 7824041, type: 'counter' });
    expect(samples[2]).toMatchObject({ line: 9, value: 31.737 }); // L9: dcgm_power_usage{…} 31.737
  });

  it('reads the Datadog fixture: empty HELP texts, # NOTE comments, no final newline', () => {
    const text = sample('dcgm-exporter-datadog-fixture-t4.prom');
    expect(text.endsWith('\n')).toBe(false);
    const { samples, problems } = parseExposition(text);
    expect(problems).toEqual([]);
    expect(samples).toHaveLength(38); // 23 T4 samples, 14 dummy ones without labels, 1 A10G
    // L49: # HELP DCGM_FI_DEV_SLOWDOWN_TEMP (no text); L51: … 93
    expect(samples.find((s) => s.line === 51)).toMatchObject({
      name: 'DCGM_FI_DEV_SLOWDOWN_TEMP',
      value: 93,
    });
    // L74: DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS 0 (no labels), L73: # TYPE … counter
    expect(samples.find((s) => s.line === 74)).toMatchObject({ labels: {}, value: 0, type: 'counter' });
    // L116, the last line, no newline after it: DCGM_FI_PROF_DRAM_ACTIVE{…,pod="ray-1111111"} 0.000003
    expect(samples.at(-1)).toMatchObject({ line: 116, value: 0.000003, labels: { pod: 'ray-1111111' } });
  });
});

describe('parseExposition, the format', () => {
  it('unescapes label values and keeps an unknown escape as written', () => {
    const { samples } = parseExposition('m{a="x\\\\y\\"z\\nw",b="C:\\temp"} 1\n');
    expect(samples[0]?.labels).toEqual({ a: 'x\\y"z\nw', b: 'C:\\temp' });
  });

  it('allows blanks around labels, a trailing comma, empty braces and a blank before the brace', () => {
    const text = ['a{ x = "1" , y="2", } 1', 'b{} 2', 'c {x="3"} 3', '\t d 4 '].join('\n');
    const { samples, refused } = parseExposition(text);
    expect(refused).toBe(false);
    expect(samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['a', { x: '1', y: '2' }, 1],
      ['b', {}, 2],
      ['c', { x: '3' }, 3],
      ['d', {}, 4],
    ]);
  });

  it('reads NaN, ±Inf, exponents and the other forms of Go’s ParseFloat', () => {
    const values = ['NaN', '+Inf', '-Inf', 'Inf', '1e3', '-1.5E-3', '.5', '7.', '+2', '0x1p-2', '1e-400'];
    const { samples } = parseExposition(values.map((v, i) => `m{i="${i}"} ${v}`).join('\n'));
    expect(samples.map((s) => s.value)).toEqual([
      NaN,
      Infinity,
      -Infinity,
      Infinity,
      1000,
      -0.0015,
      0.5,
      7,
      2,
      0.25,
      0,
    ]);
  });

  it('reads integer millisecond timestamps, negative ones too', () => {
    const { samples } = parseExposition('m 1 1712345678901\nm{a="b"} 2 -5\nm 3\n');
    expect(samples.map((s) => s.timestampMs)).toEqual([1712345678901, -5, null]);
  });

  it('takes CRLF line ends, blank lines and other comments in its stride', () => {
    const text = '# just a comment\r\n\r\n#\r\n# TYPE m counter\r\nm 1\r\n   \r\n# HELP\r\n';
    const { samples, problems } = parseExposition(text);
    expect(problems).toEqual([]);
    expect(samples).toEqual([
      { name: 'm', labels: {}, value: 1, timestampMs: null, line: 5, type: 'counter' },
    ]);
  });

  it('types histogram and summary samples by their family, others untyped', () => {
    const text = [
      '# TYPE h histogram',
      'h_bucket{le="1"} 1',
      'h_bucket{le="+Inf"} 2',
      'h_sum 3',
      'h_count 2',
      '# TYPE s summary',
      's{quantile="0.5"} 1',
      's_sum 1',
      's_count 1',
      's_bucket 1',
      'loose 1',
    ].join('\n');
    const { samples } = parseExposition(text);
    expect(samples.map((s) => s.type)).toEqual([
      ...['histogram', 'histogram', 'histogram', 'histogram'],
      ...['summary', 'summary', 'summary', 'untyped', 'untyped'],
    ]);
  });

  it('names the ... line and goes on; a line that is more than an elision is refused', () => {
    expect(parseExposition('a 1\n  ...  \nb 2\n…\n')).toEqual({
      samples: [expect.objectContaining({ name: 'a' }), expect.objectContaining({ name: 'b' })],
      problems: [expect.objectContaining({ line: 2 }), expect.objectContaining({ line: 4 })],
      refused: false,
    });
    expect(parseExposition('a 1\n... and more\n').refused).toBe(true);
  });

  it.each([
    ['m{a="1" b="2"} 1', 1, 9, 'a', "expected ',' or '}' after the value of label a"],
    ['m{a="1} 1', 1, 5, 'a', 'the value of label a is not closed'],
    ['m{a=1} 1', 1, 5, 'a', `expected '"' to open the value of label a`],
    ['m{a} 1', 1, 4, 'a', "expected '=' after label a"],
    ['m{0a="1"} 1', 1, 3, undefined, "expected a label name or '}'"],
    ['m{a="1",a="2"} 1', 1, 9, 'a', 'label a appears twice'],
    ['m{a="1"', 1, 8, 'a', "expected ',' or '}'"],
    ['ok 1\nm 12abc', 2, 3, 'm', 'not a number: "12abc"'],
    ['m 1e400', 1, 3, 'm', 'not a number: "1e400"'],
    ['m +NaN', 1, 3, 'm', 'not a number'],
    ['m', 1, 2, 'm', "expected a blank or '{' after the metric name"],
    ['m{a="1"}', 1, 9, 'm', 'expected a value for m'],
    ['m 1 1.5', 1, 5, 'm', 'not a timestamp in integer ms: "1.5"'],
    ['m 1 99999999999999999999', 1, 5, 'm', 'not a timestamp'],
    ['m 1 2 3', 1, 7, 'm', 'unexpected text after the timestamp'],
    ['9m 1', 1, 1, undefined, 'expected a metric name'],
    ['# TYPE m gauge\n# TYPE m counter\nm 1', 2, 1, 'm', 'a second TYPE line for m'],
    ['m 1\n# TYPE m gauge', 2, 1, 'm', 'the TYPE line for m comes after its samples'],
    ['# TYPE m gauges', 1, 10, 'm', 'unknown metric type "gauges"'],
    ['# TYPE m gauge extra', 1, 16, 'm', 'unexpected text after the metric type'],
    ['# HELP m one\n# HELP m two', 2, 1, 'm', 'a second HELP line for m'],
    ['# HELP 9m text', 1, 8, undefined, 'not a metric name in a HELP line'],
    ['# TYPE m-x gauge', 1, 9, undefined, 'not a metric name in a TYPE line'],
  ])('refuses %j at line %i, column %i', (text, line, column, field, message) => {
    const { samples, problems, refused } = parseExposition(text);
    expect(refused).toBe(true);
    expect(samples).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toEqual({
      line,
      message: expect.stringContaining(`column ${column}: ${message}`),
      ...(field === undefined ? {} : { field }),
    });
  });
});

describe('parseGoFloat', () => {
  it.each([
    ['9223372036854775794', 9223372036854775794],
    ['-0x1.8p1', -3],
    ['infinity', Infinity],
    ['-INF', -Infinity],
  ])('reads %s', (text, value) => {
    expect(parseGoFloat(text)).toBe(value);
  });

  it.each(['', '1_000', '0x10', '1e', 'e3', '--1', '1,5', '٣'])('refuses %j', (text) => {
    expect(parseGoFloat(text)).toBeNull();
  });
});
