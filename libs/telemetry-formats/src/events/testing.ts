/**
 * Builders for the events specs: readings as the parsers leave them, an inventory index folded from
 * contract events, and the contract check every produced event must pass.
 */
import {
  parseEvent,
  type FieldIssue,
  type GpuRegistered,
  type InventoryEvent,
  type VmPlaced,
} from '@vgpu-twin/contracts';
import type { PromSample } from '../prometheus/exposition';
import { emptyReading, type Reading, type ReadingMetrics } from '../reading';
import { applyToIndex, emptyIndex, type InventoryIndex } from './inventory-index';
import { TelemetryMapping } from './mapping';

/** 2026-07-17 09:14:05 UTC: the time of the `vgpu -q` fixtures in ../nvidia-smi/fixtures. */
export const AT = Date.UTC(2026, 6, 17, 9, 14, 5);

export type ReadingFields = Partial<Omit<Reading, 'kind' | 'line' | 'metrics'>> & {
  metrics?: Partial<ReadingMetrics>;
};

/** `emptyReading(kind, line)` with these fields set; metrics not named stay null. */
export function reading(kind: Reading['kind'], line: number, fields: ReadingFields = {}): Reading {
  const r = emptyReading(kind, line);
  const { metrics, ...rest } = fields;
  return { ...r, ...rest, metrics: { ...r.metrics, ...metrics } };
}

/** A mapping file's content through its schema, defaults filled in as `parseMapping` would. */
export function mapping(content: unknown = {}): TelemetryMapping {
  return TelemetryMapping.parse(content);
}

const envelope = (id: string) => ({
  id,
  version: 1 as const,
  ts: new Date(AT).toISOString(),
  source: 'spec',
});

export function gpuRegistered(
  data: Pick<GpuRegistered['data'], 'gpuId' | 'hostId'> & Partial<GpuRegistered['data']>,
): GpuRegistered {
  return {
    ...envelope(`spec:gpu:${data.gpuId}`),
    type: 'gpu.registered',
    data: { model: 'V100-16GB', framebufferMib: 16384, policy: 'best_effort', timeSliceMs: 1, ...data },
  };
}

export function vmPlaced(
  data: Pick<VmPlaced['data'], 'vmId' | 'gpuId'> & Partial<VmPlaced['data']>,
): VmPlaced {
  return {
    ...envelope(`spec:vm:${data.vmId}`),
    type: 'vm.placed',
    data: { profile: 'V100-8Q', framebufferMib: 8192, workload: 'unprofiled', ...data },
  };
}

/** The index ingest would hold after these inventory events; throws on one that breaks its contract. */
export function indexOf(events: readonly InventoryEvent[]): InventoryIndex {
  const broken = contractViolations(events);
  if (broken.length > 0) throw new Error(`not contract events: ${JSON.stringify(broken)}`);
  const index = emptyIndex();
  for (const e of events) applyToIndex(index, e);
  return index;
}

/**
 * The events `parseEvent` refuses, each with what is wrong: `expect(contractViolations(events))
 * .toEqual([])` names the broken event and field. (No jest here: this file is not a spec, and the
 * build compiles it.)
 */
export function contractViolations(
  events: readonly { id: string; type: string }[],
): { id: string; type: string; issues: FieldIssue[] }[] {
  return events.flatMap((e) => {
    const r = parseEvent(e);
    return r.ok ? [] : [{ id: e.id, type: e.type, issues: [...r.issues] }];
  });
}

/** One Prometheus sample, without its own timestamp unless given one. */
export function promSample(
  name: string,
  labels: Record<string, string>,
  value: number,
  timestampMs: number | null = null,
): PromSample {
  return { name, labels, value, timestampMs, line: 1, type: 'counter' };
}
