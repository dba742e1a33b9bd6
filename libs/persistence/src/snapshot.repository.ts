import { LessThanOrEqual, type DataSource, type Repository } from 'typeorm';
import { TwinSnapshotEntity, type TwinSnapshotRow } from './snapshot.entity';

/** A twin snapshot as the rest of the code sees it: no ORM types. */
export interface StoredSnapshot {
  /** Whose snapshot: the twin's consumer group and instance. */
  readonly owner: string;
  /** The latest event time among the events the state holds (none later is in it). */
  readonly takenAt: string;
  /** Next offset to read per `stream/partition`: the state covers everything before. */
  readonly offsets: Readonly<Record<string, number>>;
  /** The serialised twin state (twin-core's `serializeState`). */
  readonly state: string;
  readonly stateHash: string;
  readonly events: number;
}

export interface SnapshotStore {
  save(snapshot: StoredSnapshot): Promise<void>;
  latest(owner: string): Promise<StoredSnapshot | null>;
  /** The newest snapshot of any owner whose state holds no event later than `time` (ISO-8601). */
  nearest(time: string): Promise<StoredSnapshot | null>;
  /** Resolves when the store answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Snapshots in PostgreSQL or SQLite through TypeORM; keeps the newest `keep` per owner. */
export class SnapshotRepository implements SnapshotStore {
  private readonly repo: Repository<TwinSnapshotRow>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly keep = 3,
  ) {
    this.repo = dataSource.getRepository(TwinSnapshotEntity);
  }

  async save(s: StoredSnapshot): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const repo = m.getRepository(TwinSnapshotEntity);
      await repo.insert({
        owner: s.owner,
        takenAt: s.takenAt,
        offsets: JSON.stringify(s.offsets),
        state: s.state,
        stateHash: s.stateHash,
        events: String(s.events),
      });
      const old = await repo.find({
        where: { owner: s.owner },
        order: { id: 'DESC' },
        skip: this.keep,
        select: { id: true },
      });
      if (old.length > 0) await repo.delete(old.map((o) => o.id));
    });
  }

  async latest(owner: string): Promise<StoredSnapshot | null> {
    return toSnapshot(await this.repo.findOne({ where: { owner }, order: { id: 'DESC' } }));
  }

  async nearest(time: string): Promise<StoredSnapshot | null> {
    return toSnapshot(
      await this.repo.findOne({
        where: { takenAt: LessThanOrEqual(time) },
        order: { takenAt: 'DESC', id: 'DESC' },
      }),
    );
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

function toSnapshot(row: TwinSnapshotRow | null): StoredSnapshot | null {
  if (!row) return null;
  return {
    owner: row.owner,
    takenAt: row.takenAt,
    offsets: JSON.parse(row.offsets) as Record<string, number>,
    state: row.state,
    stateHash: row.stateHash,
    events: Number(row.events),
  };
}
