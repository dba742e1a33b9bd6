import {
  Table,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

/**
 * The alert history: a projection of the notifier's lifecycle stream. Each alert, incident and
 * silence keeps its latest view (JSON) with the stream position it came from, plus the columns its
 * queries filter and page on; every alert transition is kept, keyed by its event id.
 */
export class CreateAlertHistory1765152000000 implements MigrationInterface {
  name = 'CreateAlertHistory1765152000000';

  async up(q: QueryRunner): Promise<void> {
    // Pages break ties on the id: byte order on PostgreSQL too (its default collation may be
    // en_US, which ignores punctuation), so both stores page in the same order SQLite's BINARY does.
    const id = (name: string): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: '200',
      ...(q.connection.driver.options.type === 'postgres' ? { collation: 'C' } : {}),
    });
    const label = (name: string): TableColumnOptions => ({ name, type: 'varchar', length: '200' });
    const ms = (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: 'bigint',
      isNullable,
    });

    await q.createTable(
      new Table({
        name: 'alerts',
        columns: [
          { ...id('alert_id'), isPrimary: true },
          { name: 'state', type: 'varchar', length: '20' },
          label('cluster'),
          label('host'),
          label('gpu'),
          label('vm'),
          { name: 'kind', type: 'varchar', length: '40' },
          ms('starts_at_ms'),
          ms('ends_at_ms', true),
          { name: 'position', type: 'bigint' },
          { name: 'view', type: 'text' },
        ],
        indices: [
          new TableIndex({ name: 'alerts_starts_at_id', columnNames: ['starts_at_ms', 'alert_id'] }),
          new TableIndex({ name: 'alerts_cluster_starts_at', columnNames: ['cluster', 'starts_at_ms'] }),
          new TableIndex({ name: 'alerts_state', columnNames: ['state'] }),
          new TableIndex({ name: 'alerts_host', columnNames: ['host'] }),
          new TableIndex({ name: 'alerts_gpu', columnNames: ['gpu'] }),
          new TableIndex({ name: 'alerts_vm', columnNames: ['vm'] }),
          new TableIndex({ name: 'alerts_kind', columnNames: ['kind'] }),
        ],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'alert_transitions',
        columns: [
          { name: 'event_id', type: 'varchar', length: '200', isPrimary: true },
          id('alert_id'),
          { name: 'position', type: 'bigint' },
          { name: 'type', type: 'varchar', length: '40' },
          { name: 'at', type: 'varchar', length: '40' },
          { name: 'from_state', type: 'varchar', length: '20', isNullable: true },
          { name: 'to_state', type: 'varchar', length: '20' },
          { name: 'reason', type: 'text' },
          { name: 'actor', type: 'text', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'alert_transitions_alert_position', columnNames: ['alert_id', 'position'] }),
        ],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'incidents',
        columns: [
          { ...id('incident_id'), isPrimary: true },
          { name: 'status', type: 'varchar', length: '20' },
          label('cluster'),
          label('gpu'),
          ms('opened_at_ms'),
          { name: 'position', type: 'bigint' },
          { name: 'view', type: 'text' },
        ],
        indices: [
          new TableIndex({ name: 'incidents_opened_at_id', columnNames: ['opened_at_ms', 'incident_id'] }),
          new TableIndex({ name: 'incidents_cluster_opened_at', columnNames: ['cluster', 'opened_at_ms'] }),
          new TableIndex({ name: 'incidents_status', columnNames: ['status'] }),
          new TableIndex({ name: 'incidents_gpu', columnNames: ['gpu'] }),
        ],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'silences',
        columns: [
          { ...id('silence_id'), isPrimary: true },
          { name: 'state', type: 'varchar', length: '20' },
          ms('starts_at_ms'),
          { name: 'position', type: 'bigint' },
          { name: 'view', type: 'text' },
        ],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'projection_positions',
        columns: [
          { name: 'projection', type: 'varchar', length: '100', isPrimary: true },
          { name: 'position', type: 'bigint' },
        ],
      }),
      true,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['projection_positions', 'silences', 'incidents', 'alert_transitions', 'alerts']) {
      await q.dropTable(table, true);
    }
  }
}
