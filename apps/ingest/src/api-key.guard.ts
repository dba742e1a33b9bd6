import {
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { INGEST_CONFIG } from './tokens';
import type { IngestConfig } from './config';

/** When INGEST_API_KEYS is set, every write must carry one of the keys. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Buffer[];
  constructor(@Inject(INGEST_CONFIG) config: IngestConfig) {
    this.keys = config.INGEST_API_KEYS.map((k) => Buffer.from(k));
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.keys.length === 0) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const presented = bearer ?? (req.headers['x-api-key'] as string | undefined);
    if (!presented)
      throw new UnauthorizedException('missing API key: send Authorization: Bearer <key> or X-Api-Key');
    const p = Buffer.from(presented);
    if (!this.keys.some((k) => k.length === p.length && timingSafeEqual(k, p)))
      throw new UnauthorizedException('unknown API key');
    return true;
  }
}
