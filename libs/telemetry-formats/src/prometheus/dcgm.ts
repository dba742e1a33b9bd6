/**
 * dcgm-exporter series → readings: one per physical GPU (kind `gpu`), or per MIG instance (kind
 * `mig`, when `GPU_I_ID`/`GPU_I_PROFILE` are set), in the order the devices first appear.
 *
 * With time-slicing dcgm-exporter repeats each device-wide value once per sharing pod. Such a
 * value is read once (the first sample; a later one that disagrees is a problem), never summed,
 * and the pods go to `pods`.
 */
import {
  emptyReading,
  isDcgmBlank,
  normaliseBusId,
  type ParseOutcome,
  type Problem,
  type Reading,
  type ReadingMetrics,
} from '../reading';
import { type PromSample } from './exposition';

export interface DcgmOptions {
  /** The UUID label's name where the exporter was configured with another; tried before `UUID` and `uuid`. */
  uuidLabel?: string;
  /** Host of readings whose series carry no `Hostname`/`hostname` label. */
  host?: string;
}

interface Source {
  name: string;
  /** Factor from the exporter's unit to the twin's. */
  scale: number;
}

/** NVML reports PCIe throughput in KB/s of 1024 bytes; the twin counts MB/s of 10^6 bytes. */
const KIB_PER_S_IN_MB_PER_S = 1024 / 1e6;

/**
 * Sources of each metric, the preferred first: current 2.x+ names, then 1.x `dcgm_*` names (the
 * legacy sample has `dcgm_gpu_temp` °C, `dcgm_gpu_utilization` %, `dcgm_power_usage` W and
 * `dcgm_sm_clock` MHz; the others follow 1.x's HELP texts). `DCGM_FI_PROF_PCIE_*_BYTES` is read as
 * bytes per second whatever its `# TYPE` says: DCGM computes it per interval, and the `counter`
 * of older counter files was a mislabel (NVIDIA/dcgm-exporter#87, fixed to `gauge` in #88).
 */
const SOURCES: Record<Exclude<keyof ReadingMetrics, 'fbTotalMib'>, readonly Source[]> = {
  gpuUtilPct: [src('DCGM_FI_DEV_GPU_UTIL'), src('dcgm_gpu_utilization')],
  memUtilPct: [src('DCGM_FI_DEV_MEM_COPY_UTIL'), src('dcgm_mem_copy_utilization')],
  fbUsedMib: [src('DCGM_FI_DEV_FB_USED'), src('dcgm_fb_used')],
  fbFreeMib: [src('DCGM_FI_DEV_FB_FREE'), src('dcgm_fb_free')],
  pcieRxMBps: [
    src('DCGM_FI_PROF_PCIE_RX_BYTES', 1e-6),
    src('DCGM_FI_DEV_PCIE_RX_THROUGHPUT', KIB_PER_S_IN_MB_PER_S),
    src('dcgm_pcie_rx_throughput', KIB_PER_S_IN_MB_PER_S),
  ],
  pcieTxMBps: [
    src('DCGM_FI_PROF_PCIE_TX_BYTES', 1e-6),
    src('DCGM_FI_DEV_PCIE_TX_THROUGHPUT', KIB_PER_S_IN_MB_PER_S),
    src('dcgm_pcie_tx_throughput', KIB_PER_S_IN_MB_PER_S),
  ],
  smClockMhz: [src('DCGM_FI_DEV_SM_CLOCK'), src('dcgm_sm_clock')],
  powerW: [src('DCGM_FI_DEV_POWER_USAGE'), src('dcgm_power_usage')],
  tempC: [src('DCGM_FI_DEV_GPU_TEMP'), src('dcgm_gpu_temp')],
};
const FB_TOTAL = [src('DCGM_FI_DEV_FB_TOTAL'), src('dcgm_fb_total')];
const FB_RESERVED = [src('DCGM_FI_DEV_FB_RESERVED')];

const READ = new Set([...Object.values(SOURCES).flat(), ...FB_TOTAL, ...FB_RESERVED].map((s) => s.name));

/**
 * PCIe 6.0 x16 carries about 121 GB/s each way; a "rate" far above that is a cumulative byte
 * count read as a rate (1.x's `dcgm_pcie_tx_throughput` printed 1027729013 "KB/s" in a public capture).
 */
const PCIE_MAX_MBPS = 1e6;

/** Labels that describe the device rather than one series; they go to `Reading.labels`. */
const ATTRIBUTE_LABELS = new Set(['modelName', 'Hostname', 'hostname', 'device', 'pci_bus_id']);
const isAttributeLabel = (name: string) => ATTRIBUTE_LABELS.has(name) || name.startsWith('DCGM_FI_');

/**
 * Pod label sets, in order: Prometheus renames the scraped labels to `exported_*` when the target
 * already has `pod`/`namespace` (the exporter's own pod) and honor_labels is off; 1.x on
 * Kubernetes printed `pod_name`, `pod_namespace`, `container_name`.
 */
const POD_LABELS = [
  { namespace: 'exported_namespace', pod: 'exported_pod', container: 'exported_container' },
  { namespace: 'namespace', pod: 'pod', container: 'container' },
  { namespace: 'pod_namespace', pod: 'pod_name', container: 'container_name' },
] as const;

type Pod = Reading['pods'][number];

interface Device {
  reading: Reading;
  /** The first sample of each series that is read. */
  first: Map<string, PromSample>;
  labels: Map<string, string>;
  pods: Map<string, Pod>;
  busIdReported: boolean;
}

interface Identity {
  key: string;
  uuid: string | null;
  index: number | null;
  mig: { gpuInstanceId: string | null; profile: string | null } | null;
}

export function dcgmReadings(samples: readonly PromSample[], options: DcgmOptions = {}): ParseOutcome {
  const uuidLabels = [options.uuidLabel, 'UUID', 'uuid'].filter((l): l is string => !!l);
  const problems: Problem[] = [];
  const devices = new Map<string, Device>();

  for (const sample of samples) {
    if (!/^(DCGM|dcgm)_/.test(sample.name)) continue; // the exporter's own go_*, promhttp_* series
    const id = identify(sample, uuidLabels, options.host ?? null);
    if (typeof id === 'string') {
      problems.push({ line: sample.line, field: sample.name, message: id });
      continue;
    }
    let device = devices.get(id.key);
    if (!device) {
      device = newDevice(sample, id);
      devices.set(id.key, device);
    }
    absorb(device, sample, id, problems);
  }
  const readings = [...devices.values()].map((d) => finish(d, options.host ?? null, problems));
  return { readings, problems };
}

/** The device a sample is about, or why it names none. */
function identify(
  sample: PromSample,
  uuidLabels: readonly string[],
  defaultHost: string | null,
): Identity | string {
  const uuid = firstLabel(sample, uuidLabels);
  const gpu = label(sample, 'gpu');
  const index = gpu !== null && /^\d{1,9}$/.test(gpu) ? Number(gpu) : null;
  if (uuid === null && index === null) {
    const names = [...uuidLabels, 'gpu'].join('/');
    return gpu === null
      ? `no GPU identity label (${names}); the sample is not read`
      : `gpu="${gpu}" is not a GPU index and there is no ${uuidLabels.join('/')} label; the sample is not read`;
  }
  const host = firstLabel(sample, ['Hostname', 'hostname']) ?? defaultHost;
  const gpuInstanceId = label(sample, 'GPU_I_ID');
  const profile = label(sample, 'GPU_I_PROFILE');
  const mig = gpuInstanceId !== null || profile !== null ? { gpuInstanceId, profile } : null;
  const device = uuid !== null ? `uuid ${uuid}` : `host ${host ?? ''} gpu ${index}`;
  const key = mig ? `${device} mig ${gpuInstanceId ?? ''} ${profile ?? ''}` : device;
  return { key, uuid, index, mig };
}

function newDevice(sample: PromSample, id: Identity): Device {
  const reading = emptyReading(id.mig ? 'mig' : 'gpu', sample.line);
  reading.gpuUuid = id.uuid;
  reading.mig = id.mig;
  return { reading, first: new Map(), labels: new Map(), pods: new Map(), busIdReported: false };
}

function absorb(device: Device, sample: PromSample, id: Identity, problems: Problem[]): void {
  const r = device.reading;
  r.gpuIndex ??= id.index;
  r.model ??= firstLabel(sample, ['modelName', 'DCGM_FI_DEV_NAME']);
  r.host ??= firstLabel(sample, ['Hostname', 'hostname']);
  const bus = label(sample, 'pci_bus_id');
  if (r.busId === null && bus !== null) {
    r.busId = normaliseBusId(bus);
    if (r.busId === null && !device.busIdReported) {
      device.busIdReported = true;
      problems.push({ line: sample.line, field: 'pci_bus_id', message: `not a PCI bus id: "${bus}"` });
    }
  }
  for (const [name, value] of Object.entries(sample.labels)) {
    if (value !== '' && isAttributeLabel(name) && !device.labels.has(name)) device.labels.set(name, value);
  }
  const pod = podOf(sample);
  if (pod) device.pods.set(JSON.stringify([pod.namespace, pod.pod, pod.container]), pod);
  if (sample.timestampMs !== null) r.timestampMs = Math.max(r.timestampMs ?? -Infinity, sample.timestampMs);

  if (!READ.has(sample.name)) return;
  const first = device.first.get(sample.name);
  if (!first) {
    device.first.set(sample.name, sample);
  } else if (!sameValue(first.value, sample.value)) {
    problems.push({
      line: sample.line,
      field: sample.name,
      message: `${sample.name} is ${sample.value} here but ${first.value} on line ${first.line} for the same device; the first is kept`,
    });
  }
}

function finish(device: Device, defaultHost: string | null, problems: Problem[]): Reading {
  const r = device.reading;
  r.host ??= defaultHost;
  const value = (sources: readonly Source[]) => read(device.first, sources);
  for (const [metric, sources] of Object.entries(SOURCES) as [keyof typeof SOURCES, Source[]][]) {
    r.metrics[metric] = value(sources)?.value ?? null;
  }
  for (const metric of ['pcieRxMBps', 'pcieTxMBps'] as const) {
    const got = value(SOURCES[metric]);
    if (got && Math.abs(got.value) > PCIE_MAX_MBPS) {
      r.metrics[metric] = null;
      problems.push({
        line: got.sample.line,
        field: got.sample.name,
        message: `${got.value} MB/s is no PCIe rate (a cumulative count?); read as no value`,
      });
    }
  }
  // Without FB_TOTAL: total = used + free + reserved (NVML's identity since R510, where "used"
  // stopped counting the driver's reservation); with no FB_RESERVED series, used + free.
  const { fbUsedMib: used, fbFreeMib: free } = r.metrics;
  const derived = used !== null && free !== null ? used + free + (value(FB_RESERVED)?.value ?? 0) : null;
  const total = value(FB_TOTAL)?.value ?? derived;
  r.metrics.fbTotalMib = total !== null && Number.isFinite(total) ? total : null;

  r.labels = Object.fromEntries(device.labels);
  r.pods = [...device.pods.values()].sort(
    (a, b) => cmp(a.namespace, b.namespace) || cmp(a.pod, b.pod) || cmp(a.container, b.container),
  );
  return r;
}

/** The first source with a value (DCGM blanks and NaN are none), in the twin's unit. */
function read(
  first: ReadonlyMap<string, PromSample>,
  sources: readonly Source[],
): { value: number; sample: PromSample } | null {
  for (const { name, scale } of sources) {
    const sample = first.get(name);
    if (sample && !isDcgmBlank(sample.value)) return { value: sample.value * scale, sample };
  }
  return null;
}

function podOf(sample: PromSample): Pod | null {
  for (const names of POD_LABELS) {
    const pod = label(sample, names.pod);
    if (pod !== null) {
      return {
        namespace: label(sample, names.namespace) ?? '',
        pod,
        container: label(sample, names.container) ?? '',
      };
    }
  }
  return null;
}

/** A label's value; null when absent or empty (Prometheus treats an empty label as absent). */
function label(sample: PromSample, name: string): string | null {
  const value = Object.hasOwn(sample.labels, name) ? sample.labels[name] : undefined;
  return value === undefined || value === '' ? null : value;
}

function firstLabel(sample: PromSample, names: readonly string[]): string | null {
  for (const name of names) {
    const value = label(sample, name);
    if (value !== null) return value;
  }
  return null;
}

function sameValue(a: number, b: number): boolean {
  return a === b || (isDcgmBlank(a) && isDcgmBlank(b));
}

function src(name: string, scale = 1): Source {
  return { name, scale };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
