import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource } from 'typeorm';
import { CreateTwinSnapshots1763776000000 } from './migrations/1763776000000-create-twin-snapshots';
import { TwinSnapshotEntity } from './snapshot.entity';
import { ApiKeyEntity } from './api-key.entity';
import { CreateApiKeys1764547200000 } from './migrations/1764547200000-create-api-keys';
import {
  AlertEntity,
  AlertTransitionEntity,
  IncidentEntity,
  ProjectionPositionEntity,
  SilenceEntity,
} from './alert-history.entity';
import { CreateAlertHistory1765152000000 } from './migrations/1765152000000-create-alert-history';

export type StoreConfig =
  { readonly type: 'sqlite'; readonly file: string } | { readonly type: 'postgres'; readonly url: string };

export const migrations = [
  CreateTwinSnapshots1763776000000,
  CreateApiKeys1764547200000,
  CreateAlertHistory1765152000000,
];

/**
 * Opens the store and brings its schema up to date by running pending migrations. The schema
 * never changes any other way (no `synchronize`).
 */
export async function openDataSource(config: StoreConfig): Promise<DataSource> {
  const common = {
    entities: [
      TwinSnapshotEntity,
      ApiKeyEntity,
      AlertEntity,
      AlertTransitionEntity,
      IncidentEntity,
      SilenceEntity,
      ProjectionPositionEntity,
    ],
    migrations: [...migrations],
    migrationsRun: true,
    synchronize: false,
    logging: false,
  };
  let ds: DataSource;
  if (config.type === 'sqlite') {
    mkdirSync(dirname(config.file), { recursive: true });
    ds = new DataSource({
      ...common,
      type: 'better-sqlite3',
      database: config.file,
      prepareDatabase: (db: { pragma(p: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
      },
    });
  } else {
    // Several services share one database and may start at once: their migrations take turns
    // under an advisory lock (two at once collide on PostgreSQL's catalog).
    ds = new DataSource({ ...common, migrationsRun: false, type: 'postgres', url: config.url });
    await ds.initialize();
    await ds.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await ds.runMigrations({ transaction: 'each' });
    } finally {
      await ds.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
    return ds;
  }
  return ds.initialize();
}

/** Any fixed 64-bit number: the advisory lock all vgpu-twin migrations take. */
const MIGRATION_LOCK = 7_263_001;
