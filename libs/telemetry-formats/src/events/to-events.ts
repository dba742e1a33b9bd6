import type { GpuSampleV2, VmSampleV2 } from '@vgpu-twin/contracts';
import type { Problem, Reading, ReadingMetrics } from '../reading';
import { eventId } from './ids';
import { findIndexedGpu, type InventoryIndex } from './inventory-index';
import { matchesLabels, type TelemetryMapping } from './mapping';

export interface ConvertContext {
  readonly index: InventoryIndex;
  readonly mapping: TelemetryMapping;
  /** Event time of readings that carry none: the scrape's, the write's or the capture's time. */
  readonly atMs: number;
  /** The host the source runs on, for readings that name none (a scrape target, an agent's host). */
  readonly host: string | null;
  /** The events' `source` (`scrape:<url>`, `remote-write`, `import`, `agent:<host>`). */
  readonly source: string;
}

export type TelemetrySampleV2 = GpuSampleV2 | VmSampleV2;

export interface Converted {
  readonly events: TelemetrySampleV2[];
  readonly problems: Problem[];
}

/**
 * Readings → the twin's telemetry events (version 2: what the source does not report is null).
 *
 * - A physical GPU reading is one `telemetry.gpu_sample` of the GPU the inventory (or the mapping,
 *   or else its UUID) names. dcgm-exporter repeats a time-sliced GPU's device-wide values once per
 *   sharing pod; the parser read them once, and they stay a GPU sample: never per-VM numbers, never
 *   a sum. Only a GPU (or MIG instance) that one mapped pod holds alone gives that VM's numbers too.
 * - A vGPU reading (`nvidia-smi vgpu -q`) is its VM's `telemetry.vm_sample`.
 * - A process reading (`--query-compute-apps`) is no telemetry the twin reads: skipped.
 */
export function readingsToEvents(readings: readonly Reading[], ctx: ConvertContext): Converted {
  const events: TelemetrySampleV2[] = [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const push = (e: TelemetrySampleV2) => {
    if (seen.has(e.id)) return; // the same GPU at the same instant twice in one input: read once
    seen.add(e.id);
    events.push(e);
  };
  const vgpusOfVm = vgpusByVm(readings);
  for (const r of readings) {
    if (r.process !== null) continue;
    const at = r.timestampMs ?? ctx.atMs;
    if (!isEventTime(at)) {
      problems.push({
        line: r.line,
        message: `timestamp ${at} ms is not a time an event can carry: skipped`,
      });
      continue;
    }
    const ts = new Date(at).toISOString();
    const metrics = checked(r, problems);
    if (r.kind === 'vgpu') {
      const vmId = vmIdOf(r, ctx.mapping, vgpusOfVm);
      if (vmId === null) {
        problems.push({ line: r.line, message: 'a vGPU with no VM name or UUID: cannot tell whose it is' });
        continue;
      }
      const gpuId = ctx.index.vms.get(vmId)?.gpuId ?? resolveGpu(r, ctx)?.gpuId;
      if (gpuId === undefined) {
        problems.push({ line: r.line, message: `cannot tell which GPU ${vmId}'s vGPU is on: no bus id` });
        continue;
      }
      push(vmSample(vmId, gpuId, metrics, ts, at, ctx));
      continue;
    }
    const gpu = resolveGpu(r, ctx);
    if (gpu === null) {
      problems.push({
        line: r.line,
        message: 'cannot tell which GPU this is: no UUID, and no host and bus id',
      });
      continue;
    }
    if (r.kind === 'gpu') {
      if (gpu.hostId === null) {
        problems.push({
          line: r.line,
          message: `cannot tell which host GPU ${gpu.gpuId} is in: no host label`,
        });
      } else {
        push({
          id: eventId('rd', gpu.gpuId, at),
          type: 'telemetry.gpu_sample',
          version: 2,
          ts,
          source: ctx.source,
          data: {
            gpuId: gpu.gpuId,
            hostId: gpu.hostId,
            gpuUtilPct: metrics.gpuUtilPct,
            memUtilPct: metrics.memUtilPct,
            fbUsedMib: metrics.fbUsedMib,
            fbTotalMib: metrics.fbTotalMib,
            pcieRxMBps: metrics.pcieRxMBps,
            pcieTxMBps: metrics.pcieTxMBps,
            smClockMhz: metrics.smClockMhz,
            powerW: metrics.powerW,
            temperatureC: metrics.tempC,
          },
        });
      }
    }
    // a whole GPU or a MIG instance that one pod holds: its numbers are that pod's VM's
    if (r.pods.length === 1) {
      const pod = r.pods[0]!;
      const vmId = mappedVm(ctx.mapping, {
        namespace: pod.namespace,
        pod: pod.pod,
        container: pod.container,
      })?.vm;
      if (vmId !== undefined) push(vmSample(vmId, gpu.gpuId, metrics, ts, at, ctx));
    }
  }
  return { events, problems };
}

function vmSample(
  vmId: string,
  gpuId: string,
  m: ReadingMetrics,
  ts: string,
  at: number,
  ctx: ConvertContext,
): VmSampleV2 {
  return vmSampleV2(eventId('rd', 'vm', vmId, at), ts, ctx.source, vmId, gpuId, {
    gpuUtilPct: m.gpuUtilPct,
    memUtilPct: m.memUtilPct,
    fbUsedMib: m.fbUsedMib,
    pcieRxMBps: m.pcieRxMBps,
    pcieTxMBps: m.pcieTxMBps,
  });
}

/** A version-2 VM sample that says only `said`: every other number is null. */
export function vmSampleV2(
  id: string,
  ts: string,
  source: string,
  vmId: string,
  gpuId: string,
  said: Partial<Omit<VmSampleV2['data'], 'vmId' | 'gpuId'>>,
): VmSampleV2 {
  return {
    id,
    type: 'telemetry.vm_sample',
    version: 2,
    ts,
    source,
    data: {
      vmId,
      gpuId,
      gpuUtilPct: null,
      memUtilPct: null,
      fbUsedMib: null,
      pcieRxMBps: null,
      pcieTxMBps: null,
      vcpuUtilPct: null,
      vmMemUtilPct: null,
      progressRate: null,
      ...said,
    },
  };
}

/** The twin GPU of a reading: the mapping, then the inventory, then its UUID or host/bus id. */
export function resolveGpu(
  r: Reading,
  ctx: Pick<ConvertContext, 'index' | 'mapping' | 'host'>,
): { gpuId: string; hostId: string | null } | null {
  const host = r.host ?? ctx.host;
  const mapped = ctx.mapping.gpus.find(
    (g) =>
      (g.uuid !== undefined && r.gpuUuid !== null && g.uuid.toUpperCase() === r.gpuUuid.toUpperCase()) ||
      (g.host !== undefined && g.host === host && g.busId !== undefined && g.busId === r.busId),
  );
  const indexed = mapped
    ? (ctx.index.gpus.get(mapped.gpuId) ?? null)
    : findIndexedGpu(ctx.index, r.gpuUuid, host, r.busId);
  if (mapped) return { gpuId: mapped.gpuId, hostId: indexed?.hostId ?? mapped.hostId ?? host };
  if (indexed) return { gpuId: indexed.gpuId, hostId: indexed.hostId };
  if (r.gpuUuid !== null) return { gpuId: r.gpuUuid, hostId: host };
  if (host !== null && r.busId !== null) return { gpuId: defaultGpuId(host, r.busId), hostId: host };
  return null;
}

/** A GPU known only by where it sits: `<host>/<bus id>`. */
export function defaultGpuId(host: string, busId: string): string {
  return `${host}/${busId}`;
}

/** The first mapping entry whose matchers all match these labels. */
export function mappedVm(
  mapping: TelemetryMapping,
  labels: Record<string, string>,
): TelemetryMapping['vms'][number] | undefined {
  return mapping.vms.find((v) => matchesLabels(v.match, labels));
}

/**
 * The twin VM of a vGPU: the mapping's `vm` for its `vmName` / `vmUuid`, else its VM's name (or
 * UUID). A VM with several vGPUs is one twin VM per vGPU, `<vm>@<bus id>` (and `#2`, `#3` … when
 * it holds several on one GPU), since the twin places each vGPU on a GPU of its own. Never by
 * vGPU ID: that changes whenever the VM restarts.
 */
export function vmIdOf(
  r: Reading,
  mapping: TelemetryMapping,
  vgpusOfVm: ReadonlyMap<string, readonly Reading[]>,
): string | null {
  const key = vmKey(r);
  if (key === null) return null;
  const labels = { vmName: r.vm?.name ?? '', vmUuid: r.vm?.uuid ?? '' };
  const base = mappedVm(mapping, labels)?.vm ?? r.vm?.name ?? r.vm?.uuid ?? key;
  const all = vgpusOfVm.get(key) ?? [r];
  if (all.length <= 1) return base;
  const onBus = all.filter((x) => x.busId === r.busId);
  const at = `${base}@${r.busId ?? '?'}`;
  return onBus.length <= 1 ? at : `${at}#${onBus.indexOf(r) + 1}`;
}

function vmKey(r: Reading): string | null {
  return r.vm?.uuid ?? r.vm?.name ?? null;
}

/** Each VM's vGPU readings, in input order, by the VM's UUID (or name). */
export function vgpusByVm(readings: readonly Reading[]): Map<string, Reading[]> {
  const n = new Map<string, Reading[]>();
  for (const r of readings) {
    if (r.kind !== 'vgpu') continue;
    const key = vmKey(r);
    if (key === null) continue;
    const list = n.get(key) ?? [];
    list.push(r);
    n.set(key, list);
  }
  return n;
}

const PERCENT: readonly (keyof ReadingMetrics)[] = ['gpuUtilPct', 'memUtilPct'];

/** The reading's metrics with what an event cannot carry (a percentage past 100, a negative count) as null and a problem. */
function checked(r: Reading, problems: Problem[]): ReadingMetrics {
  const m = { ...r.metrics };
  for (const [key, value] of Object.entries(m) as [keyof ReadingMetrics, number | null][]) {
    if (value === null) continue;
    const bad =
      !Number.isFinite(value) || (key !== 'tempC' && value < 0) || (PERCENT.includes(key) && value > 100);
    if (bad) {
      problems.push({ line: r.line, field: key, message: `${key} ${value} is out of range: dropped` });
      m[key] = null;
    }
  }
  return m;
}

/** A time in ms an ISO-8601 event time can say (JavaScript dates end at ±8.64e15 ms). */
export function isEventTime(ms: number): boolean {
  return Number.isFinite(ms) && ms >= 0 && ms <= 8.64e15;
}
