import { envInt, envList, envPort } from '@vgpu-twin/service-kit';
import { hostname } from 'node:os';
import { z } from 'zod';
import { parseTokens } from './auth';
import { parseReceivers } from './delivery/receivers';

export const NotifierConfigSchema = z
  .object({
    /** Port of the standalone notifier (`nx serve notifier`): dashboard and socket.io. */
    NOTIFIER_PORT: envPort(8082),
    /** One token for every cluster: socket.io handshakes (`auth: { token }`) and `Authorization: Bearer` on every read endpoint; the dashboard reads `?token=`. */
    NOTIFIER_TOKEN: z.string().optional(),
    /** Per-cluster tokens, `cluster=token` pairs comma-separated (`*=token` for all clusters); with NOTIFIER_TOKEN, both work. */
    NOTIFIER_TOKENS: z.string().optional(),
    /** With a token set, the origins (comma-separated) whose pages may open the socket cross-origin; none: same-origin pages only. */
    NOTIFIER_CORS_ORIGINS: envList(),
    /** Alerts kept in the dashboard's feed. */
    NOTIFIER_FEED_SIZE: envInt(200, 1),
    /** Minutes of event time each VM's predicted-vs-observed chart covers (one point per second at most). */
    NOTIFIER_TIMELINE_MINUTES: envInt(10, 1),
    /** Base of the consumer groups: `<group>.decider` and `<group>.delivery` are shared by every notifier instance; each instance reads the streams whole under `<group>@<instance>`. */
    NOTIFIER_GROUP: z.string().min(1).default('notifier'),
    /** This instance's name (its own consumer groups); the hostname by default, which differs per pod. */
    NOTIFIER_INSTANCE: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only')
      .default(hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'notifier'),
    /** Alertmanager's group_wait: a new incident's first notification waits this long for more alerts. */
    NOTIFIER_GROUP_WAIT_MS: envInt(30_000),
    /** group_interval: a changed incident's next notification waits this long after the previous one. */
    NOTIFIER_GROUP_INTERVAL_MS: envInt(300_000),
    /** repeat_interval: an unchanged incident with unacknowledged firing alerts is re-sent this often. */
    NOTIFIER_REPEAT_INTERVAL_MS: envInt(4 * 3600_000, 1),
    /** An alert raised and resolved more than this many times within NOTIFIER_FLAP_WINDOW_MS is flapping. */
    NOTIFIER_FLAP_COUNT: envInt(4, 1),
    NOTIFIER_FLAP_WINDOW_MS: envInt(600_000, 1),
    /** A flapping alert settles after this long without being raised or resolved. */
    NOTIFIER_FLAP_STABLE_MS: envInt(600_000, 1),
    /** Webhook receivers, comma-separated `url` or `name=url`: each gets Alertmanager's webhook JSON (version 4) per incident. */
    NOTIFIER_WEBHOOK_URLS: z.string().optional(),
    /** Signs webhook bodies: `X-Vgpu-Twin-Signature: sha256=<HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
    NOTIFIER_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Attempts per notification before it is dead-lettered. */
    NOTIFIER_WEBHOOK_MAX_ATTEMPTS: envInt(8, 1),
    /** Backoff base and ceiling between attempts (full jitter), and each attempt's timeout. */
    NOTIFIER_WEBHOOK_BACKOFF_MS: envInt(500, 1),
    NOTIFIER_WEBHOOK_BACKOFF_MAX_MS: envInt(30_000, 1),
    NOTIFIER_WEBHOOK_TIMEOUT_MS: envInt(10_000, 1),
    /** An existing Alertmanager (base URL): alerts go to its v2 API, re-sent while firing, ended on resolve. */
    NOTIFIER_ALERTMANAGER_URL: z.string().optional(),
    /** How often firing alerts are re-sent to Alertmanager (their endsAt is 4× this ahead). */
    NOTIFIER_ALERTMANAGER_RESEND_MS: envInt(60_000, 1),
    /** The dashboard's address as receivers should link to it (generatorURL, externalURL). */
    NOTIFIER_EXTERNAL_URL: z.string().url().optional(),
    /** How often the lifecycle checks time: silences' ends, flapping, notifications due. */
    NOTIFIER_TICK_MS: envInt(1000, 10),
    /** socket.io connection-state recovery: a client back within this long gets what it missed from the server's buffer; beyond it, from the log (`resume`). */
    NOTIFIER_RECOVERY_MS: envInt(120_000),
    /** Pushed alert and lifecycle events kept in memory per stream for resuming clients; older gaps are read from the log. */
    NOTIFIER_RESUME_BUFFER: envInt(10_000, 1),
    /** The alert history (GET /v1/alerts): a SQLite file under VGPU_TWIN_DATA_DIR, or PostgreSQL at DATABASE_URL. */
    NOTIFIER_HISTORY_STORE: z
      .enum(['sqlite', 'postgres'], { message: "must be 'sqlite' or 'postgres'" })
      .default('sqlite'),
    DATABASE_URL: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.NOTIFIER_HISTORY_STORE === 'postgres' && !c.DATABASE_URL)
      fail('DATABASE_URL', 'is required with NOTIFIER_HISTORY_STORE=postgres');
    try {
      parseTokens(c);
    } catch (e) {
      fail('NOTIFIER_TOKENS', (e as Error).message);
    }
    try {
      parseReceivers(c);
    } catch (e) {
      const message = (e as Error).message;
      fail(
        message.includes('NOTIFIER_ALERTMANAGER_URL') ? 'NOTIFIER_ALERTMANAGER_URL' : 'NOTIFIER_WEBHOOK_URLS',
        message,
      );
    }
  });
export type NotifierConfig = z.infer<typeof NotifierConfigSchema>;
