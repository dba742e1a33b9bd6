import {
  applyDecorators,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { ApiZodResponse, ErrorBody } from '@vgpu-twin/service-kit';
import type { Request, Response } from 'express';
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

  private readonly rateLimit: number;
  /** Addresses refused before any key check, until when (ms): they presented too many wrong keys. */
  private readonly failedUntil = new Map<string, number>();

  private tooManyFailures(): HttpException {
    return new HttpException(
      'too many unknown API keys from this address: wait 10 s before trying again',
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }

  constructor(
    @Inject(INGEST_CONFIG) config: IngestConfig,
    @Inject(INGEST_KEYS) private readonly store: { store: CachedKeyStore | null; internal: InternalKeys },
    @Inject(ThrottlerStorageService) private readonly throttler: ThrottlerStorageService,
  ) {
    this.rateLimit = config.INGEST_RATE_LIMIT_PER_S;
    this.envKeys = config.INGEST_API_KEYS.map((k) => Buffer.from(k));
    this.internal = store.internal.keys.map((k) => Buffer.from(k));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { scope?: ClusterScope }>();
    await this.authenticate(req);
    await this.throttle(req, context.switchToHttp().getResponse<Response>());
    return true;
  }

  /**
   * At most INGEST_RATE_LIMIT_PER_S requests a second per key (per client address without one),
   * counted by @nestjs/throttler's storage; past it, 429 with `Retry-After` in seconds.
   */
  private async throttle(req: Request & { scope?: ClusterScope }, res: Response): Promise<void> {
    const limit = this.rateLimit;
    if (limit <= 0) return;
    const who = req.scope?.keyId ?? `ip:${req.ip ?? 'unknown'}`;
    const r = await this.throttler.increment(who, 1000, limit, 1000, 'ingest');
    if (!r.isBlocked) return;
    const retryAfterS = Math.max(1, Math.ceil(r.timeToBlockExpire));
    res.setHeader('Retry-After', String(retryAfterS));
    throw new HttpException(
      `rate limit: at most ${limit} requests a second per key (INGEST_RATE_LIMIT_PER_S); retry after ${retryAfterS} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }

  private async authenticate(req: Request & { scope?: ClusterScope }): Promise<boolean> {
    const required = this.envKeys.length > 0 || ((await this.store.store?.anyActive()) ?? false);
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const presented = bearer ?? (req.headers['x-api-key'] as string | undefined);
    if (!required) {
      req.scope = OPEN_SCOPE;
      return true;
    }
    if (!presented)
      throw new UnauthorizedException('missing API key: send Authorization: Bearer <key> or X-Api-Key');
    const ip = req.ip ?? 'unknown';
    if ((this.failedUntil.get(ip) ?? 0) > Date.now()) throw this.tooManyFailures();
    const p = Buffer.from(presented);
    const same = (k: Buffer) => k.length === p.length && timingSafeEqual(k, p);
    const env = this.envKeys.findIndex(same);
    if (env >= 0) {
      req.scope = { all: true, keyId: `env-${env + 1}` };
      return true;
    }
    if (this.internal.some(same)) {
      req.scope = { all: true, keyId: 'internal' };
      return true;
    }
    const info = await this.store.store?.verify(presented);
    if (!info) {
      // each check of a stored key costs a scrypt: an address that keeps presenting wrong keys is
      // refused before the check for a while (20 failures in 10 s block it for 10 s)
      const r = await this.throttler.increment(`auth-fail:${ip}`, 10_000, 20, 10_000, 'auth');
      if (r.isBlocked) {
        if (this.failedUntil.size > 10_000) this.failedUntil.clear();
        this.failedUntil.set(ip, Date.now() + r.timeToBlockExpire * 1000);
        throw this.tooManyFailures();
      }
      throw new UnauthorizedException('unknown or revoked API key');
    }
    req.scope = { all: false, keyId: info.id, clusters: [info.cluster] };
    return true;
  }
}

/** The guard's side of a guarded route's OpenAPI description: how to send a key, and its 401 and 429. */
export const ApiKeyResponses = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiSecurity('api-key'),
    ApiZodResponse(401, ErrorBody, 'keys are configured and none, or an unknown or revoked one, was sent'),
    ApiZodResponse(429, ErrorBody, "over the key's INGEST_RATE_LIMIT_PER_S; see Retry-After"),
  );
