/**
 * What every parser returns: readings and the problems met on the way, each problem naming its
 * line (1-based) and, where there is one, its field. A parser never throws on bad input and never
 * drops a valid reading because another one on the same input is broken.
 */

/** The formats `vgpu-twin telemetry parse --format` names. */
export const TELEMETRY_FORMATS = [
  'prometheus',
  'nvidia-smi-csv',
  'nvidia-smi-apps',
  'nvidia-smi-xml',
  'nvidia-smi-q',
  'nvidia-smi-vgpu',
  'dmon',
] as const;
export type TelemetryFormat = (typeof TELEMETRY_FORMATS)[number];

/** Device metrics in the twin's units; `null` where the source does not give a value. */
export interface ReadingMetrics {
  gpuUtilPct: number | null;
  memUtilPct: number | null;
  fbUsedMib: number | null;
  fbFreeMib: number | null;
  fbTotalMib: number | null;
  /** PCIe receive / transmit in MB/s (10^6 bytes per second). */
  pcieRxMBps: number | null;
  pcieTxMBps: number | null;
  smClockMhz: number | null;
  powerW: number | null;
  tempC: number | null;
}

export const METRIC_NAMES = [
  'gpuUtilPct',
  'memUtilPct',
  'fbUsedMib',
  'fbFreeMib',
  'fbTotalMib',
  'pcieRxMBps',
  'pcieTxMBps',
  'smClockMhz',
  'powerW',
  'tempC',
] as const satisfies readonly (keyof ReadingMetrics)[];

export function emptyMetrics(): ReadingMetrics {
  return {
    gpuUtilPct: null,
    memUtilPct: null,
    fbUsedMib: null,
    fbFreeMib: null,
    fbTotalMib: null,
    pcieRxMBps: null,
    pcieTxMBps: null,
    smClockMhz: null,
    powerW: null,
    tempC: null,
  };
}

/**
 * One reading: a physical GPU (`gpu`), a vGPU of a VM on it (`vgpu`), or a MIG instance (`mig`).
 * The first fields are the `telemetry parse` contract (issue 12); the ones after `metrics` extend it.
 */
export interface Reading {
  kind: 'gpu' | 'vgpu' | 'mig';
  /** `GPU-…` as nvidia-smi and DCGM print it; null when the source names the GPU only by index or bus. */
  gpuUuid: string | null;
  gpuIndex: number | null;
  /** PCI bus id normalised to nvidia-smi's long form, upper case: `00000000:82:00.0`. */
  busId: string | null;
  /** Product name as the source prints it (`NVIDIA H100 80GB HBM3`, `Tesla T4`). */
  model: string | null;
  host: string | null;
  /** The VM a vGPU belongs to (from `nvidia-smi vgpu -q`); null for a physical GPU. */
  vm: { name: string | null; uuid: string | null } | null;
  vgpuId: string | null;
  /** vGPU type name (`GRID V100D-8C`), the profile of the VM. */
  vgpuType: string | null;
  metrics: ReadingMetrics;
  /** Where in the input the reading starts (1-based line). */
  line: number;
  /** Source labels a mapping file may match (dcgm-exporter's `pod`, `namespace`, `container` …); empty when none. */
  labels: Record<string, string>;
  /** The source's own time for the reading in ms since the epoch; null when it gives none. */
  timestampMs: number | null;
  /** For a MIG reading: the GPU instance id and profile (`1g.10gb`); null otherwise. */
  mig: { gpuInstanceId: string | null; profile: string | null } | null;
  /** For `--query-compute-apps`: the process the memory belongs to; null otherwise. */
  process: { pid: number | null; name: string | null } | null;
  /**
   * dcgm-exporter on Kubernetes: the pods its series for this device named (one each when the GPU
   * is time-sliced; the metrics are then device-wide and were read once, never summed). Empty when
   * the source names none.
   */
  pods: { namespace: string; pod: string; container: string }[];
}

export function emptyReading(kind: Reading['kind'], line: number): Reading {
  return {
    kind,
    gpuUuid: null,
    gpuIndex: null,
    busId: null,
    model: null,
    host: null,
    vm: null,
    vgpuId: null,
    vgpuType: null,
    metrics: emptyMetrics(),
    line,
    labels: {},
    timestampMs: null,
    mig: null,
    process: null,
    pods: [],
  };
}

export interface Problem {
  /** 1-based line of the input. */
  line: number;
  /** The field, column or label the problem is about, when there is one. */
  field?: string;
  message: string;
}

export interface ParseOutcome {
  readings: Reading[];
  problems: Problem[];
  /**
   * True when the input as a whole is refused (invalid Prometheus exposition text): `readings`
   * then holds nothing and `problems` says where it broke.
   */
  refused?: boolean;
}

/**
 * Values the tools print for "no value": nvidia-smi's bracketed notes (`[N/A]`,
 * `[Requested functionality has been deprecated]`, `[Function Not Found]` …), `N/A`, dmon's `-`
 * and empty text. Returns true for any of them.
 */
export function isNoValue(text: string): boolean {
  const t = text.trim();
  return t === '' || t === '-' || /^n\/?a\b/i.test(t) || /^\[.*\]$/.test(t) || /^not supported$/i.test(t);
}

/**
 * DCGM's "blank" sentinels leak out of dcgm-exporter as huge integers: int64 blanks start at
 * 0x7ffffff0 << 32 ≈ 9.2234e18 (DCGM_INT64_BLANK = 0x7ffffffffffffff0 and the NOT_FOUND /
 * NOT_SUPPORTED / NOT_PERMISSIONED values just above it), int32 blanks at 0x7ffffff0 = 2147483632,
 * and FP64 blanks at 140737488355328.0 (DCGM_FP64_BLANK = 2^47) and the few values above each. None
 * is a real reading (a byte counter passes 2^47 only after days, so only the blank values themselves
 * count, not everything above them).
 */
export function isDcgmBlank(value: number): boolean {
  if (!Number.isFinite(value)) return true;
  const near = (blank: number) => value >= blank && value <= blank + 15;
  return value >= 9.2e18 || near(2147483632) || near(140737488355328);
}

/** `0000:82:00.0`, `00000000:82:00.0` or `82:00.0` → `00000000:82:00.0`; null when it is not a bus id. */
export function normaliseBusId(text: string): string | null {
  const m = /^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(text.trim());
  if (!m) return null;
  const [, domain = '0', bus = '', device = '', fn = ''] = m;
  return `${domain.padStart(8, '0')}:${bus.padStart(2, '0')}:${device.padStart(2, '0')}.${fn}`.toUpperCase();
}
