import {
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { INGEST_CONFIG, INGEST_KEYS } from '../tokens';
import type { IngestConfig } from '../config';
import type { CachedKeyStore } from './key-store';
import { OPEN_SCOPE, type ClusterScope } from './scope';

/** Keys the process gives itself (the all-in-one's own simulator): accepted, but they turn nothing on. */
export interface InternalKeys {
  readonly keys: readonly string[];
}

/** The scope the guard found for a request: what its key may write. */
export function scopeOf(req: Request): ClusterScope {
  return (req as Request & { scope?: ClusterScope }).scope ?? OPEN_SCOPE;
}

/**
 * Writes need a key once any is configured: `INGEST_API_KEYS` (each writes every cluster) or keys
 * made with `vgpu-twin keys create` (each writes its cluster). Sent as `Authorization: Bearer <key>`
 * or `X-Api-Key`. The request's scope is left on it for the per-record cluster check.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly envKeys: Buffer[];
  private readonly internal: Buffer[];

  constructor(
    @Inject(INGEST_CONFIG) config: IngestConfig,
    @Inject(INGEST_KEYS) private readonly store: { store: CachedKeyStore | null; internal: InternalKeys },
  ) {
    this.envKeys = config.INGEST_API_KEYS.map((k) => Buffer.from(k));
    this.internal = store.internal.keys.map((k) => Buffer.from(k));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { scope?: ClusterScope }>();
    const required = this.envKeys.length > 0 || ((await this.store.store?.anyActive()) ?? false);
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const presented = bearer ?? (req.headers['x-api-key'] as string | undefined);
    if (!required) {
      req.scope = OPEN_SCOPE;
      return true;
    }
    if (!presented)
      throw new UnauthorizedException('missing API key: send Authorization: Bearer <key> or X-Api-Key');
    const p = Buffer.from(presented);
    const same = (k: Buffer) => k.length === p.length && timingSafeEqual(k, p);
    if (this.envKeys.some(same)) {
      req.scope = { all: true, keyId: 'env' };
      return true;
    }
    if (this.internal.some(same)) {
      req.scope = { all: true, keyId: 'internal' };
      return true;
    }
    const info = await this.store.store?.verify(presented);
    if (!info) throw new UnauthorizedException('unknown or revoked API key');
    req.scope = { all: false, keyId: info.id, clusters: [info.cluster] };
    return true;
  }
}
