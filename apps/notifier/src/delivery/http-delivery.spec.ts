import { sendNotification, signBody, verifySignature } from './http-delivery';

const secret = 's3cret';
const body = '{"status":"firing"}';
const ts = 1_700_000_000; // 2023-11-14T22:13:20Z
// printf '%s' '1700000000.{"status":"firing"}' | openssl dgst -sha256 -hmac 's3cret'
const signature = 'sha256=f999630ee8daeb8c3b8187f658991aff85e7acf4fd52490cf409ab5b95127425';

describe('signBody', () => {
  it('is HMAC-SHA256 of "<timestamp>.<raw body>", as openssl computes it', () => {
    expect(signBody(secret, ts, body)).toBe(signature);
    expect(signBody(secret, ts, Buffer.from(body))).toBe(signature);
  });
});

describe('verifySignature', () => {
  it('accepts the signature of the raw body, as a string or as the bytes received', () => {
    expect(verifySignature(secret, String(ts), signature, body, ts)).toBe(true);
    expect(verifySignature(secret, String(ts), signature, Buffer.from(body), ts)).toBe(true);
    expect(
      verifySignature(secret, String(ts), signature.toUpperCase().replace('SHA256=', 'sha256='), body, ts),
    ).toBe(true);
  });

  it('accepts a timestamp up to the tolerance (300 s by default) either side of now', () => {
    expect(verifySignature(secret, String(ts), signature, body, ts + 300)).toBe(true);
    expect(verifySignature(secret, String(ts), signature, body, ts - 300)).toBe(true);
    expect(verifySignature(secret, String(ts), signature, body, ts + 301)).toBe(false);
    expect(verifySignature(secret, String(ts), signature, body, ts - 301)).toBe(false);
    expect(verifySignature(secret, String(ts), signature, body, ts + 30, 10)).toBe(false);
  });

  it.each<[string, string | null | undefined, string | null | undefined, string]>([
    ['a wrong secret', String(ts), signature, body],
    ['a body changed in transit', String(ts), signature, '{"status":"resolved"}'],
    ['a body re-serialised with spaces', String(ts), signature, '{"status": "firing"}'],
    // the same signature replayed with a fresh timestamp: the timestamp is signed too
    ['a timestamp swapped for a fresh one', String(ts + 1), signature, body],
    ['no timestamp', undefined, signature, body],
    ['no signature', String(ts), null, body],
    ['a timestamp that is no integer', `${ts}.0`, signature, body],
    ['a signature without its scheme', String(ts), signature.slice('sha256='.length), body],
    ['a truncated signature', String(ts), signature.slice(0, -2), body],
    ['another scheme', String(ts), signature.replace('sha256=', 'sha1='), body],
  ])('refuses %s', (what, timestamp, sig, raw) => {
    const key = what === 'a wrong secret' ? 'not-the-secret' : secret;
    // the timestamp-swap case is judged at its own timestamp, so only the signature can fail it
    expect(verifySignature(key, timestamp, sig, raw, ts)).toBe(false);
  });
});

describe('sendNotification', () => {
  const receiver = { name: 'webhook-1', kind: 'webhook' as const, url: 'http://127.0.0.1:9/never' };
  const opts = { timeoutMs: 1000, notificationId: 'n-1' };

  it('fails, without sending or throwing, for a body that is not JSON', async () => {
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    try {
      await expect(sendNotification(receiver, { big: 1n }, opts)).resolves.toEqual({
        ok: false,
        status: null,
        error: expect.stringMatching(/^the body is not JSON: .*BigInt/),
      });
      await expect(sendNotification(receiver, undefined, opts)).resolves.toMatchObject({
        ok: false,
        status: null,
      });
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });
});
