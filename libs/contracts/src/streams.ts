import type { AlertEvent, TwinEvent } from './twin';
import {
  isAlertChange,
  type LifecycleEvent,
  type NotificationRequested,
  type OperatorCommand,
} from './lifecycle';
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
  /** The twin's alerts and operators' commands: one partition, so the notifier's decider reads one order. */
  alerts: 'vgpu.alerts',
  /** What the notifier decided: every alert, incident, silence and notification change (one partition: positions). */
  lifecycle: 'vgpu.alert-lifecycle',
  /** The delivery queue: one notification for one receiver per record, keyed by receiver. */
  notifications: 'vgpu.notifications',
  deadLetter: 'vgpu.dead-letter',
} as const;
export type StreamName = (typeof Streams)[keyof typeof Streams];

export type DomainEvent =
  | InventoryEvent
  | TelemetryEvent
  | TwinEvent
  | AlertEvent
  | OperatorCommand
  | LifecycleEvent
  | NotificationRequested;
export type EventType = DomainEvent['type'];

/** The partition key of an event: the entity whose events must stay in order. */
export function partitionKey(event: DomainEvent): string {
  if (isAlertChange(event)) return event.data.alert.labels.gpu;
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
    case 'operator.acknowledged':
      return event.data.alertId;
    case 'operator.silence_created':
    case 'operator.silence_expired':
      return event.data.silenceId;
    case 'incident.opened':
    case 'incident.updated':
    case 'incident.resolved':
      return event.data.incident.gpuId;
    case 'silence.created':
    case 'silence.activated':
    case 'silence.expired':
      return event.data.silence.silenceId;
    case 'notification.queued':
    case 'notification.delivered':
    case 'notification.dead_lettered':
    case 'notification.requested':
      // a receiver's notifications stay in order: its queue is one partition
      return event.data.receiver;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
