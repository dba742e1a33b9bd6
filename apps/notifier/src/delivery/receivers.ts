import type { ReceiverKind } from '@vgpu-twin/contracts';
import type { z } from 'zod';

/** Where the notifier delivers: a webhook (Alertmanager's webhook payload) or Alertmanager's v2 API. */
export interface Receiver {
  readonly name: string;
  readonly kind: z.infer<typeof ReceiverKind>;
  /** The URL POSTed to; for Alertmanager, its `/api/v2/alerts` endpoint. */
  readonly url: string;
}

export interface ReceiversEnv {
  /** Comma-separated `url` or `name=url` entries; unnamed ones are `webhook-<position>`. */
  readonly NOTIFIER_WEBHOOK_URLS?: string;
  /** Alertmanager's base URL (e.g. `http://am:9093`, or with its `--web.route-prefix`). */
  readonly NOTIFIER_ALERTMANAGER_URL?: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
export const ALERTMANAGER_RECEIVER = 'alertmanager';

/**
 * The receivers the environment configures, validated once at boot. Throws an Error naming the
 * variable and the offending entry (credentials redacted), meant as a one-line startup failure.
 */
export function parseReceivers(env: ReceiversEnv): Receiver[] {
  const receivers: Receiver[] = [];
  const add = (variable: string, entry: string, receiver: Receiver): void => {
    if (receivers.some((r) => r.name === receiver.name)) {
      fail(variable, entry, `receiver name "${receiver.name}" is already taken`);
    }
    receivers.push(receiver);
  };

  const webhooks = (env.NOTIFIER_WEBHOOK_URLS ?? '')
    .split(',')
    .map((e) => e.trim())
    // A trailing comma (templated env files) is not an entry.
    .filter((e) => e !== '');
  webhooks.forEach((entry, i) => {
    const variable = 'NOTIFIER_WEBHOOK_URLS';
    // `name=url` when an `=` comes before the scheme's `://`; a bare URL may carry `=` in its query.
    const eq = entry.indexOf('=');
    const scheme = entry.indexOf('://');
    const named = eq >= 0 && (scheme < 0 || eq < scheme);
    const name = named ? entry.slice(0, eq).trim() : `webhook-${i + 1}`;
    const url = named ? entry.slice(eq + 1).trim() : entry;
    if (!NAME.test(name)) fail(variable, entry, `receiver name "${name}" must match ${NAME.source}`);
    add(variable, entry, { name, kind: 'webhook', url: httpUrl(variable, entry, url).href });
  });

  const base = env.NOTIFIER_ALERTMANAGER_URL?.trim() ?? '';
  if (base !== '') {
    const variable = 'NOTIFIER_ALERTMANAGER_URL';
    const parsed = httpUrl(variable, base, base);
    if (parsed.search !== '' || parsed.hash !== '') {
      fail(variable, base, 'a base URL takes no query or fragment');
    }
    const url = `${parsed.href.replace(/\/+$/, '')}/api/v2/alerts`;
    add(variable, base, { name: ALERTMANAGER_RECEIVER, kind: 'alertmanager', url });
  }
  return receivers;
}

/** The URL with any `user:password@` replaced by `***@`, for logs and `GET /v1/receivers`. */
export function redactUrl(url: string): string {
  // The userinfo runs to the last `@` before the authority ends (as the WHATWG URL parser reads it).
  // Matching text rather than parsing also redacts what cannot be parsed and `name=url` entries,
  // which is when startup errors show them.
  return url.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/g, '$1***@');
}

function httpUrl(variable: string, entry: string, url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail(variable, entry, `"${redactUrl(url)}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    fail(variable, entry, `only http: and https: URLs are allowed, not ${parsed.protocol}`);
  }
  return parsed;
}

function fail(variable: string, entry: string, why: string): never {
  throw new Error(`${variable}: bad entry "${redactUrl(entry)}": ${why}`);
}
