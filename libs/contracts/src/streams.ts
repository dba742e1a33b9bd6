import type { AlertEvent, TwinEvent } from './twin';
import type { InventoryEvent } from './inventory';
import type { TelemetryEvent } from './telemetry';

/**
 * The log's streams (Kafka topics). Inventory is small and read in full by every twin instance,
 * so it has one partition; telemetry is keyed by GPU id so each GPU's samples stay in order.
 */
export const Streams = {
  inventory: 'vgpu.inventory',
  telemetry: 'vgpu.telemetry',
  twin: 'vgpu.twin',
  alerts: 'vgpu.alerts',
  deadLetter: 'vgpu.dead-letter',
} as const;
export type StreamName = (typeof Streams)[keyof typeof Streams];

export type DomainEvent = InventoryEvent | TelemetryEvent | TwinEvent | AlertEvent;
export type EventType = DomainEvent['type'];

/** The partition key of an event: the entity whose events must stay in order. */
export function partitionKey(event: DomainEvent): string {
  switch (event.type) {
    case 'host.registered':
      return event.data.hostId;
    case 'gpu.registered':
    case 'gpu.policy_changed':
    case 'vm.placed':
    case 'vm.removed':
    case 'telemetry.vm_sample':
    case 'telemetry.gpu_sample':
    case 'twin.prediction':
    case 'twin.observation':
    case 'alert.raised':
    case 'alert.resolved':
      return event.data.gpuId;
    case 'vm.migrated':
      return event.data.toGpuId;
    case 'workload.profiled':
      return event.data.workload;
    case 'placement.suggested':
      return event.data.fromGpuId;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
