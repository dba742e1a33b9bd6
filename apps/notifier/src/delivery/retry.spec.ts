import {
  DEFAULT_RETRY_POLICY,
  backoffMs,
  deliverWithRetries,
  isRetryable,
  type AttemptReport,
  type SendResult,
} from './retry';

const policy = { maxAttempts: 8, baseMs: 500, maxMs: 30_000 };

describe('backoffMs', () => {
  it('is the same for the same seed and attempt', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      expect(backoffMs(attempt, 'n-1', policy)).toBe(backoffMs(attempt, 'n-1', policy));
    }
  });

  it('pins the jitter, so a change to the hash (and to every replayed delay) is deliberate', () => {
    // FNV-1a + fmix32 of "n-1\0<attempt>" scaled to the ceiling 500 × 2^(attempt−1), capped at 30 000
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffMs(a, 'n-1', policy))).toEqual([
      289, 382, 1655, 2162, 2979, 1202, 24750, 15893,
    ]);
  });

  it('stays below min(maxMs, base × 2^(attempt−1)) for every attempt', () => {
    for (let i = 0; i < 200; i++) {
      for (let attempt = 1; attempt <= 12; attempt++) {
        // attempt 1: 500, 2: 1000, … 7: 32 000 → capped at 30 000 from there on
        const ceiling = Math.min(30_000, 500 * 2 ** (attempt - 1));
        const delay = backoffMs(attempt, `n-${i}`, policy);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it('spreads the notifications that failed together across the whole window (full jitter)', () => {
    const delays = Array.from({ length: 2000 }, (_, i) =>
      backoffMs(1, `n-${i}`, { baseMs: 1000, maxMs: 1000 }),
    );
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    // uniform on [0, 1000): mean 500, standard error 1000/√12/√2000 ≈ 6.5 ms; ±50 is ±7.7 of them
    expect(mean).toBeGreaterThan(450);
    expect(mean).toBeLessThan(550);
    // each tenth of the window gets some of 2000 (200 expected)
    for (let tenth = 0; tenth < 10; tenth++) {
      expect(delays.filter((d) => Math.floor(d / 100) === tenth).length).toBeGreaterThan(150);
    }
    // and neighbours differ: far fewer than 2000 distinct delays would mean a weak hash
    expect(new Set(delays).size).toBeGreaterThan(800);
  });

  it('does not overflow for absurd attempts', () => {
    // 500 × 2^1999 is Infinity; the cap still applies
    expect(backoffMs(2000, 'n-1', policy)).toBeLessThan(30_000);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses attempt %p', (attempt) => {
    expect(() => backoffMs(attempt, 'n-1', policy)).toThrow(RangeError);
  });
});

describe('isRetryable', () => {
  it.each<[SendResult, boolean]>([
    [{ ok: false, status: null, error: 'fetch failed: connect ECONNREFUSED' }, true],
    [{ ok: false, status: null, error: 'timed out after 10000 ms' }, true],
    [{ ok: false, status: 500, error: 'HTTP 500' }, true],
    [{ ok: false, status: 503, error: 'HTTP 503' }, true],
    [{ ok: false, status: 429, error: 'HTTP 429' }, true],
    [{ ok: false, status: 400, error: 'HTTP 400' }, false],
    [{ ok: false, status: 401, error: 'HTTP 401' }, false],
    [{ ok: false, status: 404, error: 'HTTP 404' }, false],
    [{ ok: false, status: 302, error: 'HTTP 302' }, false],
    [{ ok: true, status: 200 }, false],
  ])('%j → %p', (result, retryable) => {
    expect(isRetryable(result)).toBe(retryable);
  });
});

describe('deliverWithRetries', () => {
  /** Given the receiver's answers in order, when delivering, then what happened and the waits. */
  async function deliver(
    answers: SendResult[],
    p: { maxAttempts: number; baseMs: number; maxMs: number } = policy,
  ) {
    const sent: number[] = [];
    const slept: number[] = [];
    const reports: AttemptReport[] = [];
    const outcome = await deliverWithRetries(
      async (attempt) => {
        sent.push(attempt);
        const answer = answers[attempt - 1];
        if (!answer) throw new Error(`unexpected attempt ${attempt}`);
        return answer;
      },
      p,
      'n-1',
      async (ms) => {
        slept.push(ms);
      },
      (r) => reports.push(r),
    );
    return { outcome, sent, slept, reports };
  }
  const http = (status: number, retryAfterMs?: number): SendResult =>
    retryAfterMs === undefined
      ? { ok: false, status, error: `HTTP ${status}: nope` }
      : { ok: false, status, error: `HTTP ${status}: nope`, retryAfterMs };
  const down: SendResult = {
    ok: false,
    status: null,
    error: 'fetch failed: connect ECONNREFUSED 127.0.0.1:9',
  };

  it('delivers at once without sleeping', async () => {
    const { outcome, slept, reports } = await deliver([{ ok: true, status: 202 }]);
    expect(outcome).toEqual({ delivered: true, attempts: 1, httpStatus: 202 });
    expect(slept).toEqual([]);
    expect(reports).toEqual([{ attempt: 1, result: { ok: true, status: 202 }, retryInMs: null }]);
  });

  it('retries network errors, 5xx and 429 with the seeded backoff, then delivers', async () => {
    const { outcome, sent, slept } = await deliver([
      down,
      http(500),
      http(429),
      http(503),
      { ok: true, status: 200 },
    ]);
    expect(outcome).toEqual({ delivered: true, attempts: 5, httpStatus: 200 });
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    // the waits after attempts 1–4 are backoffMs(1…4, 'n-1'), pinned above: 289, 382, 1655, 2162
    expect(slept).toEqual([289, 382, 1655, 2162]);
  });

  it('reports every attempt with the wait that follows it', async () => {
    const { reports } = await deliver([http(500), { ok: true, status: 200 }]);
    expect(reports).toEqual([
      { attempt: 1, result: http(500), retryInMs: 289 },
      { attempt: 2, result: { ok: true, status: 200 }, retryInMs: null },
    ]);
  });

  it.each([400, 401, 403, 404, 409, 413, 422])(
    'gives up at once on %p: the receiver will refuse it again',
    async (status) => {
      const { outcome, sent, slept } = await deliver([http(status), { ok: true, status: 200 }]);
      expect(outcome).toEqual({ delivered: false, attempts: 1, error: `not retried: HTTP ${status}: nope` });
      expect(sent).toEqual([1]);
      expect(slept).toEqual([]);
    },
  );

  it('gives up after maxAttempts, naming the last error', async () => {
    const { outcome, sent, slept } = await deliver([down, down, http(502)], {
      maxAttempts: 3,
      baseMs: 500,
      maxMs: 30_000,
    });
    expect(outcome).toEqual({
      delivered: false,
      attempts: 3,
      error: 'gave up after 3 attempts: HTTP 502: nope',
    });
    expect(sent).toEqual([1, 2, 3]);
    // 3 attempts, 2 waits; none after the last
    expect(slept).toEqual([289, 382]);
  });

  it('with the default policy tries 8 times and waits 7 times', async () => {
    const { outcome, slept } = await deliver(Array<SendResult>(8).fill(down), DEFAULT_RETRY_POLICY);
    expect(outcome).toMatchObject({ delivered: false, attempts: 8 });
    // backoffMs(1…7, 'n-1') with base 500 and cap 30 000, pinned above
    expect(slept).toEqual([289, 382, 1655, 2162, 2979, 1202, 24750]);
  });

  it("waits the receiver's Retry-After instead of the backoff, capped at maxMs", async () => {
    const { outcome, slept } = await deliver([
      http(429, 7_000),
      http(503, 120_000),
      http(503, 0),
      { ok: true, status: 200 },
    ]);
    expect(outcome).toEqual({ delivered: true, attempts: 4, httpStatus: 200 });
    // 7 s as asked; 120 s capped at maxMs 30 s; 0 s as asked
    expect(slept).toEqual([7_000, 30_000, 0]);
  });

  it('propagates a rejected sleep (shutdown) instead of reporting an outcome', async () => {
    const sends: number[] = [];
    const run = deliverWithRetries(
      async (attempt) => {
        sends.push(attempt);
        return down;
      },
      policy,
      'n-1',
      () => Promise.reject(new Error('shutting down')),
    );
    await expect(run).rejects.toThrow('shutting down');
    expect(sends).toEqual([1]);
  });

  it('tries at least once even with maxAttempts 0', async () => {
    const { outcome } = await deliver([down], { maxAttempts: 0, baseMs: 500, maxMs: 30_000 });
    expect(outcome).toMatchObject({ delivered: false, attempts: 1 });
  });
});
