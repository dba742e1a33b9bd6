export { openDataSource, migrations, type StoreConfig } from './data-source';
export { SnapshotRepository, type SnapshotStore, type StoredSnapshot } from './snapshot.repository';
export { ApiKeyRepository, type ApiKeyInfo } from './api-keys';
export {
  AlertHistoryRepository,
  type AlertHistoryStore,
  type AlertQuery,
  type AlertTransitionRow,
  type IncidentQuery,
  type PositionedLifecycleEvent,
  type SilenceQuery,
} from './alert-history';
