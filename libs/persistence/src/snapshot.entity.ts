import { EntitySchema } from 'typeorm';

/** Row shape of `twin_snapshots`. Only this library sees it; callers get `StoredSnapshot`. */
export interface TwinSnapshotRow {
  id: number;
  owner: string;
  takenAt: string;
  offsets: string;
  state: string;
  stateHash: string;
  events: string;
}

export const TwinSnapshotEntity = new EntitySchema<TwinSnapshotRow>({
  name: 'TwinSnapshot',
  tableName: 'twin_snapshots',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    owner: { type: String, length: 200 },
    takenAt: { name: 'taken_at', type: String, length: 40 },
    offsets: { type: 'text' },
    state: { type: 'text' },
    stateHash: { name: 'state_hash', type: String, length: 64 },
    // bigint: a long-running twin applies billions of events. Drivers return it as a string.
    events: { type: 'bigint' },
  },
  indices: [{ name: 'twin_snapshots_owner_id', columns: ['owner', 'id'] }],
});
