import type { ApiKeyInfo, ApiKeyRepository } from '@vgpu-twin/persistence';
import { createHash } from 'node:crypto';

/**
 * The stored keys as the guard reads them: whether any is active (then every write needs a key)
 * and what a presented key is. Both are cached for `ttlMs`, since a scrypt check costs ~50 ms by
 * design: a key revoked with `vgpu-twin keys revoke` stops working within that time.
 */
export class CachedKeyStore {
  private active: { count: number; at: number } | null = null;
  private readonly verified = new Map<string, { info: ApiKeyInfo | null; at: number }>();

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async anyActive(): Promise<boolean> {
    const t = this.now();
    if (!this.active || t - this.active.at > this.ttlMs)
      this.active = { count: await this.repo.activeCount(), at: t };
    return this.active.count > 0;
  }

  async verify(presented: string): Promise<ApiKeyInfo | null> {
    const digest = createHash('sha256').update(presented).digest('hex');
    const t = this.now();
    const hit = this.verified.get(digest);
    if (hit && t - hit.at <= this.ttlMs) return hit.info;
    const info = await this.repo.verify(presented);
    if (this.verified.size > 10_000) this.verified.clear(); // bounded: a flood of bad keys cannot grow it
    this.verified.set(digest, { info, at: t });
    return info;
  }

  close(): Promise<void> {
    return this.repo.close();
  }
}
