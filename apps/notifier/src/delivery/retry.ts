/**
 * When to try a delivery again and how long to wait: pure, no clock and no randomness of its own,
 * so a replay of the same notifications waits the same delays.
 */

/** What one delivery attempt came to. Failures carry the HTTP status, or null when none came back. */
export type SendResult =
  | { readonly ok: true; readonly status: number }
  | {
      readonly ok: false;
      readonly status: number | null;
      readonly error: string;
      /** The receiver's Retry-After, when it sent one. */
      readonly retryAfterMs?: number;
    };

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The backoff ceiling after the first failure; it doubles after each further one. */
  baseMs: number;
  /** No wait is longer, a receiver's Retry-After included. */
  maxMs: number;
  /** Per attempt, from the request until the response has been read. */
  timeoutMs: number;
}

/**
 * 8 attempts, so 7 waits with ceilings 0.5, 1, 2, 4, 8, 16, 30 s: at most 61.5 s of waiting (full
 * jitter halves that on average), plus up to 8 × 10 s of timeouts, before a dead letter.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 8,
  baseMs: 500,
  maxMs: 30_000,
  timeoutMs: 10_000,
};

export type DeliveryOutcome =
  | { readonly delivered: true; readonly attempts: number; readonly httpStatus: number }
  | { readonly delivered: false; readonly attempts: number; readonly error: string };

export interface AttemptReport {
  readonly attempt: number;
  readonly result: SendResult;
  /** The wait before the next attempt; null when there is none (delivered or given up). */
  readonly retryInMs: number | null;
}

/**
 * The wait after failed attempt `attempt` (1-based): "full jitter", uniform in
 * [0, min(maxMs, baseMs × 2^(attempt−1))), drawn from a hash of (seed, attempt). Full jitter
 * spreads receivers' recoveries: notifications that failed together do not all retry together.
 */
export function backoffMs(
  attempt: number,
  seed: string,
  policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  }
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.floor(unitInterval(`${seed}\u0000${attempt}`) * ceiling);
}

/** Network errors, timeouts, 5xx and 429 may pass; any other answer will be the same next time. */
export function isRetryable(result: SendResult): boolean {
  if (result.ok) return false;
  return result.status === null || result.status >= 500 || result.status === 429;
}

/**
 * Sends until delivered, refused, or out of attempts. `send` must not throw (a throw, like a
 * rejected `sleep` at shutdown, propagates: it is not a delivery outcome). `seed` should identify
 * the notification, so that its delays are the same on a replay and differ from its neighbours'.
 */
export async function deliverWithRetries(
  send: (attempt: number) => Promise<SendResult>,
  policy: Pick<RetryPolicy, 'maxAttempts' | 'baseMs' | 'maxMs'>,
  seed: string,
  sleep: (ms: number) => Promise<void>,
  onAttempt?: (report: AttemptReport) => void,
): Promise<DeliveryOutcome> {
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  for (let attempt = 1; ; attempt++) {
    const result = await send(attempt);
    if (result.ok) {
      onAttempt?.({ attempt, result, retryInMs: null });
      return { delivered: true, attempts: attempt, httpStatus: result.status };
    }
    if (!isRetryable(result)) {
      onAttempt?.({ attempt, result, retryInMs: null });
      return { delivered: false, attempts: attempt, error: `not retried: ${result.error}` };
    }
    if (attempt >= maxAttempts) {
      onAttempt?.({ attempt, result, retryInMs: null });
      return {
        delivered: false,
        attempts: attempt,
        error: `gave up after ${attempt} attempts: ${result.error}`,
      };
    }
    const retryInMs =
      result.retryAfterMs !== undefined
        ? Math.min(policy.maxMs, Math.max(0, result.retryAfterMs))
        : backoffMs(attempt, seed, policy);
    onAttempt?.({ attempt, result, retryInMs });
    await sleep(retryInMs);
  }
}

/** [0, 1) from FNV-1a (32-bit) of the key's UTF-16 code units, finished with MurmurHash3's fmix32. */
function unitInterval(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV-1a alone barely stirs the high bits for keys differing in their last character (attempt
  // 1 vs 2); fmix32 avalanches every bit, and the high bits are the ones the scaling below uses.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
