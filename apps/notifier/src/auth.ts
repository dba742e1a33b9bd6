import {
  createParamDecorator,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';

/** Who a token lets in: every cluster, or some. */
export type Access = { readonly all: true } | { readonly all: false; readonly clusters: ReadonlySet<string> };

export const EVERYONE: Access = { all: true };

/** The configured tokens: null when none (the notifier is open, as before tokens existed). */
export type TokenTable = ReadonlyMap<string, Access> | null;

/**
 * NOTIFIER_TOKENS (`cluster=token` pairs, `*=token` for all clusters; a token may be listed for
 * several clusters) and NOTIFIER_TOKEN (one token for all) into a table by token. Throws naming
 * the bad entry.
 */
export function parseTokens(env: {
  NOTIFIER_TOKEN?: string | undefined;
  NOTIFIER_TOKENS?: string | undefined;
}): TokenTable {
  const table = new Map<string, Set<string> | '*'>();
  const grant = (token: string, cluster: string) => {
    const had = table.get(token);
    if (cluster === '*' || had === '*') table.set(token, '*');
    else table.set(token, new Set([...(had ?? []), cluster]));
  };
  if (env.NOTIFIER_TOKEN) grant(env.NOTIFIER_TOKEN, '*');
  for (const raw of (env.NOTIFIER_TOKENS ?? '').split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1)
      throw new Error(
        `entry "${entry.slice(0, eq > 0 ? eq : 20)}=…" must be cluster=token (or *=token for all clusters)`,
      );
    const token = entry.slice(eq + 1);
    if (token.length < 8)
      throw new Error(`the token for "${entry.slice(0, eq)}" must be at least 8 characters`);
    grant(token, entry.slice(0, eq));
  }
  if (table.size === 0) return null;
  return new Map([...table].map(([t, c]) => [t, c === '*' ? EVERYONE : { all: false, clusters: c }]));
}

/** The access a presented token has, or null for an unknown one. Compares in constant time. */
export function accessOf(table: TokenTable, presented: unknown): Access | null {
  if (table === null) return EVERYONE;
  if (typeof presented !== 'string' || presented === '') return null;
  const p = Buffer.from(presented);
  for (const [token, access] of table) {
    const t = Buffer.from(token);
    if (t.length === p.length && timingSafeEqual(t, p)) return access;
  }
  return null;
}

export function canSee(access: Access, clusterId: string): boolean {
  return access.all || access.clusters.has(clusterId);
}

/** The clusters a query is limited to: undefined for all. */
export function clustersOf(access: Access): string[] | undefined {
  return access.all ? undefined : [...access.clusters].sort();
}

/** 403 unless the token may see this cluster's data. */
export function assertCluster(access: Access, clusterId: string, what: string): void {
  if (!canSee(access, clusterId))
    throw new ForbiddenException(`this token does not give access to cluster ${clusterId} (${what})`);
}

/** Holds the token table for the guard (set once by NotifierModule.forRoot). */
export const notifierTokens: { table: TokenTable } = { table: null };

/**
 * `Authorization: Bearer <token>` on the notifier's HTTP API: 401 without a known token. The
 * token's access rides on the request for handlers (`@Viewer()`), which answer 403 for another
 * cluster's data and filter lists to the token's clusters.
 */
@Injectable()
export class BearerGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; access?: Access }>();
    const header = req.headers['authorization'] ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const access = accessOf(notifierTokens.table, m?.[1]);
    if (!access)
      throw new UnauthorizedException(
        m ? 'unknown token' : 'a token is required: send Authorization: Bearer <token> (NOTIFIER_TOKENS)',
      );
    req.access = access;
    return true;
  }
}

/** The caller's access, set by BearerGuard. */
export const Viewer = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Access =>
    ctx.switchToHttp().getRequest<{ access?: Access }>().access ?? EVERYONE,
);
