/**
 * Payloads for the HTTP fuzz of ingest (ingest.fuzz.int.spec.ts): contract events varied within
 * their schemas, the same events broken one way each, NDJSON lines, and bodies nothing should parse.
 *
 * The shapes below restate libs/contracts/src/{inventory,telemetry}.ts field by field on purpose:
 * they are the fuzz's oracle of what is valid, so they must not be derived from the schemas the
 * server validates with. The spec checks them against `parseEvent` before any HTTP is spent.
 */
import { fixtures, type EventType } from '@vgpu-twin/contracts';
import fc from 'fast-check';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { lineMutation, mutatedText } from '../../../../libs/telemetry-formats/src/testing/line-mutations';
import { encodeRemoteWrite } from '../sources/remote-write';

/** A number as its own JSON text (`-0`, `1e-400`, `1e999`): what JSON.stringify cannot write. */
export class RawNumber {
  constructor(readonly text: string) {}
}
const raw = (...texts: string[]) => fc.constantFrom(...texts.map((t) => new RawNumber(t)));
const RAW_MARK = '\u0000\uffffraw:';

/** JSON text of a value that may hold RawNumbers. */
export function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) =>
    v instanceof RawNumber ? `${RAW_MARK}${raws.push(v.text) - 1}` : v,
  );
  return (text ?? 'null').replace(/"\\u0000\uffffraw:(\d+)"/g, (_m, i: string) => raws[Number(i)]!);
}

// ---------------------------------------------------------------------------------------------
// Text

/** One unit of text: any code point, a lone surrogate, or a character that breaks naive code. */
const unicodeUnit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '\u0000',
      '"',
      '\\',
      '\u2028',
      '\ufeff',
      '\u202e',
      '😀',
      'e\u0301',
      '\n',
      '\r',
    ),
  },
);
/** At most 2·maxLength UTF-16 code units (a unit is one code point or one lone surrogate). */
export const unicodeString = (minLength: number, maxLength: number) =>
  fc.string({ unit: unicodeUnit, minLength, maxLength });

// ---------------------------------------------------------------------------------------------
// Contract shapes

type Kind =
  | 'percent' // [0, 100]
  | 'nonNegative' // ≥ 0
  | 'positive' // > 0
  | 'slowdown' // ≥ 1
  | 'number' // any finite number
  | 'entity' // string, 1..200 code points (zod and ajv both count code points)
  | 'text' // string, ≥ 1 code unit
  | 'boolean'
  | 'policy'
  | 'profile';
type Field =
  | { readonly kind: Kind; readonly optional?: true; readonly nullable?: true }
  | { readonly kind: 'object'; readonly shape: Shape };
type Shape = Readonly<Record<string, Field>>;

const f = (kind: Kind) => ({ kind });
const opt = (kind: Kind) => ({ kind, optional: true as const });
const nul = (kind: Kind) => ({ kind, nullable: true as const });

export interface Contract {
  readonly type: EventType;
  readonly version: number;
  readonly shape: Shape;
}

const features: Shape = {
  gpuUtilPct: f('percent'),
  memUtilPct: f('percent'),
  fbMib: opt('nonNegative'),
  pcieRxMBps: f('nonNegative'),
  pcieTxMBps: f('nonNegative'),
  vcpuUtilPct: opt('percent'),
  vmMemUtilPct: opt('percent'),
  threadsPerKernel: opt('nonNegative'),
  kernelMs: opt('nonNegative'),
  longKernelMs: opt('nonNegative'),
  longShortRatio: opt('nonNegative'),
};

export const contracts = {
  inventory: [
    {
      type: 'host.registered',
      version: 1,
      shape: {
        hostId: f('entity'),
        clusterId: f('entity'),
        cpuCores: opt('positive'),
        memoryMib: opt('positive'),
        homogeneousProfiles: f('boolean'),
      },
    },
    {
      type: 'gpu.registered',
      version: 1,
      shape: {
        gpuId: f('entity'),
        hostId: f('entity'),
        model: f('text'),
        framebufferMib: f('positive'),
        policy: f('policy'),
        timeSliceMs: f('positive'),
        uuid: opt('text'),
        busId: opt('text'),
      },
    },
    {
      type: 'gpu.policy_changed',
      version: 1,
      shape: { gpuId: f('entity'), policy: f('policy'), timeSliceMs: opt('positive') },
    },
    {
      type: 'vm.placed',
      version: 1,
      shape: {
        vmId: f('entity'),
        gpuId: f('entity'),
        profile: f('profile'),
        framebufferMib: f('positive'),
        workload: f('entity'),
        sloSlowdown: opt('slowdown'),
      },
    },
    {
      type: 'vm.migrated',
      version: 1,
      shape: {
        vmId: f('entity'),
        fromGpuId: f('entity'),
        toGpuId: f('entity'),
        profile: f('profile'),
        framebufferMib: f('positive'),
      },
    },
    { type: 'vm.removed', version: 1, shape: { vmId: f('entity'), gpuId: f('entity') } },
    {
      type: 'workload.profiled',
      version: 1,
      shape: {
        workload: f('entity'),
        features: { kind: 'object', shape: features },
        soloProgressRate: f('positive'),
        progressUnit: opt('text'),
      },
    },
  ],
  telemetry: [
    {
      type: 'telemetry.vm_sample',
      version: 1,
      shape: {
        vmId: f('entity'),
        gpuId: f('entity'),
        gpuUtilPct: f('percent'),
        memUtilPct: f('percent'),
        fbUsedMib: f('nonNegative'),
        pcieRxMBps: f('nonNegative'),
        pcieTxMBps: f('nonNegative'),
        vcpuUtilPct: f('percent'),
        vmMemUtilPct: f('percent'),
        progressRate: nul('nonNegative'),
      },
    },
    {
      type: 'telemetry.gpu_sample',
      version: 1,
      shape: {
        gpuId: f('entity'),
        hostId: f('entity'),
        gpuUtilPct: f('percent'),
        memUtilPct: f('percent'),
        fbUsedMib: f('nonNegative'),
        fbTotalMib: f('nonNegative'),
        powerW: opt('nonNegative'),
        temperatureC: opt('number'),
      },
    },
    {
      type: 'telemetry.vm_sample',
      version: 2,
      shape: {
        vmId: f('entity'),
        gpuId: f('entity'),
        gpuUtilPct: nul('percent'),
        memUtilPct: nul('percent'),
        fbUsedMib: nul('nonNegative'),
        pcieRxMBps: nul('nonNegative'),
        pcieTxMBps: nul('nonNegative'),
        vcpuUtilPct: nul('percent'),
        vmMemUtilPct: nul('percent'),
        progressRate: nul('nonNegative'),
      },
    },
    {
      type: 'telemetry.gpu_sample',
      version: 2,
      shape: {
        gpuId: f('entity'),
        hostId: f('entity'),
        gpuUtilPct: nul('percent'),
        memUtilPct: nul('percent'),
        fbUsedMib: nul('nonNegative'),
        fbTotalMib: nul('nonNegative'),
        pcieRxMBps: nul('nonNegative'),
        pcieTxMBps: nul('nonNegative'),
        smClockMhz: nul('nonNegative'),
        powerW: nul('nonNegative'),
        temperatureC: nul('number'),
      },
    },
  ],
} as const satisfies Record<string, readonly Contract[]>;
export type IngestKind = keyof typeof contracts;

// ---------------------------------------------------------------------------------------------
// Values

const MAX = Number.MAX_VALUE;
const double = (min: number, max: number) => fc.double({ min, max, noNaN: true });

/** Values each kind accepts, edges included (`-1e-400` is -0, `1e-400` is 0, `100.000000000000001` is 100). */
const validValue: Record<Kind, fc.Arbitrary<unknown>> = {
  percent: fc.oneof(
    double(0, 100),
    fc.constantFrom(0, 100),
    raw('-0', '1e2', '100.000000000000001', '-1e-400', '0.0e0'),
  ),
  nonNegative: fc.oneof(
    double(0, MAX),
    fc.constantFrom(0, 1e308, MAX, Number.MIN_VALUE),
    raw('-0', '1e-400', '-1e-400'),
  ),
  positive: fc.oneof(
    double(Number.MIN_VALUE, MAX),
    fc.constantFrom(Number.MIN_VALUE, 1e308, MAX),
    raw('5e-324', '1E3'),
  ),
  slowdown: fc.oneof(double(1, MAX), fc.constant(1), raw('1.0', '1e0')),
  number: fc.oneof(double(-MAX, MAX), raw('-0', '-1e308', '1e-400')),
  entity: fc.oneof(
    unicodeString(1, 40),
    fc.constantFrom('x'.repeat(200), '😀'.repeat(200), ' ', '\u0000', '\ud800', '__proto__', 'constructor'),
  ),
  text: fc.oneof(unicodeString(1, 40), fc.constantFrom('x'.repeat(1000), ' ')),
  boolean: fc.boolean(),
  policy: fc.constantFrom('best_effort', 'equal_share', 'fixed_share'),
  profile: fc.oneof(
    fc.stringMatching(/^([A-Za-z0-9]{1,8}-)?\d{1,4}[QCAB]$/),
    fc.constantFrom('8Q', '4C', 'T4-4Q', 'A100-40C', '0B'),
  ),
};

const below = (limit: number) => double(-MAX, limit).filter((x) => x < limit);

/**
 * Values each kind refuses for their value, not their type. An overflowing literal (`1e999`, which
 * JSON.parse reads as Infinity) appears only where the kind has an upper bound (or as -1e999 under
 * a lower one): unbounded, ingest takes it today (the spec's it.failing).
 */
const outOfRange: Partial<Record<Kind, fc.Arbitrary<unknown>>> = {
  percent: fc.oneof(
    double(100, MAX).filter((x) => x > 100),
    below(0),
    raw('1e999', '-1e999', '100.00000000000002', '-1e-300'),
  ),
  nonNegative: fc.oneof(below(0), raw('-1e999', '-1e-300')),
  positive: fc.oneof(below(0), fc.constant(0), raw('-0', '0.0', '1e-400', '-1e999')),
  slowdown: fc.oneof(below(1), fc.constant(0.9999999999999999), raw('-1e999')),
  entity: fc.constantFrom('', 'x'.repeat(201), '😀'.repeat(201)),
  text: fc.constant(''),
  policy: fc.constantFrom('round_robin', 'BEST_EFFORT', ''),
  profile: fc.constantFrom('8', 'Q8', '8q', 'T4_4Q', '-8Q', '8Q ', ''),
};

const wrongType = (field: Field): fc.Arbitrary<unknown> => {
  if (field.kind === 'object') return fc.constantFrom('x', [], null, 12);
  const nullable = 'nullable' in field && field.nullable === true;
  const common: unknown[] = [[], {}, ...(nullable ? [] : [null])];
  const kind = field.kind;
  switch (kind) {
    case 'percent':
    case 'nonNegative':
    case 'positive':
    case 'slowdown':
    case 'number':
      return fc.constantFrom('12', '0', true, ...common);
    case 'entity':
    case 'text':
    case 'profile':
    case 'policy':
      return fc.constantFrom(12, true, ['x'], ...common);
    case 'boolean':
      return fc.constantFrom('true', 1, 0, ...common);
    default: {
      const _exhaustive: never = kind;
      return _exhaustive;
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Events

const MIN_TS = new Date('0000-01-01T00:00:00.000Z');
const MAX_TS = new Date('9999-12-31T23:59:59.999Z');
const timestamp = fc.oneof(
  fc.date({ min: MIN_TS, max: MAX_TS, noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ min: MIN_TS, max: MAX_TS, noInvalidDate: true })
    .map((d) => d.toISOString().replace(/\.\d+Z$/, 'Z')),
  fc.constantFrom('2026-01-01T00:00:00.123456789Z', '2024-02-29T23:59:59Z', fixtures['host.registered'].ts),
);
const badTimestamp = fc.constantFrom(
  '',
  'now',
  '2026-02-30T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T23:59:60Z',
  '2026-01-01T00:00Z',
  '2026-01-01',
  '2026-01-01T00:00:00+01:00',
  '+275760-09-13T00:00:00.000Z',
);
/** Names a producer may add that no contract knows (stripped on the way in). */
const extraKey = fc.constantFrom('extra', '__proto__', 'constructor', 'toString', '', 'ïd', 'data2');

const rarely = <T>(a: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });

function dataOf(shape: Shape): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(shape)) {
    if (field.kind === 'object') {
      model[name] = dataOf(field.shape);
      required.push(name);
      continue;
    }
    const value = validValue[field.kind];
    model[name] = 'nullable' in field ? fc.oneof(fc.constant(null), value) : value;
    if (!('optional' in field)) required.push(name);
  }
  return fc.record(model, { requiredKeys: required });
}

/** The names a shape knows, recursively: what the log keeps of a record's `data`. */
function known(value: unknown, shape: Shape): unknown {
  const out: Record<string, unknown> = {};
  const v = value as Record<string, unknown>;
  for (const [name, field] of Object.entries(shape)) {
    if (!Object.prototype.hasOwnProperty.call(v, name)) continue;
    out[name] = field.kind === 'object' ? known(v[name], field.shape) : v[name];
  }
  return out;
}

/** A record of a batch: how to build it once its id is known, and whether ingest must take it. */
export interface Entry {
  readonly valid: boolean;
  /** What this entry is (`valid`, `remove data.gpuId`, `non-object`…), for failure messages. */
  readonly how: string;
  readonly build: (id: string) => unknown;
  /** Valid entries: the event the log must hold, given its id and the source ingest stamps. */
  readonly stored?: (id: string, defaultSource: string) => unknown;
}

function validEntry(contract: Contract): fc.Arbitrary<Entry> {
  const { type, version, shape } = contract;
  return fc
    .record({
      data: dataOf(shape),
      ts: timestamp,
      source: fc.option(fc.oneof(unicodeString(1, 20), fc.constant('fixture')), { nil: undefined }),
      // a record that names no version gets the type's first: only v1 records may leave it out
      omitVersion: version === 1 ? fc.boolean() : fc.constant(false),
      // rarely: a record with unknown keys skips the contracts' ajv fast path (registry.ts) for zod,
      // and most records should take the path ingest takes most
      extra: rarely(fc.tuple(extraKey, fc.jsonValue({ maxDepth: 2 }))),
      dataExtra: rarely(fc.tuple(extraKey, fc.jsonValue({ maxDepth: 1 }))),
    })
    .map(({ data, ts, source, omitVersion, extra, dataExtra }): Entry => {
      const body = (id: string) => {
        const d: Record<string, unknown> = { ...data };
        if (dataExtra && !Object.prototype.hasOwnProperty.call(shape, dataExtra[0]))
          Object.defineProperty(d, dataExtra[0], own(dataExtra[1]));
        const r: Record<string, unknown> = { id, type, ...(omitVersion ? {} : { version }), ts, data: d };
        if (source !== undefined) r['source'] = source;
        if (extra && !ENVELOPE.includes(extra[0])) Object.defineProperty(r, extra[0], own(extra[1]));
        return r;
      };
      return {
        valid: true,
        how: `valid ${type}@${version}`,
        build: body,
        stored: (id, defaultSource) =>
          normalise({ id, type, version, ts, source: source ?? defaultSource, data: known(data, shape) }),
      };
    });
}
const ENVELOPE = ['id', 'type', 'version', 'ts', 'source', 'data'];
const own = (value: unknown): PropertyDescriptor => ({
  value,
  enumerable: true,
  writable: true,
  configurable: true,
});
/** As the log gives it back: JSON's numbers (`-0` is 0, `1e-400` is 0). */
const normalise = (v: unknown): unknown => JSON.parse(JSON.stringify(JSON.parse(toJson(v))));

interface Path {
  readonly at: readonly string[];
  readonly field: Field;
}
function pathsOf(shape: Shape, prefix: readonly string[] = ['data']): Path[] {
  return Object.entries(shape).flatMap(([name, field]) => [
    { at: [...prefix, name], field },
    ...(field.kind === 'object' ? pathsOf(field.shape, [...prefix, name]) : []),
  ]);
}

const set = (record: unknown, at: readonly string[], value: unknown): unknown => {
  const copy = copyOf(record) as Record<string, unknown>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[at[at.length - 1]!] = value;
  return copy;
};
const remove = (record: unknown, at: readonly string[]): unknown => {
  const copy = copyOf(record) as Record<string, unknown>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string, unknown>;
  delete node[at[at.length - 1]!];
  return copy;
};
/** A deep copy that keeps RawNumbers (structuredClone would make them plain objects). */
function copyOf(v: unknown): unknown {
  if (v instanceof RawNumber || typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(copyOf);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, own(copyOf(x)));
  return out;
}

/** A valid record broken exactly one way. */
function invalidEntry(contract: Contract, otherStreamTypes: readonly string[]): fc.Arbitrary<Entry> {
  const paths = pathsOf(contract.shape);
  const required = paths.filter((p) => !('optional' in p.field));
  const ranged = paths.filter((p) => p.field.kind !== 'object' && outOfRange[p.field.kind] !== undefined);
  const mutate = (how: string, change: fc.Arbitrary<(r: unknown) => unknown>) =>
    fc.tuple(validEntry(contract), change).map(([base, g]): Entry => ({
      valid: false,
      how: `${how} (${contract.type}@${contract.version})`,
      build: (id) => g(base.build(id)),
    }));
  return fc.oneof(
    mutate(
      'a required field removed',
      fc
        .constantFrom(...['type', 'ts', 'data'].map((k) => [k]), ...required.map((p) => p.at))
        .map((at) => (r) => remove(r, at)),
    ),
    mutate(
      'a wrong type',
      fc.oneof(
        fc
          .constantFrom(...paths)
          .chain((p) => wrongType(p.field).map((v) => (r: unknown) => set(r, p.at, v))),
        fc
          .constantFrom<[string, unknown]>(
            ['id', 12],
            ['id', ['fuzz']],
            ['type', 12],
            ['ts', 1767225600000],
            ['source', 12],
            ['source', false],
            ['version', '1'],
            ['data', 'x'],
            ['data', []],
            ['data', null],
          )
          .map(
            ([k, v]) =>
              (r: unknown) =>
                set(r, [k], v),
          ),
      ),
    ),
    mutate(
      'out of range',
      fc.oneof(
        fc
          .constantFrom(...ranged)
          .chain((p) => outOfRange[p.field.kind as Kind]!.map((v) => (r: unknown) => set(r, p.at, v))),
        fc
          .constantFrom('', 'has space', 'x'.repeat(201), 'ü', 'a\u0000b')
          .map((id) => (r: unknown) => set(r, ['id'], id)),
        fc.constant((r: unknown) => set(r, ['source'], '')),
        badTimestamp.map((ts) => (r: unknown) => set(r, ['ts'], ts)),
      ),
    ),
    mutate(
      'an unknown type',
      fc
        .constantFrom(
          'nope.type',
          'twin.prediction',
          '',
          '__proto__',
          'constructor',
          contract.type.toUpperCase(),
          ...otherStreamTypes,
        )
        .map((t) => (r) => set(r, ['type'], t)),
    ),
    mutate(
      'an unknown version',
      fc
        .constantFrom<unknown>(
          0,
          3,
          99,
          -1,
          1.5,
          1e308,
          ...(contract.type.startsWith('telemetry.') ? [] : [2]),
        )
        .map((v) => (r) => set(r, ['version'], v)),
    ),
    fc
      .constantFrom<unknown>(null, 12, 'str', true, [], {}, new RawNumber('1e999'), new RawNumber('-0'))
      .map((v): Entry => ({ valid: false, how: `not an event: ${toJson(v)}`, build: () => v })),
    fc.constant<Entry>({
      valid: false,
      how: 'an event inside an array',
      build: (id) => [{ ...fixtures['vm.removed'], id }],
    }),
  );
}

/** Valid and invalid records of one endpoint's stream, about half each. */
export function entries(kind: IngestKind): fc.Arbitrary<Entry> {
  const mine = contracts[kind] as readonly Contract[];
  const others = (kind === 'inventory' ? contracts.telemetry : contracts.inventory).map((c) => c.type);
  return fc.oneof(fc.oneof(...mine.map(validEntry)), fc.oneof(...mine.map((c) => invalidEntry(c, others))));
}
export const validEntries = (kind: IngestKind) =>
  fc.oneof(...(contracts[kind] as readonly Contract[]).map(validEntry));

// ---------------------------------------------------------------------------------------------
// NDJSON

const parses = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

/** A line `JSON.parse` refuses (and that is not blank: blank lines are no records). */
export const unreadableLine: fc.Arbitrary<(id: string) => string> = fc.oneof(
  fc
    .constantFrom(
      'NaN',
      'Infinity',
      '-Infinity',
      'undefined',
      '{oops',
      "{'a':1}",
      '[1,]',
      '{"a":1}}',
      '{"a":1} {"b":2}',
      '01',
      '.5',
      '+1',
      '0x10',
      '1e',
      '"\\x41"',
      '"unterminated',
      '{}\ufeff',
      'nul',
      'True',
      '{"type":"telemetry.gpu_sample","data":{"gpuUtilPct":NaN}}',
    )
    .map((s) => () => s),
  unicodeString(1, 30)
    .filter((s) => !s.includes('\n') && s.trim() !== '' && !parses(s))
    .map((s) => () => s),
  // a record cut short: never JSON, since only its last character closes it
  fc.tuple(validEntries('telemetry'), fc.nat()).map(([e, k]) => (id: string) => {
    const text = toJson(e.build(id));
    return text.slice(0, 1 + (k % (text.length - 1)));
  }),
);

/** A line NDJSON skips: empty or only what String.prototype.trim removes. */
export const blankLine = fc.string({
  unit: fc.constantFrom(' ', '\t', '\r', '\u00a0', '\ufeff', '\u2028', '\u3000'),
  maxLength: 4,
});

export type NdjsonLine =
  | { readonly kind: 'entry'; readonly entry: Entry; readonly cr: boolean }
  | { readonly kind: 'unreadable'; readonly text: (id: string) => string }
  | { readonly kind: 'blank'; readonly text: string };

export const ndjsonLine = (kind: IngestKind): fc.Arbitrary<NdjsonLine> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('entry' as const), entry: entries(kind), cr: fc.boolean() }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('unreadable' as const), text: unreadableLine }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('blank' as const), text: blankLine }) },
  );

// ---------------------------------------------------------------------------------------------
// Bodies nothing should parse as a batch

const enc = (s: string) => new TextEncoder().encode(s);

/** Nesting as deep as 12 000 levels, balanced or not, bare or inside an event. */
export const deepNesting = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 1, max: 12_000 }), fc.constantFrom(10_000, 12_000)),
    open: fc.constantFrom('[', '{"a":', '{"events":', '[{"a":'),
    balanced: fc.boolean(),
    where: fc.constantFrom('bare', 'events', 'data', 'id', 'extra'),
  })
  .map(({ depth, open, balanced, where }) => {
    const close = open === '[' ? ']' : open === '[{"a":' ? '}]' : '}';
    const inner = open.repeat(depth) + '1' + (balanced ? close.repeat(depth) : '');
    if (where === 'bare') return inner;
    if (where === 'events') return `{"events":${inner}}`;
    const fixture = fixtures['telemetry.gpu_sample'];
    const slot =
      where === 'data'
        ? { ...fixture, data: 'DEEP' }
        : where === 'id'
          ? { ...fixture, id: 'DEEP' }
          : { ...fixture, extra: 'DEEP' };
    return `[${toJson(slot).replace('"DEEP"', inner)}]`;
  });

/** Strings about the body limit (64 KiB in the spec): some just under, some over. */
export const hugeString = fc
  .record({
    size: fc.integer({ min: 60_000, max: 90_000 }),
    char: fc.constantFrom('x', 'é', '😀', '\\u0000', '\ud800'),
  })
  .chain(({ size, char }) => {
    const s = char.repeat(Math.ceil(size / Math.max(1, enc(char).length)));
    return fc.constantFrom(
      `["${s}"]`,
      `[{"id":"${s}"}]`,
      `{"events":"${s}"}`,
      s,
      `${toJson(fixtures['telemetry.gpu_sample'])}\n${s}`,
    );
  });

/** Numbers JSON does or does not allow, where a batch or an event has them. */
export const numberText = fc.constantFrom(
  '1e308',
  '-1e308',
  '1e999',
  '-1e999',
  '-0',
  '5e-324',
  '1e-400',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1_000',
  '.5',
  '5.',
  '01',
  '9007199254740993',
  '123456789012345678901234567890',
);
export const numbersBody = fc.oneof(
  fc.array(numberText, { minLength: 1, maxLength: 8 }).map((ns) => `[${ns.join(',')}]`),
  fc.array(numberText, { minLength: 1, maxLength: 8 }).map((ns) => ns.join('\n')),
  fc.tuple(fc.constantFrom('gpuUtilPct', 'fbUsedMib', 'powerW', 'temperatureC'), numberText).map(([k, n]) =>
    toJson([
      {
        ...fixtures['telemetry.gpu_sample'],
        id: 'num',
        data: { ...fixtures['telemetry.gpu_sample'].data, [k]: 'N' },
      },
    ]).replace('"N"', n),
  ),
);

/** UTF-8 that is not: a lone surrogate's WTF-8, an overlong slash, a stray continuation byte, a BOM. */
export const badUtf8 = fc
  .tuple(
    fc.constantFrom(
      [0xed, 0xa0, 0x80],
      [0xc0, 0xaf],
      [0x80],
      [0xff, 0xfe],
      [0xef, 0xbb, 0xbf],
      [0xf4, 0x90, 0x80, 0x80],
    ),
    fc.constantFrom('[{"id":"', '{"events":[', '', '["'),
  )
  .map(([bytes, head]) => Uint8Array.from([...enc(head), ...bytes, ...enc('"]')]));

// ---------------------------------------------------------------------------------------------
// Requests

export interface FuzzRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** What the body is, for failure messages (the body itself may be 90 KB). */
  readonly note: string;
}
/** A request that prints as one short line in fast-check's counterexample. */
export function request(
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
  note: string,
): FuzzRequest {
  const short = new TextDecoder().decode(body.subarray(0, 160));
  return {
    path,
    headers,
    body,
    note,
    [fc.toStringMethod]: () =>
      `${path} ${JSON.stringify(headers)} ${note} (${body.length} bytes: ${JSON.stringify(short)}${body.length > 160 ? '…' : ''})`,
  } as FuzzRequest;
}

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
/** Content types ingest parses, ones it does not, and garbage; `undefined` sends none. */
export const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/x-ndjson',
    'application/ndjson',
    'text/plain',
    'text/csv',
    'application/xml',
    'application/openmetrics-text',
    'application/x-protobuf',
    'application/octet-stream',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/x-ndjson; charset=utf-16le',
    'text/plain; charset=bogus',
    'APPLICATION/JSON',
    'application/*',
    '*/*',
    ';;;',
    '',
  ),
  fc.constant(undefined),
  printable,
);
/** The content types whose bodies the limit applies to before anything else can refuse them. */
export const LIMITED_TYPES = [
  'application/json',
  'application/x-ndjson',
  'application/ndjson',
  'text/plain',
  'text/csv',
  'application/xml',
  'application/openmetrics-text',
];

export type Encoding = 'gzip' | 'deflate' | 'br';
const compress: Record<Encoding, (b: Uint8Array) => Uint8Array> = {
  gzip: (b) => gzipSync(b),
  deflate: (b) => deflateSync(b),
  br: (b) => brotliCompressSync(b),
};
/** `Content-Encoding`, mostly none: a real one, a lie, an unknown one, or a 1 MiB bomb. */
export const encoding = fc.oneof(
  { weight: 9, arbitrary: fc.constant({ header: undefined, apply: (b: Uint8Array) => b }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<Encoding>('gzip', 'deflate', 'br')
      .map((e) => ({ header: e, apply: compress[e] })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('gzip', 'deflate', 'br', 'identity', 'xyz', 'gzip, gzip', 'snappy')
      .map((e) => ({ header: e, apply: (b: Uint8Array) => b })),
  },
  {
    weight: 1,
    arbitrary: fc.constant({ header: 'gzip', apply: () => compress.gzip(new Uint8Array(1 << 20)) }),
  },
);

/** Bodies for the JSON endpoints, each with what it is. */
export function batchBody(kind: IngestKind): fc.Arbitrary<{ body: Uint8Array; note: string }> {
  const text = (note: string, a: fc.Arbitrary<string>) => a.map((s) => ({ body: enc(s), note }));
  return fc.oneof(
    text('fc.json', fc.json({ stringUnit: 'binary' })),
    text(
      'fc.anything',
      fc
        .anything({
          withBigInt: false,
          withNullPrototype: true,
          withBoxedValues: true,
          withSparseArray: true,
        })
        .map((v) => JSON.stringify(v) ?? String(v)),
    ),
    fc.uint8Array({ maxLength: 4096 }).map((body) => ({ body, note: 'random bytes' })),
    text('deep nesting', deepNesting),
    text('a huge string', hugeString),
    text('numbers', numbersBody),
    badUtf8.map((body) => ({ body, note: 'bad UTF-8' })),
    text('empty', fc.constant('')),
    text(
      'a mixed batch',
      fc.tuple(fc.array(entries(kind), { minLength: 0, maxLength: 12 }), fc.boolean()).map(([es, wrap]) => {
        const records = es.map((e, i) => e.build(`any-${i}`));
        return toJson(wrap ? { events: records } : records);
      }),
    ),
    text(
      'NDJSON lines',
      fc.array(ndjsonLine(kind), { maxLength: 12 }).map((ls) => ndjsonText(ls, () => 'any').text),
    ),
    text(
      'another stream’s batch',
      fc
        .array(entries(kind === 'inventory' ? 'telemetry' : 'inventory'), { minLength: 1, maxLength: 6 })
        .map((es) => toJson(es.map((e) => e.build('other')))),
    ),
  );
}

/** NDJSON text of lines, with the records its non-blank lines are. */
export interface NdjsonRecord {
  readonly line: Exclude<NdjsonLine, { kind: 'blank' }>;
  /** The record's batch index: its place among the non-blank lines. */
  readonly index: number;
  readonly id: string;
}
export function ndjsonText(
  lines: readonly NdjsonLine[],
  idOf: (line: NdjsonRecord['line'], index: number) => string,
): { text: string; records: NdjsonRecord[] } {
  const records: NdjsonRecord[] = [];
  const texts = lines.map((line) => {
    if (line.kind === 'blank') return line.text;
    const index = records.length;
    const id = idOf(line, index);
    records.push({ line, index, id });
    return line.kind === 'entry' ? toJson(line.entry.build(id)) + (line.cr ? '\r' : '') : line.text(id);
  });
  const text = texts.join('\n');
  // the charset decoder drops a body's leading BOM: a blank first line keeps it the line's
  return { text: text.startsWith('\ufeff') ? `\n${text}` : text, records };
}

// ---------------------------------------------------------------------------------------------
// Captures and remote write

const CAPTURE_NUMBERS = [
  '1e308',
  '-1e308',
  '1e999',
  'NaN',
  '+Inf',
  '-Inf',
  '-0',
  '',
  '[N/A]',
  '0x1p3',
  '99999999999',
];
/** The parsers' line mutations, inserting unicode (lone surrogates included). */
const mutation = lineMutation(CAPTURE_NUMBERS, unicodeString(1, 4));

/** Real captures (cut to fit the body limit), mutated, or text that looks like a format's start. */
export function captureText(captures: readonly string[], limit: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...captures).map((c) => c.slice(0, limit / 2)) },
    {
      weight: 10,
      arbitrary: fc.constantFrom(...captures).chain((c) => mutatedText([c.slice(0, limit / 2)], mutation, 4)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            '<?xml version="1.0"?>\n<nvidia_smi_log>',
            'vGPU ID : ',
            '==== NVSMI LOG ====\n',
            '# gpu pwr\n',
            'uuid,name,utilization.gpu\n',
            'pid,process_name,used_memory\n',
            '# TYPE x gauge\n',
            '',
          ),
          unicodeString(0, 200),
        )
        .map(([head, rest]) => head + rest),
    },
    { weight: 1, arbitrary: hugeString },
  );
}

/** Snappy's block format with only literals: a valid snappy body around any bytes. */
export function snappyLiteral(bytes: Uint8Array, claimedLength = bytes.length): Uint8Array {
  const out = varint(claimedLength);
  for (let i = 0; i < bytes.length; i += 60) {
    const chunk = bytes.subarray(i, i + 60);
    out.push((chunk.length - 1) << 2, ...chunk);
  }
  return Uint8Array.from(out);
}
export function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return out;
}

const DCGM = [
  'DCGM_FI_DEV_GPU_UTIL',
  'DCGM_FI_DEV_MEM_COPY_UTIL',
  'DCGM_FI_DEV_FB_USED',
  'DCGM_FI_DEV_FB_FREE',
  'DCGM_FI_DEV_FB_TOTAL',
  'DCGM_FI_PROF_PCIE_RX_BYTES',
  'DCGM_FI_DEV_SM_CLOCK',
  'DCGM_FI_DEV_POWER_USAGE',
  'DCGM_FI_DEV_GPU_TEMP',
];
/** Within JS Date's range (±8.64e15 ms): beyond it, see the spec's it.failing. */
const sampleTime = fc.oneof(
  fc.maxSafeInteger().map((t) => t % 8_640_000_000_000_000),
  fc.constantFrom(0, -1, 1_767_225_600_000, 8_640_000_000_000_000, -8_640_000_000_000_000),
);
/** What dcgm-exporter sends: a known metric of a GPU by UUID on a host, maybe with odd extra labels. */
const dcgmLabels = fc
  .record({
    __name__: fc.constantFrom(...DCGM),
    UUID: fc.oneof(
      fc.constantFrom('GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52', 'GPU-00000000-0000-0000-0000-000000000000'),
      fc.uuid().map((u) => `GPU-${u}`),
      unicodeString(0, 10),
    ),
    gpu: fc.constantFrom('0', '1', '7', '-1', ''),
    Hostname: fc.oneof(fc.constantFrom('node-7', ''), unicodeString(1, 10)),
  })
  .chain((labels) =>
    fc
      .dictionary(
        fc.constantFrom('instance', 'modelName', 'pod', 'namespace', 'pci_bus_id'),
        unicodeString(0, 12),
        { maxKeys: 2 },
      )
      .map((more) => ({ ...more, ...labels })),
  );
const series = fc.record({
  labels: fc
    .tuple(
      fc.option(fc.oneof(fc.constantFrom(...DCGM), unicodeString(0, 10)), { nil: undefined }),
      fc.dictionary(
        fc.oneof(
          fc.constantFrom(
            'UUID',
            'gpu',
            'Hostname',
            'instance',
            'modelName',
            'pod',
            'namespace',
            'pci_bus_id',
            '',
          ),
          printable,
        ),
        fc.oneof(
          unicodeString(0, 20),
          fc.constantFrom('GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52', '0', '[::1]:9400', '10.0.0.7:9400'),
        ),
        { maxKeys: 6 },
      ),
    )
    .map(([name, rest]) => (name === undefined ? rest : { ...rest, __name__: name })),
  samples: fc.array(fc.record({ value: fc.double(), timestampMs: sampleTime }), { maxLength: 4 }),
});

/** Remote-write bodies: real WriteRequests of odd series, snappy around junk, junk, or one flipped byte. */
export const remoteWriteBody: fc.Arbitrary<{ body: Uint8Array; note: string }> = fc.oneof(
  fc
    .array(series, { maxLength: 8 })
    .map((s) => ({ body: new Uint8Array(encodeRemoteWrite(s)), note: 'a WriteRequest' })),
  fc
    .array(fc.record({ labels: dcgmLabels, samples: series.map((x) => x.samples) }), {
      minLength: 1,
      maxLength: 12,
    })
    .map((s) => ({ body: new Uint8Array(encodeRemoteWrite(s)), note: 'a dcgm-exporter WriteRequest' })),
  fc
    .uint8Array({ maxLength: 2048 })
    .map((b) => ({ body: snappyLiteral(b), note: 'snappy around random bytes' })),
  fc
    .tuple(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 1 << 16 }))
    .map(([b, claim]) => ({ body: snappyLiteral(b, claim), note: 'snappy claiming another length' })),
  fc.uint8Array({ maxLength: 2048 }).map((body) => ({ body, note: 'random bytes' })),
  fc
    .tuple(fc.array(series, { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer({ min: 1, max: 255 }))
    .map(([s, i, x]) => {
      const body = new Uint8Array(encodeRemoteWrite(s));
      const j = i % body.length;
      body[j] = body[j]! ^ x;
      return { body, note: 'a WriteRequest with a flipped byte' };
    }),
  fc.constant({ body: new Uint8Array(0), note: 'empty' }),
  fc
    .integer({ min: 60_000, max: 90_000 })
    .map((n) => ({ body: new Uint8Array(n), note: 'zeros about the limit' })),
);
