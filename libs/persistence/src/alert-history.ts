import {
  ValidationError,
  type AlertState,
  type AlertView,
  type IncidentView,
  type LifecycleEvent,
  type SilenceView,
} from '@vgpu-twin/contracts';
import type { DataSource, EntityManager, EntitySchema, ObjectLiteral, Repository } from 'typeorm';
import {
  AlertEntity,
  AlertTransitionEntity,
  IncidentEntity,
  ProjectionPositionEntity,
  SilenceEntity,
  type AlertRow,
  type AlertTransitionEntityRow,
  type BigintColumn,
  type IncidentRow,
  type SilenceRow,
} from './alert-history.entity';

/** A lifecycle event with its offset in the one-partition stream `vgpu.alert-lifecycle`. */
export interface PositionedLifecycleEvent {
  readonly position: number;
  readonly event: LifecycleEvent;
}

export interface AlertQuery {
  readonly state?: readonly AlertState[];
  /** Only these clusters (a token's clusters); undefined: all. */
  readonly clusters?: readonly string[];
  readonly cluster?: string;
  readonly host?: string;
  readonly gpu?: string;
  readonly vm?: string;
  readonly kind?: string;
  /** Alerts active at some time within [since, until], ms since epoch: startsAt <= until and (endsAt null or endsAt >= since). */
  readonly since?: number;
  readonly until?: number;
  /** 1..1000; the caller clamps. */
  readonly limit: number;
  /** Opaque, from a previous page's nextCursor. */
  readonly cursor?: string;
}

export interface IncidentQuery {
  readonly status?: IncidentView['status'];
  /** Only these clusters (a token's clusters); undefined: all. */
  readonly clusters?: readonly string[];
  readonly cluster?: string;
  readonly gpu?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface SilenceQuery {
  readonly state?: SilenceView['state'];
  /** Only silences with an equality matcher `cluster=<one of these>`; undefined: all. */
  readonly clusters?: readonly string[];
}

export interface AlertTransitionRow {
  position: number;
  eventId: string;
  type: string;
  /** The event's time. */
  at: string;
  from: AlertState | null;
  to: AlertState;
  reason: string;
  actor: string | null;
}

export interface AlertHistoryStore {
  /**
   * Applies events in one transaction. Idempotent and safe for two notifiers sharing one
   * PostgreSQL: an event whose position is at or below the stored position of its row is skipped;
   * transitions are keyed by event id. notification.* events are ignored.
   */
  apply(batch: readonly PositionedLifecycleEvent[]): Promise<void>;
  /** The highest position applied, -1 before any. */
  position(): Promise<number>;
  /** Newest first: startsAt descending, then alertId descending; nextCursor null on the last page. */
  alerts(q: AlertQuery): Promise<{ alerts: AlertView[]; nextCursor: string | null }>;
  alert(alertId: string): Promise<{ alert: AlertView; transitions: AlertTransitionRow[] } | null>;
  /** openedAt descending, then incidentId descending. */
  incidents(q: IncidentQuery): Promise<{ incidents: IncidentView[]; nextCursor: string | null }>;
  incident(incidentId: string): Promise<IncidentView | null>;
  /** Newest startsAt first. */
  silences(q: SilenceQuery): Promise<SilenceView[]>;
  silence(silenceId: string): Promise<SilenceView | null>;
}

/** The key of this projection's row in `projection_positions`. */
const PROJECTION = 'alert-history';
/** Bound parameters per statement: SQLite allows 32,766, PostgreSQL 65,535. */
const MAX_PARAMS = 10_000;

/**
 * The alert history in PostgreSQL or SQLite through TypeORM. Every row keeps the position of the
 * event it came from and is only overwritten by a later one (`INSERT … ON CONFLICT DO UPDATE …
 * WHERE position < excluded.position`, one statement), so redelivery, replays and a second
 * notifier writing the same stream leave it as the newest event made it.
 */
export class AlertHistoryRepository implements AlertHistoryStore {
  private readonly alertRows: Repository<AlertRow>;
  private readonly transitionRows: Repository<AlertTransitionEntityRow>;
  private readonly incidentRows: Repository<IncidentRow>;
  private readonly silenceRows: Repository<SilenceRow>;

  constructor(private readonly dataSource: DataSource) {
    this.alertRows = dataSource.getRepository(AlertEntity);
    this.transitionRows = dataSource.getRepository(AlertTransitionEntity);
    this.incidentRows = dataSource.getRepository(IncidentEntity);
    this.silenceRows = dataSource.getRepository(SilenceEntity);
  }

  async apply(batch: readonly PositionedLifecycleEvent[]): Promise<void> {
    if (batch.length === 0) return;
    const alerts = new Map<string, AlertRow>();
    const transitions = new Map<string, AlertTransitionEntityRow>();
    const incidents = new Map<string, IncidentRow>();
    const silences = new Map<string, SilenceRow>();
    let top = -1;
    for (const { position, event } of batch) {
      if (!Number.isSafeInteger(position) || position < 0) {
        throw new ValidationError(`event ${event.id}: position ${position} is not a stream offset`);
      }
      top = Math.max(top, position);
      switch (event.type) {
        case 'alert.opened':
        case 'alert.acknowledged':
        case 'alert.silenced':
        case 'alert.unsilenced':
        case 'alert.inhibited':
        case 'alert.uninhibited':
        case 'alert.flapping':
        case 'alert.settled':
        case 'alert.closed': {
          const { alert, from, reason, actor } = event.data;
          keepNewest(alerts, alert.alertId, alertRow(position, alert));
          transitions.set(event.id, {
            eventId: event.id,
            alertId: alert.alertId,
            position,
            type: event.type,
            at: event.ts,
            from,
            to: alert.state,
            reason,
            actor,
          });
          break;
        }
        case 'incident.opened':
        case 'incident.updated':
        case 'incident.resolved': {
          const { incident } = event.data;
          keepNewest(incidents, incident.incidentId, {
            incidentId: incident.incidentId,
            status: incident.status,
            cluster: incident.clusterId,
            gpu: incident.gpuId,
            openedAtMs: Date.parse(incident.openedAt),
            position,
            view: JSON.stringify(incident),
          });
          break;
        }
        case 'silence.created':
        case 'silence.activated':
        case 'silence.expired': {
          const { silence } = event.data;
          keepNewest(silences, silence.silenceId, {
            silenceId: silence.silenceId,
            state: silence.state,
            startsAtMs: Date.parse(silence.startsAt),
            position,
            view: JSON.stringify(silence),
          });
          break;
        }
        // deliveries are the notifier's business; the history only needs their positions counted
        case 'notification.queued':
        case 'notification.delivered':
        case 'notification.dead_lettered':
          break;
        default: {
          const _exhaustive: never = event;
          return _exhaustive;
        }
      }
    }
    await this.dataSource.transaction(async (m) => {
      // Rows in key order, so two writers lock them in one order and cannot deadlock.
      await upsertNewer(m, AlertEntity, sortedValues(alerts));
      await upsertNewer(m, IncidentEntity, sortedValues(incidents));
      await upsertNewer(m, SilenceEntity, sortedValues(silences));
      const perRow = m.connection.getMetadata(AlertTransitionEntity).columns.length;
      for (const chunk of chunks(sortedValues(transitions), Math.floor(MAX_PARAMS / perRow))) {
        await m.createQueryBuilder().insert().into(AlertTransitionEntity).values(chunk).orIgnore().execute();
      }
      await upsertNewer(m, ProjectionPositionEntity, [{ projection: PROJECTION, position: top }]);
    });
  }

  async position(): Promise<number> {
    const row = await this.dataSource
      .getRepository(ProjectionPositionEntity)
      .findOneBy({ projection: PROJECTION });
    return row ? Number(row.position) : -1;
  }

  async alerts(q: AlertQuery): Promise<{ alerts: AlertView[]; nextCursor: string | null }> {
    checkLimit(q.limit);
    const after = q.cursor === undefined ? undefined : decodeCursor('alerts', q.cursor);
    if (q.state?.length === 0 || q.clusters?.length === 0) return { alerts: [], nextCursor: null };
    const qb = this.alertRows.createQueryBuilder('a');
    if (q.state) qb.andWhere('a.state IN (:...states)', { states: q.state });
    if (q.clusters) qb.andWhere('a.cluster IN (:...clusters)', { clusters: q.clusters });
    for (const label of ['cluster', 'host', 'gpu', 'vm', 'kind'] as const) {
      const value = q[label];
      if (value !== undefined) qb.andWhere(`a.${label} = :${label}`, { [label]: value });
    }
    if (q.until !== undefined) qb.andWhere('a.startsAtMs <= :until', { until: q.until });
    if (q.since !== undefined)
      qb.andWhere('(a.endsAtMs IS NULL OR a.endsAtMs >= :since)', { since: q.since });
    if (after) {
      qb.andWhere('(a.startsAtMs < :afterT OR (a.startsAtMs = :afterT AND a.alertId < :afterId))', {
        afterT: after.t,
        afterId: after.id,
      });
    }
    const rows = await qb
      .orderBy('a.startsAtMs', 'DESC')
      .addOrderBy('a.alertId', 'DESC')
      .limit(q.limit + 1)
      .getMany();
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      alerts: page.map((r) => JSON.parse(r.view) as AlertView),
      nextCursor:
        rows.length > q.limit && last ? encodeCursor('alerts', Number(last.startsAtMs), last.alertId) : null,
    };
  }

  async alert(alertId: string): Promise<{ alert: AlertView; transitions: AlertTransitionRow[] } | null> {
    const row = await this.alertRows.findOneBy({ alertId });
    if (!row) return null;
    const transitions = await this.transitionRows.find({
      where: { alertId },
      order: { position: 'ASC', eventId: 'ASC' },
    });
    return { alert: JSON.parse(row.view) as AlertView, transitions: transitions.map(toTransition) };
  }

  async incidents(q: IncidentQuery): Promise<{ incidents: IncidentView[]; nextCursor: string | null }> {
    checkLimit(q.limit);
    const after = q.cursor === undefined ? undefined : decodeCursor('incidents', q.cursor);
    if (q.clusters?.length === 0) return { incidents: [], nextCursor: null };
    const qb = this.incidentRows.createQueryBuilder('i');
    if (q.status !== undefined) qb.andWhere('i.status = :status', { status: q.status });
    if (q.clusters) qb.andWhere('i.cluster IN (:...clusters)', { clusters: q.clusters });
    if (q.cluster !== undefined) qb.andWhere('i.cluster = :cluster', { cluster: q.cluster });
    if (q.gpu !== undefined) qb.andWhere('i.gpu = :gpu', { gpu: q.gpu });
    if (after) {
      qb.andWhere('(i.openedAtMs < :afterT OR (i.openedAtMs = :afterT AND i.incidentId < :afterId))', {
        afterT: after.t,
        afterId: after.id,
      });
    }
    const rows = await qb
      .orderBy('i.openedAtMs', 'DESC')
      .addOrderBy('i.incidentId', 'DESC')
      .limit(q.limit + 1)
      .getMany();
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      incidents: page.map((r) => JSON.parse(r.view) as IncidentView),
      nextCursor:
        rows.length > q.limit && last
          ? encodeCursor('incidents', Number(last.openedAtMs), last.incidentId)
          : null,
    };
  }

  async incident(incidentId: string): Promise<IncidentView | null> {
    const row = await this.incidentRows.findOneBy({ incidentId });
    return row ? (JSON.parse(row.view) as IncidentView) : null;
  }

  async silences(q: SilenceQuery): Promise<SilenceView[]> {
    const rows = await this.silenceRows.find({
      where: q.state === undefined ? {} : { state: q.state },
      order: { startsAtMs: 'DESC', silenceId: 'DESC' },
    });
    const silences = rows.map((r) => JSON.parse(r.view) as SilenceView);
    if (q.clusters === undefined) return silences;
    // Matchers live in the view; there are few silences, and a page of them is all of them.
    const clusters = new Set(q.clusters);
    return silences.filter((s) =>
      s.matchers.some((m) => m.name === 'cluster' && m.op === '=' && clusters.has(m.value)),
    );
  }

  async silence(silenceId: string): Promise<SilenceView | null> {
    const row = await this.silenceRows.findOneBy({ silenceId });
    return row ? (JSON.parse(row.view) as SilenceView) : null;
  }
}

function alertRow(position: number, alert: AlertView): AlertRow {
  return {
    alertId: alert.alertId,
    state: alert.state,
    cluster: alert.labels.cluster,
    host: alert.labels.host,
    gpu: alert.labels.gpu,
    vm: alert.labels.vm,
    kind: alert.labels.kind,
    startsAtMs: Date.parse(alert.startsAt),
    endsAtMs: alert.endsAt === null ? null : Date.parse(alert.endsAt),
    position,
    view: JSON.stringify(alert),
  };
}

function toTransition(row: AlertTransitionEntityRow): AlertTransitionRow {
  return {
    position: Number(row.position),
    eventId: row.eventId,
    type: row.type,
    at: row.at,
    from: row.from,
    to: row.to,
    reason: row.reason,
    actor: row.actor,
  };
}

/** Within one batch the row of the highest position wins (one statement may not update a row twice). */
function keepNewest<R extends { position: BigintColumn }>(rows: Map<string, R>, key: string, row: R): void {
  const seen = rows.get(key);
  if (!seen || Number(seen.position) < Number(row.position)) rows.set(key, row);
}

function sortedValues<R>(rows: Map<string, R>): R[] {
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Inserts rows, or overwrites the stored row of the same key when the new one has a later position:
 * one statement, so a concurrent writer of the same row waits on its lock and then compares with
 * what it committed. TypeORM's `orUpdate` writes that condition only for PostgreSQL, hence SQL.
 */
async function upsertNewer<R extends ObjectLiteral & { position: BigintColumn }>(
  m: EntityManager,
  entity: EntitySchema<R>,
  rows: readonly R[],
): Promise<void> {
  if (rows.length === 0) return;
  const meta = m.connection.getMetadata(entity);
  const driver = m.connection.driver;
  const table = driver.escape(meta.tableName);
  const columns = meta.columns;
  const names = columns.map((c) => driver.escape(c.databaseName));
  const keys = meta.primaryColumns.map((c) => driver.escape(c.databaseName)).join(', ');
  const updates = columns
    .filter((c) => !c.isPrimary)
    .map((c) => `${driver.escape(c.databaseName)} = excluded.${driver.escape(c.databaseName)}`)
    .join(', ');
  const position = driver.escape(meta.findColumnWithPropertyName('position')!.databaseName);
  for (const chunk of chunks(rows, Math.floor(MAX_PARAMS / columns.length))) {
    const params: unknown[] = [];
    const values = chunk
      .map((row) => {
        const placeholders = columns.map((c) => {
          params.push(row[c.propertyName]);
          return driver.createParameter(c.propertyName, params.length - 1);
        });
        return `(${placeholders.join(', ')})`;
      })
      .join(', ');
    await m.query(
      `INSERT INTO ${table} (${names.join(', ')}) VALUES ${values} ` +
        `ON CONFLICT (${keys}) DO UPDATE SET ${updates} WHERE ${table}.${position} < excluded.${position}`,
      params,
    );
  }
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new ValidationError(`limit ${limit} is not an integer from 1 to 1000`, [
      { path: 'limit', message: 'must be an integer from 1 to 1000' },
    ]);
  }
}

type CursorKind = 'alerts' | 'incidents';

/** Where the previous page ended (its last row's time and id), base64url JSON: opaque to callers. */
function encodeCursor(k: CursorKind, t: number, id: string): string {
  return Buffer.from(JSON.stringify({ k, t, id })).toString('base64url');
}

function decodeCursor(kind: CursorKind, cursor: string): { t: number; id: string } {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  if (typeof v === 'object' && v !== null) {
    const { k, t, id } = v as Record<string, unknown>;
    if (
      k === kind &&
      typeof t === 'number' &&
      Number.isSafeInteger(t) &&
      typeof id === 'string' &&
      id.length > 0 &&
      encodeCursor(kind, t, id) === cursor
    ) {
      return { t, id };
    }
  }
  const shown = cursor.length > 40 ? `${cursor.slice(0, 40)}…` : cursor;
  throw new ValidationError(
    `cursor '${shown}' is not one this API issued: pass the nextCursor of a previous page of ${kind}, or none for the first page`,
    [{ path: 'cursor', message: `is not one this API issued for ${kind}` }],
  );
}
