import { createHash } from 'node:crypto';

/**
 * An event id from parts that may hold anything a host prints (VM names with spaces, unicode):
 * characters an event id may not carry become `_`, and an id past the 200-character limit keeps
 * its start and a hash of the whole. Deterministic, so a capture posted twice gives the same ids
 * and the twin applies it once.
 */
export function eventId(...parts: readonly (string | number)[]): string {
  const raw = parts.join(':');
  const safe = raw.replace(/[^A-Za-z0-9._:@/-]/g, '_');
  if (safe.length <= 200 && safe === raw) return safe;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  return `${safe.slice(0, 180)}.${hash}`; // `.`: the contract's EventId allows no `~`
}
