export { openDataSource, migrations, type StoreConfig } from './data-source';
export { SnapshotRepository, type SnapshotStore, type StoredSnapshot } from './snapshot.repository';
export { ApiKeyRepository, type ApiKeyInfo } from './api-keys';
