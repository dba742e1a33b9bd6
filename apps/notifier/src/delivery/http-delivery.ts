import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Receiver } from './receivers';
import type { SendResult } from './retry';

export type { SendResult } from './retry';

export const SIGNATURE_HEADER = 'X-Vgpu-Twin-Signature';
export const TIMESTAMP_HEADER = 'X-Vgpu-Twin-Timestamp';
export const NOTIFICATION_ID_HEADER = 'X-Vgpu-Twin-Notification-Id';
export const USER_AGENT = 'vgpu-twin-notifier';
/** Characters of a refusing receiver's body kept in the error (and so in the dead letter). */
const BODY_EXCERPT_CHARS = 200;
/** 200 characters are at most 800 bytes of UTF-8; read no more of a body than that needs. */
const BODY_EXCERPT_BYTES = 4 * BODY_EXCERPT_CHARS;

export interface SendOptions {
  /** Signs webhook deliveries (HMAC-SHA256); ignored for Alertmanager. */
  readonly secret?: string;
  readonly timeoutMs: number;
  /** Sent as X-Vgpu-Twin-Notification-Id, the same on every retry, so receivers can dedupe. */
  readonly notificationId: string;
  /** Milliseconds since the epoch, for the signature's timestamp. */
  readonly now?: () => number;
}

/**
 * POSTs `body` as JSON to the receiver, once. Never throws: a refusal, a network error, a timeout
 * (which covers reading the response) or an unserialisable body all come back as a failed result.
 * Redirects are not followed: fetch would turn a 301/302 POST into a GET without the body and
 * report the GET's answer, so a redirect is a failure naming where the receiver has moved.
 */
export async function sendNotification(
  receiver: Receiver,
  body: unknown,
  opts: SendOptions,
): Promise<SendResult> {
  let rawBody: string | undefined;
  try {
    // undefined for undefined, a function or a symbol, despite its declared type
    rawBody = JSON.stringify(body);
  } catch (err) {
    return { ok: false, status: null, error: `the body is not JSON: ${describeError(err, opts.timeoutMs)}` };
  }
  if (rawBody === undefined) return { ok: false, status: null, error: 'the body is not JSON: undefined' };
  try {
    const url = new URL(receiver.url);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      [NOTIFICATION_ID_HEADER]: opts.notificationId,
    };
    // fetch refuses URLs with credentials; send them as the Basic authentication they stand for.
    if (url.username !== '' || url.password !== '') {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    if (receiver.kind === 'webhook' && opts.secret) {
      const timestamp = Math.floor((opts.now ?? Date.now)() / 1000);
      headers[TIMESTAMP_HEADER] = String(timestamp);
      headers[SIGNATURE_HEADER] = signBody(opts.secret, timestamp, rawBody);
    }

    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: rawBody,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => undefined);
      return { ok: true, status: res.status };
    }
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    const location = res.headers.get('location');
    const excerpt = await readExcerpt(res);
    const error =
      res.status >= 300 && res.status < 400
        ? `HTTP ${res.status}: redirected to ${location ?? '(no location)'}; configure the final URL`
        : `HTTP ${res.status}: ${excerpt === '' ? '(empty body)' : excerpt}`;
    return retryAfterMs === undefined
      ? { ok: false, status: res.status, error }
      : { ok: false, status: res.status, error, retryAfterMs };
  } catch (err) {
    return { ok: false, status: null, error: describeError(err, opts.timeoutMs) };
  }
}

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, the X-Vgpu-Twin-Signature value. */
export function signBody(secret: string, timestampSec: number, rawBody: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSec}.`).update(rawBody).digest('hex')}`;
}

/**
 * Whether a delivery is authentic and fresh: the signature matches `rawBody` (the bytes as
 * received, before any JSON parsing) and the timestamp is within `toleranceSec` of `nowSec`, so a
 * captured delivery cannot be replayed later. Compares in constant time.
 */
export function verifySignature(
  secret: string,
  timestampHeader: string | null | undefined,
  signatureHeader: string | null | undefined,
  rawBody: string | Uint8Array,
  nowSec: number,
  toleranceSec = 300,
): boolean {
  if (!timestampHeader || !signatureHeader || !/^\d{1,12}$/.test(timestampHeader)) return false;
  const timestamp = Number(timestampHeader);
  if (Math.abs(nowSec - timestamp) > toleranceSec) return false;
  const given = /^sha256=([0-9a-fA-F]{64})$/.exec(signatureHeader.trim());
  if (!given) return false;
  const expected = Buffer.from(signBody(secret, timestamp, rawBody).slice('sha256='.length), 'hex');
  return timingSafeEqual(Buffer.from(given[1]!, 'hex'), expected);
}

/** Retry-After in delay-seconds; the HTTP-date form is ignored (the backoff applies instead). */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value) * 1000;
}

/** The first characters of the body on one line, reading no more than that needs. */
async function readExcerpt(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes < BODY_EXCERPT_BYTES) {
      // Node's types leave the chunks `any`; a fetch body's chunks are bytes.
      const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done || !value) break;
      chunks.push(value);
      bytes += value.byteLength;
    }
  } catch {
    // A body cut short still leaves the status; keep what arrived.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
  return Array.from(text).slice(0, BODY_EXCERPT_CHARS).join('');
}

function describeError(err: unknown, timeoutMs: number): string {
  // Not `instanceof Error`: fetch's errors come from Node's own realm, which under a vm context
  // (Jest) is not this module's.
  const e = err as {
    name?: unknown;
    message?: unknown;
    cause?: { message?: unknown; code?: unknown };
  } | null;
  if (e?.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  if (typeof e?.message !== 'string') return String(err);
  // undici reports "fetch failed" and puts the reason (ECONNREFUSED, a TLS error …) in the cause.
  const cause = typeof e.cause?.message === 'string' ? e.cause.message : '';
  return cause === '' || cause === e.message ? e.message : `${e.message}: ${cause}`;
}
