import { z } from 'zod';

/** Event ids are the idempotency key: unique per event, stable across retries. */
export const EventId = z
  .string()
  .min(1, 'must be a non-empty string')
  .max(200, 'must be at most 200 characters')
  .regex(/^[A-Za-z0-9._:@/-]+$/, 'may contain only letters, digits and . _ : @ / -');

/** Event time, ISO-8601 in UTC (`2026-01-01T00:00:00.000Z`). The domain never reads the clock. */
export const Timestamp = z.iso.datetime({
  message: 'must be an ISO-8601 UTC time such as 2026-01-01T00:00:00Z',
});

export const EntityId = z
  .string()
  .min(1, 'must be a non-empty string')
  .max(200, 'must be at most 200 characters');

export const Percent = z.number().min(0, 'must be ≥ 0').max(100, 'must be ≤ 100 (a percentage)');
export const NonNegative = z.number().nonnegative('must be ≥ 0');
export const Positive = z.number().positive('must be > 0');

/**
 * Builds the schema of one event type at one version. Every event carries the same envelope:
 * `id`, `type`, `version`, `ts` (event time) and `source`, with its payload under `data`.
 */
export function eventSchema<T extends string, V extends number, D extends z.ZodType>(
  type: T,
  version: V,
  data: D,
) {
  return z.object({
    id: EventId,
    type: z.literal(type),
    version: z.literal(version),
    ts: Timestamp,
    source: z.string().min(1, 'must name the producer of the event'),
    data,
  });
}
