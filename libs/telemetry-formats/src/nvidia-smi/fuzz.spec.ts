/**
 * Property tests: the real captures, damaged at random (lines deleted, duplicated, swapped; text
 * inserted, unicode included; the input cut short; numbers replaced by huge, negative or non-numeric
 * text; XML tags broken), must never make a parser throw, and every outcome must keep the
 * invariants: problems at integer lines within the input, each naming a field, and only finite
 * numbers (or null) in readings. Seeds are fixed, so a failure reproduces.
 */
import fc from 'fast-check';
import { type ParseOutcome } from '../reading';
import { parseComputeAppsCsv } from './compute-apps-csv';
import { parseDmon } from './dmon';
import { parseNvidiaSmiQ } from './q-text';
import { parseQueryGpuCsv } from './query-gpu-csv';
import { invariantViolations, readFixture, readSample } from './testing/samples';
import { parseNvidiaSmiVgpuQ } from './vgpu-q';
import { parseNvidiaSmiXml } from './xml';

type Parser = (text: string) => ParseOutcome;

const KINDS = ['delete', 'duplicate', 'swap', 'insert', 'truncate', 'number', 'tag'] as const;
interface Mutation {
  kind: (typeof KINDS)[number];
  a: number;
  b: number;
  text: string;
}

/** Text worth inserting: each format's separators and notes, and arbitrary code points. */
const INSERTS = [
  ' : ',
  ', ',
  ',',
  '"',
  '<',
  '>',
  '</',
  '/>',
  '#',
  '\t',
  '\r',
  '\n',
  '\uFEFF',
  '[N/A]',
  ' - ',
  '&',
  ']]>',
];
/** What a number may turn into. */
const NUMBERS = [
  '1e309',
  '-1',
  '-0',
  'NaN',
  '99999999999999999999999999',
  '1e-400',
  'Infinity',
  '0x1F',
  '9.3e18',
  '',
  '1.2.3',
];

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom(...KINDS),
  a: fc.nat(),
  b: fc.nat(),
  text: fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom(...INSERTS)),
});

function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const i = m.a % lines.length;
  const j = m.b % lines.length;
  switch (m.kind) {
    case 'delete':
      return lines.filter((_, k) => k !== i).join('\n');
    case 'duplicate':
      return [...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)].join('\n');
    case 'swap': {
      const swapped = [...lines];
      [swapped[i], swapped[j]] = [lines[j]!, lines[i]!];
      return swapped.join('\n');
    }
    case 'insert': {
      const at = m.b % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'truncate':
      return text.slice(0, m.a % (text.length + 1));
    case 'number': {
      const numbers = [...text.matchAll(/\d+(?:\.\d+)?/g)];
      const hit = numbers[m.a % Math.max(1, numbers.length)];
      if (!hit) return text;
      return (
        text.slice(0, hit.index) + NUMBERS[m.b % NUMBERS.length]! + text.slice(hit.index + hit[0].length)
      );
    }
    case 'tag': {
      const tags = [...text.matchAll(/<\/?[A-Za-z_]/g)];
      const hit = tags[m.a % Math.max(1, tags.length)];
      if (!hit) return text;
      const at = hit.index;
      const broken = [
        text.slice(0, at) + text.slice(at + 1), // the '<' lost
        text.slice(0, at + 1) + m.text + text.slice(at + 1), // text inside the tag name
        text.slice(0, at) + '</' + text.slice(at + 1), // an opening tag turned closing
        text.slice(0, text.indexOf('>', at)) + text.slice(text.indexOf('>', at) + 1), // the '>' lost
      ];
      return broken[m.b % broken.length]!;
    }
    default: {
      const _exhaustive: never = m.kind;
      return _exhaustive;
    }
  }
}

function holdsUnderDamage(parse: Parser, original: string, seed: number, numRuns: number): void {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      const text = mutations.reduce(mutate, original);
      const outcome = parse(text);
      expect(invariantViolations(text, outcome)).toEqual([]);
      if (outcome.refused) expect(outcome.readings).toEqual([]);
    }),
    { seed, numRuns },
  );
}

/** The first two GPUs of the 8×H100 capture: the same shapes at a quarter of the parse time. */
function twoOfEightH100(): string {
  const text = readSample('nvidia-smi-q-x-8x-h100.xml');
  const third = text.indexOf('<gpu id="00000000:75:00.0">');
  return (
    text.slice(0, third).replace('<attached_gpus>8</attached_gpus>', '<attached_gpus>2</attached_gpus>') +
    '</nvidia_smi_log>\n'
  );
}

// [name, parser, text, runs]: about 3,000 runs in all.
const CASES: [string, Parser, () => string, number][] = [
  ['query-gpu L40S', parseQueryGpuCsv, () => readSample('nvidia-smi-query-gpu-l40s-load.csv'), 150],
  ['query-gpu H100', parseQueryGpuCsv, () => readSample('nvidia-smi-query-gpu-h100-load.csv'), 150],
  [
    'compute-apps load',
    parseComputeAppsCsv,
    () => readSample('nvidia-smi-query-compute-apps-h100-load.csv'),
    300,
  ],
  [
    'compute-apps idle',
    parseComputeAppsCsv,
    () => readSample('nvidia-smi-query-compute-apps-h200-idle-empty.csv'),
    100,
  ],
  ['-q -x T4', parseNvidiaSmiXml, () => readSample('nvidia-smi-q-x-aws-g4dn-t4-passthrough.xml'), 300],
  ['-q -x 2 of 8 H100', parseNvidiaSmiXml, twoOfEightH100, 150],
  ['-q H100', parseNvidiaSmiQ, () => readSample('nvidia-smi-q-h100-load.txt'), 300],
  ['-q vGPU guest', parseNvidiaSmiQ, () => readSample('nvidia-smi-q-vgpu-guest-grid-v100d-8c.txt'), 300],
  ['vgpu -q 2 GPUs 3 VMs', parseNvidiaSmiVgpuQ, () => readFixture('vgpu-q-2gpu-3vm.txt'), 300],
  ['vgpu -q restart', parseNvidiaSmiVgpuQ, () => readFixture('vgpu-q-restart.txt'), 100],
  ['vgpu -q empty', parseNvidiaSmiVgpuQ, () => readFixture('vgpu-q-empty.txt'), 100],
  ['dmon', parseDmon, () => readSample('nvidia-smi-dmon-h100-load.txt'), 300],
];

describe('nvidia-smi parsers under damage', () => {
  it.each(CASES.map(([name, parse, text, runs], k) => [name, parse, text, runs, 20260717 + k] as const))(
    '%s: no throw, problems at real lines, finite numbers',
    (_name, parse, text, runs, seed) => holdsUnderDamage(parse, text(), seed, runs),
  );

  it.each([
    ['query-gpu', parseQueryGpuCsv],
    ['compute-apps', parseComputeAppsCsv],
    ['-q -x', parseNvidiaSmiXml],
    ['-q', parseNvidiaSmiQ],
    ['vgpu -q', parseNvidiaSmiVgpuQ],
    ['dmon', parseDmon],
  ] as const)('%s: arbitrary text keeps the invariants', (_name, parse) => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(invariantViolations(text, parse(text))).toEqual([]);
      }),
      { seed: 7, numRuns: 100 },
    );
  });
});
