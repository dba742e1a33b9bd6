import {
  alertSchemas,
  fixtures,
  inventorySchemas,
  lifecycleSchemas,
  notificationSchemas,
  operatorSchemas,
  parseEvent,
  telemetrySchemas,
  twinSchemas,
  type DomainEvent,
} from './index';

/**
 * `parseEvent` answers most values from a schema compiled by ajv and falls back to zod; the two
 * must agree exactly. For every fixture and hundreds of mutations of it — each field removed,
 * emptied, retyped, out of range, and an unknown key in each object — parseEvent must accept
 * exactly what zod accepts, with zod's output (unknown keys stripped), and refuse the rest.
 */
const schemas = [
  ...inventorySchemas,
  ...telemetrySchemas,
  ...twinSchemas,
  ...alertSchemas,
  ...operatorSchemas,
  ...lifecycleSchemas,
  ...notificationSchemas,
];
const schemaOf = (type: string) => schemas.find((s) => s.shape.type.value === type)!;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const REPLACEMENTS: Json[] = [
  null,
  '',
  'x',
  -1,
  0,
  1.5,
  1e12,
  true,
  [],
  {},
  '2026-13-01T00:00:00Z',
  '😀'.repeat(201),
];

/** Every value reachable in `v`, as a path of keys. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [at];
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [at, ...keys.flatMap((k) => paths((v as Record<string, Json>)[k]!, [...at, k]))];
}

function mutate(
  root: Json,
  path: (string | number)[],
  f: (parent: Record<string, Json>, key: string) => void,
): Json {
  const copy = JSON.parse(JSON.stringify(root)) as Json;
  let parent = copy as Record<string, Json>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string, Json>;
  f(parent, String(path[path.length - 1]));
  return copy;
}

function variants(event: DomainEvent): Json[] {
  const root = JSON.parse(JSON.stringify(event)) as Json;
  const out: Json[] = [root];
  for (const path of paths(root)) {
    if (path.length === 0) continue;
    out.push(mutate(root, path, (p, k) => delete p[k]));
    for (const r of REPLACEMENTS) out.push(mutate(root, path, (p, k) => (p[k] = r)));
    out.push(
      mutate(root, path, (p, k) =>
        p[k] !== null && typeof p[k] === 'object' ? ((p[k] as Record<string, Json>)['zz'] = 1) : undefined,
      ),
    );
  }
  out.push({ ...(root as Record<string, Json>), zz: 1 });
  return out;
}

describe('parseEvent fast path (ajv from the zod schemas) agrees with zod', () => {
  it.each(Object.entries(fixtures))('on %s and its mutations', (type, fixture) => {
    const schema = schemaOf(type);
    let accepted = 0;
    let refused = 0;
    for (const v of variants(fixture)) {
      const zod = schema.safeParse(v);
      const ours = parseEvent(v);
      if (zod.success) {
        accepted++;
        expect(ours.ok).toBe(true);
        // through JSON: values parsed in the test realm and built by zod compare by content alone
        const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
        expect(plain(ours.ok ? ours.event : null)).toEqual(plain(zod.data));
      } else {
        refused++;
        // refused values take the same path as before the fast check existed (its envelope
        // checks, then zod's issues), so only the verdict is compared here
        expect(ours.ok).toBe(false);
      }
    }
    // both kinds were exercised: the fixture itself is accepted, a missing envelope field is not
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
