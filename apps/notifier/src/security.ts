import { createHash } from 'node:crypto';
import helmet from 'helmet';
import { dashboardPage } from './dashboard-page';

/** sha256 of each inline `<script>` of the page, as a CSP source: only these inline scripts run. */
function inlineScriptHashes(page: string): string[] {
  return [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`,
  );
}

/**
 * Security headers for the dashboard's routes (helmet): a Content-Security-Policy that runs only
 * the page's own scripts (served from this origin, and its inline script by hash), talks only to
 * this origin (socket.io included), and cannot be framed; plus nosniff, no referrer, HSTS.
 */
export function dashboardHeaders() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", ...inlineScriptHashes(dashboardPage)],
        styleSrc: ["'self'", "'unsafe-inline'"], // the page and uPlot set element styles
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/**
 * socket.io's CORS: any origin while nothing is protected (no token), as before; once a token is
 * configured only the origins listed in NOTIFIER_CORS_ORIGINS (none: same-origin pages only).
 */
export function socketCorsOrigin(config: {
  NOTIFIER_TOKEN?: string | undefined;
  NOTIFIER_TOKENS?: string | undefined;
  NOTIFIER_CORS_ORIGINS: readonly string[];
}): boolean | string[] {
  if (!config.NOTIFIER_TOKEN && !config.NOTIFIER_TOKENS) return true;
  return config.NOTIFIER_CORS_ORIGINS.length > 0 ? [...config.NOTIFIER_CORS_ORIGINS] : false;
}
