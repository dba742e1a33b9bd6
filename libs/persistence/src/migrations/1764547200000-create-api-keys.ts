import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Ingest's per-cluster API keys: only a scrypt hash of each secret is kept. */
export class CreateApiKeys1764547200000 implements MigrationInterface {
  name = 'CreateApiKeys1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '24', isPrimary: true },
          { name: 'cluster', type: 'varchar', length: '200' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'salt', type: 'varchar', length: '64' },
          { name: 'hash', type: 'varchar', length: '128' },
          { name: 'created_at', type: 'varchar', length: '40' },
          { name: 'revoked_at', type: 'varchar', length: '40', isNullable: true },
        ],
      }),
      true,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('api_keys', true);
  }
}
