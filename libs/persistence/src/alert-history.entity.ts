import type { AlertState } from '@vgpu-twin/contracts';
import { EntitySchema } from 'typeorm';

/**
 * Row shapes of the alert history (the projection of `vgpu.alert-lifecycle`). Only this library
 * sees them; callers get `AlertView`, `IncidentView`, `SilenceView` and `AlertTransitionRow`.
 */

/** A bigint column: written as a number; PostgreSQL returns it as a string, better-sqlite3 as a number. */
export type BigintColumn = number | string;

export interface AlertRow {
  alertId: string;
  state: AlertState;
  cluster: string;
  host: string;
  gpu: string;
  vm: string;
  kind: string;
  startsAtMs: BigintColumn;
  endsAtMs: BigintColumn | null;
  /** The stream position of the event this row's view came from. */
  position: BigintColumn;
  /** The `AlertView`, as JSON. */
  view: string;
}

export interface AlertTransitionEntityRow {
  eventId: string;
  alertId: string;
  position: BigintColumn;
  type: string;
  at: string;
  from: AlertState | null;
  to: AlertState;
  reason: string;
  actor: string | null;
}

export interface IncidentRow {
  incidentId: string;
  status: 'open' | 'resolved';
  cluster: string;
  gpu: string;
  openedAtMs: BigintColumn;
  position: BigintColumn;
  view: string;
}

export interface SilenceRow {
  silenceId: string;
  state: 'pending' | 'active' | 'expired';
  startsAtMs: BigintColumn;
  position: BigintColumn;
  view: string;
}

export interface ProjectionPositionRow {
  projection: string;
  position: BigintColumn;
}

export const AlertEntity = new EntitySchema<AlertRow>({
  name: 'Alert',
  tableName: 'alerts',
  columns: {
    alertId: { name: 'alert_id', type: String, length: 200, primary: true },
    state: { type: String, length: 20 },
    cluster: { type: String, length: 200 },
    host: { type: String, length: 200 },
    gpu: { type: String, length: 200 },
    vm: { type: String, length: 200 },
    kind: { type: String, length: 40 },
    startsAtMs: { name: 'starts_at_ms', type: 'bigint' },
    endsAtMs: { name: 'ends_at_ms', type: 'bigint', nullable: true },
    position: { type: 'bigint' },
    view: { type: 'text' },
  },
});

export const AlertTransitionEntity = new EntitySchema<AlertTransitionEntityRow>({
  name: 'AlertTransition',
  tableName: 'alert_transitions',
  columns: {
    eventId: { name: 'event_id', type: String, length: 200, primary: true },
    alertId: { name: 'alert_id', type: String, length: 200 },
    position: { type: 'bigint' },
    type: { type: String, length: 40 },
    at: { type: String, length: 40 },
    from: { name: 'from_state', type: String, length: 20, nullable: true },
    to: { name: 'to_state', type: String, length: 20 },
    reason: { type: 'text' },
    actor: { type: 'text', nullable: true },
  },
});

export const IncidentEntity = new EntitySchema<IncidentRow>({
  name: 'Incident',
  tableName: 'incidents',
  columns: {
    incidentId: { name: 'incident_id', type: String, length: 200, primary: true },
    status: { type: String, length: 20 },
    cluster: { type: String, length: 200 },
    gpu: { type: String, length: 200 },
    openedAtMs: { name: 'opened_at_ms', type: 'bigint' },
    position: { type: 'bigint' },
    view: { type: 'text' },
  },
});

export const SilenceEntity = new EntitySchema<SilenceRow>({
  name: 'Silence',
  tableName: 'silences',
  columns: {
    silenceId: { name: 'silence_id', type: String, length: 200, primary: true },
    state: { type: String, length: 20 },
    startsAtMs: { name: 'starts_at_ms', type: 'bigint' },
    position: { type: 'bigint' },
    view: { type: 'text' },
  },
});

/** How far each projection of a stream has applied it: the next position to read is one past. */
export const ProjectionPositionEntity = new EntitySchema<ProjectionPositionRow>({
  name: 'ProjectionPosition',
  tableName: 'projection_positions',
  columns: {
    projection: { type: String, length: 100, primary: true },
    position: { type: 'bigint' },
  },
});
