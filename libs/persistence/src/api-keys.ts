import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { IsNull, type DataSource, type Repository } from 'typeorm';
import { ApiKeyEntity, type ApiKeyRow } from './api-key.entity';

const scryptAsync = promisify(scrypt) as (secret: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** What `keys list` shows: never the key, never its hash. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly cluster: string;
  readonly name: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** `vgt_<12 hex id>_<43 base64url chars>`: the id finds the row, the secret is checked against its hash. */
const KEY = /^vgt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/**
 * Per-cluster ingest API keys through TypeORM (SQLite embedded, PostgreSQL distributed). A key is
 * shown once, when created; the store keeps a scrypt hash of its secret (node:crypto, 16-byte salt,
 * N=2^14), so a copy of the table does not give anyone a key.
 */
export class ApiKeyRepository {
  private readonly repo: Repository<ApiKeyRow>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(ApiKeyEntity);
  }

  async create(cluster: string, name: string, now: Date): Promise<{ key: string; info: ApiKeyInfo }> {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const salt = randomBytes(16);
    const hash = await scryptAsync(secret, salt, 32);
    const row: ApiKeyRow = {
      id,
      cluster,
      name,
      salt: salt.toString('hex'),
      hash: hash.toString('hex'),
      createdAt: now.toISOString(),
      revokedAt: null,
    };
    await this.repo.insert(row);
    return { key: `vgt_${id}_${secret}`, info: toInfo(row) };
  }

  async list(): Promise<ApiKeyInfo[]> {
    return (await this.repo.find({ order: { createdAt: 'ASC', id: 'ASC' } })).map(toInfo);
  }

  /** Marks a key revoked (kept for the record); false when there is no such key. */
  async revoke(id: string, now: Date): Promise<boolean> {
    const r = await this.repo.update({ id, revokedAt: IsNull() }, { revokedAt: now.toISOString() });
    if ((r.affected ?? 0) > 0) return true;
    return (await this.repo.findOneBy({ id })) !== null;
  }

  /** Keys not revoked: when there is one, ingest requires a key. */
  async activeCount(): Promise<number> {
    return this.repo.count({ where: { revokedAt: IsNull() } });
  }

  /** The key's record when the presented text is a live key of this store; null otherwise. */
  async verify(presented: string): Promise<ApiKeyInfo | null> {
    const m = KEY.exec(presented);
    if (!m) return null;
    const row = await this.repo.findOneBy({ id: m[1]! });
    if (!row || row.revokedAt !== null) return null;
    const hash = await scryptAsync(m[2]!, Buffer.from(row.salt, 'hex'), 32);
    return timingSafeEqual(hash, Buffer.from(row.hash, 'hex')) ? toInfo(row) : null;
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

function toInfo(row: ApiKeyRow): ApiKeyInfo {
  return { id: row.id, cluster: row.cluster, name: row.name, createdAt: row.createdAt, revokedAt: row.revokedAt };
}
