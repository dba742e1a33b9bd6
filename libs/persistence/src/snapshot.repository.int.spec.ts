import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { databaseUrl, describeIf } from '../../../test/support/components';
import { openDataSource, type StoreConfig } from './data-source';
import { SnapshotRepository, type StoredSnapshot } from './snapshot.repository';

const snap = (owner: string, n: number): StoredSnapshot => ({
  owner,
  takenAt: `2026-01-01T00:00:0${n}.000Z`,
  offsets: { 'vgpu.telemetry/0': n * 10, 'vgpu.inventory/0': 4 },
  state: JSON.stringify({ n }),
  stateHash: String(n).padStart(64, '0'),
  events: 5_000_000_000 + n, // past 2^32: the column is bigint
});

function snapshotStoreContract(name: string, config: () => Promise<StoreConfig>): void {
  describe(`snapshot store: ${name}`, () => {
    it('runs its migration, saves, returns the newest per owner, and keeps only the last three', async () => {
      const store = new SnapshotRepository(await openDataSource(await config()));
      try {
        expect(await store.latest('twin/a')).toBeNull();
        for (let n = 1; n <= 5; n++) await store.save(snap('twin/a', n));
        await store.save(snap('twin/b', 9));
        expect(await store.latest('twin/a')).toEqual(snap('twin/a', 5));
        expect(await store.latest('twin/b')).toEqual(snap('twin/b', 9));
      } finally {
        await store.close();
      }
      // reopening runs no migration twice and finds the data
      const again = new SnapshotRepository(await openDataSource(await config()));
      try {
        expect((await again.latest('twin/a'))?.events).toBe(5_000_000_005);
        const count = (
          await (
            again as unknown as { dataSource: { query(q: string): Promise<{ n: string | number }[]> } }
          ).dataSource.query("SELECT COUNT(*) AS n FROM twin_snapshots WHERE owner = 'twin/a'")
        )[0]!.n;
        expect(Number(count)).toBe(3); // keep = 3 newest
      } finally {
        await again.close();
      }
    });

    it('finds the newest snapshot of any owner not later than a time (where a replay starts)', async () => {
      const store = new SnapshotRepository(await openDataSource(await config()));
      try {
        // kept from the test above: twin/a at 00:00:03–05, twin/b at 00:00:09
        expect(await store.nearest('2026-01-01T00:00:04.500Z')).toEqual(snap('twin/a', 4));
        expect(await store.nearest('2026-01-01T00:00:05.000Z')).toEqual(snap('twin/a', 5)); // inclusive
        expect(await store.nearest('2026-01-01T00:01:00.000Z')).toEqual(snap('twin/b', 9));
        expect(await store.nearest('2026-01-01T00:00:02.999Z')).toBeNull();
      } finally {
        await store.close();
      }
    });
  });
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
let sqliteFile: string | undefined;
snapshotStoreContract('SQLite file', async () => {
  if (!sqliteFile) {
    const dir = mkdtempSync(join(tmpdir(), 'vgpu-snap-'));
    dirs.push(dir);
    sqliteFile = join(dir, 'twin.sqlite');
  }
  return { type: 'sqlite', file: sqliteFile };
});

const pgUrl = databaseUrl();
describeIf(pgUrl)('PostgreSQL', () => {
  // A fresh database per run, so the migration really runs from nothing.
  const db = `vgpu_snap_${process.pid}_${Date.now()}`;
  const url = () => {
    const u = new URL(pgUrl!);
    u.pathname = `/${db}`;
    return u.toString();
  };
  beforeAll(async () => {
    const c = new Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`CREATE DATABASE ${db}`);
    await c.end();
  });
  afterAll(async () => {
    const c = new Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${db}`);
    await c.end();
  });
  snapshotStoreContract('PostgreSQL', async () => ({ type: 'postgres', url: url() }));
});
