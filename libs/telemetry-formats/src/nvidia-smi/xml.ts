/**
 * `nvidia-smi -q -x`: one reading (kind `gpu`) per `<gpu id="…">`, and one (kind `mig`) per
 * `<mig_device>` beneath it.
 *
 * Read from each `<gpu>`: `id` (else `pci/pci_bus_id`) → busId, `uuid`, `product_name`,
 * `utilization/gpu_util` and `/memory_util`, `fb_memory_usage/total`, `/used`, `/free`,
 * `pci/rx_util` and `/tx_util` (KB/s → MB/s), `clocks/sm_clock`, `gpu_power_readings` (older
 * drivers: `power_readings`) `power_draw`, else `average_power_draw`, else `instant_power_draw`, and
 * `temperature/gpu_temp`. `gpuIndex` stays null: the XML has no index, and `minor_number` (the
 * /dev/nvidiaN number, kept in `labels.minorNumber`) need not be the index other commands print.
 * Labels: `driverVersion`, `minorNumber`, `virtualizationMode`, `hostVgpuMode`, `migMode` and
 * `clocksEventReasons` (active `clocks_event_reasons`, formerly `clocks_throttle_reasons`,
 * comma-joined; '' when none). In a vGPU guest (`virtualization_mode` `VGPU`) `vgpuType` is the
 * product name (`GRID V100D-8C`).
 *
 * A MIG reading has the parent's uuid, bus id and model, `mig.gpuInstanceId`, its own
 * `fb_memory_usage`, and labels `migIndex`, `computeInstanceId`, `migUuid` when printed. The XML
 * names no MIG profile, so `mig.profile` is null.
 *
 * Lines: fast-xml-parser's `captureMetaData` gives each element's offset; a leaf's line is that of
 * the first `<tag` inside its parent. A document that is not well-formed is a problem at the line
 * XMLValidator reports; the `<gpu>` elements that are well-formed on their own are still read.
 * `timestamp` is read as UTC (see `readSmiTime`).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { emptyReading, type ParseOutcome, type Problem, type Reading } from '../reading';
import {
  CELSIUS,
  KBPS_AS_MBPS,
  labelClockReasons,
  lineLocator,
  MHZ,
  MIB,
  PERCENT,
  readBusId,
  readCount,
  readNumber,
  readText,
  readTimestamp,
  WATTS,
  type Units,
} from './values';

const META = XMLParser.getMetaDataSymbol() as unknown as symbol;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  captureMetaData: true,
  isArray: (name) => name === 'gpu' || name === 'mig_device',
});

type XObject = Record<string | symbol, unknown>;

/** The source, a way to turn offsets into lines, and where the parsed fragment starts in it. */
interface Located {
  source: string;
  lineOf: (offset: number) => number;
  base: number;
}

export function parseNvidiaSmiXml(text: string, options: { host?: string } = {}): ParseOutcome {
  const problems: Problem[] = [];
  const source = text.replace(/^\uFEFF/, '');
  const doc: Located = { source, lineOf: lineLocator(source), base: 0 };
  const verdict = XMLValidator.validate(source);
  const found = verdict === true ? readWhole(doc, problems) : readWellFormedGpus(doc, verdict.err, problems);
  if (!found) return { readings: [], problems };

  const { root, gpus } = found;
  const timestamp = leaf(root, doc, 'timestamp');
  const timestampMs = timestamp ? readTimestamp(timestamp.text, timestamp.at, problems) : null;
  const driverVersion = readText(leaf(root, doc, 'driver_version')?.text);
  const readings = gpus.flatMap(({ gpu, at }) =>
    readGpu(gpu, at, problems).map((reading) => {
      reading.host = options.host ?? null;
      reading.timestampMs = timestampMs;
      if (driverVersion) reading.labels['driverVersion'] = driverVersion;
      return reading;
    }),
  );
  return { readings, problems };
}

interface Found {
  root: XObject;
  gpus: { gpu: XObject; at: Located }[];
}

/** A well-formed document: its root and every <gpu>, checked against `attached_gpus`. */
function readWhole(doc: Located, problems: Problem[]): Found | null {
  const parsed = parseXml(doc.source);
  const root = asObject(parsed?.['nvidia_smi_log']);
  if (!root) {
    problems.push(
      parsed
        ? {
            line: 1,
            field: 'nvidia_smi_log',
            message: 'no <nvidia_smi_log> root: not nvidia-smi -q -x output',
          }
        : { line: 1, field: 'xml', message: 'well-formed, but fast-xml-parser could not read it' },
    );
    return null;
  }
  const gpus = elements(root['gpu']).map((gpu) => ({ gpu, at: doc }));
  const attached = leaf(root, doc, 'attached_gpus');
  const count = attached ? readCount(attached.text, attached.at, problems) : null;
  if (attached && count !== null && count !== gpus.length) {
    problems.push({ ...attached.at, message: `says ${count}, but ${gpus.length} <gpu> elements follow` });
  } else if (count === null && gpus.length === 0) {
    problems.push({ line: 1, field: 'gpu', message: 'no <gpu> element' });
  }
  return { root, gpus };
}

/**
 * A document that is not well-formed: each <gpu> element that is well-formed on its own, a problem
 * for each that is not (or, when every one is, for the document), and the document's timestamp and
 * driver version if they precede the first <gpu>.
 */
function readWellFormedGpus(doc: Located, err: { line: number; msg: string }, problems: Problem[]): Found {
  const lines = doc.source.split('\n').length;
  const problemAt = (e: { line: number; msg: string }, fromLine: number): Problem => ({
    // The validator counts lines from the start of what it was given; keep within the input.
    line: Math.min(Math.max(1, fromLine + (Number.isInteger(e.line) ? e.line : 1) - 1), lines),
    field: 'xml',
    message: `not well-formed XML: ${e.msg}`,
  });
  const gpus: Found['gpus'] = [];
  const broken: Problem[] = [];
  const segments = gpuSegments(doc.source);
  for (const segment of segments) {
    const fragment = doc.source.slice(segment.start, segment.end);
    const check = XMLValidator.validate(fragment);
    const gpu = check === true ? elements(parseXml(fragment)?.['gpu'])[0] : undefined;
    if (gpu) gpus.push({ gpu, at: { ...doc, base: segment.start } });
    else if (check !== true) broken.push(problemAt(check.err, doc.lineOf(segment.start)));
  }
  problems.push(...(broken.length > 0 ? broken : [problemAt(err, 1)]));
  const head = doc.source.slice(0, segments[0]?.start ?? doc.source.length);
  const root: XObject = {
    [META]: { startIndex: 0 },
    timestamp: /<timestamp>([^<]*)<\/timestamp>/.exec(head)?.[1],
    driver_version: /<driver_version>([^<]*)<\/driver_version>/.exec(head)?.[1],
  };
  return { root, gpus };
}

function readGpu(gpu: XObject, at: Located, problems: Problem[]): Reading[] {
  const reading = emptyReading('gpu', lineOfElement(gpu, at));
  const text = (...path: string[]) => readText(leaf(gpu, at, ...path)?.text);
  const num = (units: Units, ...path: string[]) => readLeafNumber(gpu, at, path, units, problems);

  const id = gpu['@_id'];
  reading.busId =
    (typeof id === 'string' ? readBusId(id, { line: reading.line, field: 'gpu/@id' }, problems) : null) ??
    readLeafBusId(gpu, at, problems);
  reading.gpuUuid = text('uuid');
  reading.model = text('product_name');
  const m = reading.metrics;
  m.gpuUtilPct = num(PERCENT, 'utilization', 'gpu_util');
  m.memUtilPct = num(PERCENT, 'utilization', 'memory_util');
  readFb(gpu, at, reading, problems);
  m.pcieRxMBps = num(KBPS_AS_MBPS, 'pci', 'rx_util');
  m.pcieTxMBps = num(KBPS_AS_MBPS, 'pci', 'tx_util');
  m.smClockMhz = num(MHZ, 'clocks', 'sm_clock');
  m.tempC = num(CELSIUS, 'temperature', 'gpu_temp');
  const readingsTag = gpu['gpu_power_readings'] !== undefined ? 'gpu_power_readings' : 'power_readings';
  const power = ['power_draw', 'average_power_draw', 'instant_power_draw'].map((tag) =>
    num(WATTS, readingsTag, tag),
  );
  m.powerW = power.find((w) => w !== null) ?? null;

  const labels: [string, string | null][] = [
    ['minorNumber', text('minor_number')],
    ['virtualizationMode', text('gpu_virtualization_mode', 'virtualization_mode')],
    ['hostVgpuMode', text('gpu_virtualization_mode', 'host_vgpu_mode')],
    ['migMode', text('mig_mode', 'current_mig')],
  ];
  for (const [name, value] of labels) if (value) reading.labels[name] = value;
  const reasons = asObject(first(gpu['clocks_event_reasons'] ?? gpu['clocks_throttle_reasons'])) ?? {};
  labelClockReasons(
    reading.labels,
    Object.entries(reasons).map(([tag, state]) => ({
      name: tag.replace(/^clocks_(event|throttle)_reason_/, ''),
      state: typeof state === 'string' ? state : '',
    })),
  );
  if (reading.labels['virtualizationMode']?.toUpperCase() === 'VGPU') reading.vgpuType = reading.model;

  const migs = elements(asObject(first(gpu['mig_devices']))?.['mig_device']).map((device) => {
    const mig = emptyReading('mig', lineOfElement(device, at));
    mig.gpuUuid = reading.gpuUuid;
    mig.busId = reading.busId;
    mig.model = reading.model;
    mig.mig = { gpuInstanceId: readText(leaf(device, at, 'gpu_instance_id')?.text), profile: null };
    readFb(device, at, mig, problems);
    const migLabels: [string, string | null][] = [
      ['migIndex', readText(leaf(device, at, 'index')?.text)],
      ['computeInstanceId', readText(leaf(device, at, 'compute_instance_id')?.text)],
      ['migUuid', readText(leaf(device, at, 'uuid')?.text)],
    ];
    for (const [name, value] of migLabels) if (value) mig.labels[name] = value;
    return mig;
  });
  return [reading, ...migs];
}

function readFb(node: XObject, at: Located, reading: Reading, problems: Problem[]): void {
  reading.metrics.fbTotalMib = readLeafNumber(node, at, ['fb_memory_usage', 'total'], MIB, problems);
  reading.metrics.fbUsedMib = readLeafNumber(node, at, ['fb_memory_usage', 'used'], MIB, problems);
  reading.metrics.fbFreeMib = readLeafNumber(node, at, ['fb_memory_usage', 'free'], MIB, problems);
}

function readLeafNumber(
  node: XObject,
  at: Located,
  path: string[],
  units: Units,
  problems: Problem[],
): number | null {
  const found = leaf(node, at, ...path);
  return found ? readNumber(found.text, units, found.at, problems) : null;
}

function readLeafBusId(gpu: XObject, at: Located, problems: Problem[]): string | null {
  const found = leaf(gpu, at, 'pci', 'pci_bus_id');
  return found ? readBusId(found.text, found.at, problems) : null;
}

/**
 * The text at `path` below `node` with its line and field (`pci/rx_util`); undefined when absent or
 * not text. A repeated element is read once, its first occurrence.
 */
function leaf(
  node: XObject,
  at: Located,
  ...path: string[]
): { text: string; at: { line: number; field: string } } | undefined {
  let parent = node;
  for (const [k, tag] of path.entries()) {
    const value = first(parent[tag]);
    if (k < path.length - 1) {
      const child = asObject(value);
      if (!child) return undefined;
      parent = child;
      continue;
    }
    const text = typeof value === 'string' ? value : asObject(value)?.['#text'];
    if (typeof text !== 'string') return undefined;
    const start = elementStart(parent, at);
    const offset = start === null ? -1 : at.source.indexOf(`<${tag}`, start);
    const line = offset >= 0 ? at.lineOf(offset) : lineOfElement(parent, at);
    return { text, at: { line, field: path.join('/') } };
  }
  return undefined;
}

function elementStart(node: XObject, at: Located): number | null {
  const meta = asObject(node[META]);
  const start = meta?.['startIndex'];
  return typeof start === 'number' ? at.base + start : null;
}

function lineOfElement(node: XObject, at: Located): number {
  const start = elementStart(node, at);
  return start === null ? at.lineOf(at.base) : at.lineOf(start);
}

/** `<gpu …>` … `</gpu>` spans; an unclosed one runs to the next `<gpu` or the end. */
function gpuSegments(source: string): { start: number; end: number }[] {
  const starts = [...source.matchAll(/<gpu[\s>]/g)].map((m) => m.index);
  return starts.map((start, k) => {
    const limit = starts[k + 1] ?? source.length;
    const close = source.indexOf('</gpu>', start);
    return { start, end: close >= 0 && close < limit ? close + '</gpu>'.length : limit };
  });
}

function parseXml(xml: string): XObject | null {
  try {
    return asObject(parser.parse(xml));
  } catch {
    // The validator passed it; the parser's own checks are stricter in places (a DOCTYPE, say).
    return null;
  }
}

function asObject(value: unknown): XObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as XObject) : null;
}

function first(value: unknown): unknown {
  return Array.isArray(value) ? (value as unknown[])[0] : value;
}

function elements(value: unknown): XObject[] {
  const list: unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.flatMap((v) => {
    const object = asObject(v);
    return object ? [object] : [];
  });
}
