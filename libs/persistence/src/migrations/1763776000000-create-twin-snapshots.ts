import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The twin's snapshots: state + the log offsets it covers, per owner (consumer group / instance). */
export class CreateTwinSnapshots1763776000000 implements MigrationInterface {
  name = 'CreateTwinSnapshots1763776000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'twin_snapshots',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'owner', type: 'varchar', length: '200' },
          { name: 'taken_at', type: 'varchar', length: '40' },
          { name: 'offsets', type: 'text' },
          { name: 'state', type: 'text' },
          { name: 'state_hash', type: 'varchar', length: '64' },
          { name: 'events', type: 'bigint' },
        ],
      }),
      true,
    );
    await q.createIndex(
      'twin_snapshots',
      new TableIndex({ name: 'twin_snapshots_owner_id', columnNames: ['owner', 'id'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('twin_snapshots', true);
  }
}
