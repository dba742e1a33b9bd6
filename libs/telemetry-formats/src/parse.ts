import { parseComputeAppsCsv } from './nvidia-smi/compute-apps-csv';
import { parseDmon } from './nvidia-smi/dmon';
import { parseQueryGpuCsv } from './nvidia-smi/query-gpu-csv';
import { parseNvidiaSmiQ } from './nvidia-smi/q-text';
import { parseNvidiaSmiVgpuQ } from './nvidia-smi/vgpu-q';
import { parseNvidiaSmiXml } from './nvidia-smi/xml';
import { dcgmReadings } from './prometheus/dcgm';
import { parseExposition, type PromSample } from './prometheus/exposition';
import type { ParseOutcome, TelemetryFormat } from './reading';

export interface ParseOptions {
  /** The host the capture comes from, for readings that name none. */
  readonly host?: string;
  /** dcgm-exporter's UUID label when it was renamed (`-u` / `DCGM_EXPORTER_UUID_LABEL`…). */
  readonly uuidLabel?: string;
}

export interface Parsed extends ParseOutcome {
  readonly format: TelemetryFormat;
  /** The Prometheus samples behind the readings (the progress metrics are read from them). */
  readonly samples: readonly PromSample[];
}

/**
 * Which tool printed this text: the XML root of `nvidia-smi -q -x`, the `NVSMI LOG` banner and
 * `vGPU ID` blocks of `nvidia-smi -q` / `nvidia-smi vgpu -q`, dmon's `# gpu` header, the CSV
 * headers of `--query-gpu` and `--query-compute-apps`; anything else is read as Prometheus text.
 */
export function detectFormat(text: string): TelemetryFormat {
  const head = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 4096);
  if (
    head.startsWith('<?xml') ||
    head.startsWith('<nvidia_smi_log') ||
    head.startsWith('<!DOCTYPE nvidia_smi_log')
  )
    return 'nvidia-smi-xml';
  if (/^\s*vGPU ID\s*:/m.test(head) || /^\s*Active vGPUs\s*:/m.test(head)) return 'nvidia-smi-vgpu';
  if (
    /=+\s*NVSMI LOG\s*=+/.test(head) ||
    /^GPU [0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d\s*$/m.test(head)
  )
    return 'nvidia-smi-q';
  const first = head.split(/\r?\n/, 1)[0] ?? '';
  if (/^#\s*gpu\b/i.test(first)) return 'dmon';
  if (first.includes(',') && !first.startsWith('#')) {
    const header = first.toLowerCase();
    if (/\bpid\b/.test(header) && /(process_name|used_memory|used_gpu_memory)/.test(header))
      return 'nvidia-smi-apps';
    if (/\b(uuid|index|name|pci\.bus_id|utilization\.gpu|memory\.used|timestamp)\b/.test(header))
      return 'nvidia-smi-csv';
  }
  return 'prometheus';
}

/** Parses a capture in the given format (`auto` detects it). */
export function parseTelemetry(
  text: string,
  format: TelemetryFormat | 'auto' = 'auto',
  options: ParseOptions = {},
): Parsed {
  const f = format === 'auto' ? detectFormat(text) : format;
  const host = options.host !== undefined ? { host: options.host } : {};
  switch (f) {
    case 'prometheus': {
      const exposition = parseExposition(text);
      if (exposition.refused)
        return { format: f, readings: [], problems: exposition.problems, refused: true, samples: [] };
      const dcgm = dcgmReadings(exposition.samples, {
        ...host,
        ...(options.uuidLabel ? { uuidLabel: options.uuidLabel } : {}),
      });
      return {
        format: f,
        readings: dcgm.readings,
        problems: [...exposition.problems, ...dcgm.problems].sort((a, b) => a.line - b.line),
        samples: exposition.samples,
      };
    }
    case 'nvidia-smi-csv':
      return { format: f, ...parseQueryGpuCsv(text, host), samples: [] };
    case 'nvidia-smi-apps':
      return { format: f, ...parseComputeAppsCsv(text, host), samples: [] };
    case 'nvidia-smi-xml':
      return { format: f, ...parseNvidiaSmiXml(text, host), samples: [] };
    case 'nvidia-smi-q':
      return { format: f, ...parseNvidiaSmiQ(text, host), samples: [] };
    case 'nvidia-smi-vgpu':
      return { format: f, ...parseNvidiaSmiVgpuQ(text, host), samples: [] };
    case 'dmon':
      return { format: f, ...parseDmon(text, host), samples: [] };
    default: {
      const _exhaustive: never = f;
      return _exhaustive;
    }
  }
}
