import { envInt, envList, envPort } from '@vgpu-twin/service-kit';
import { z } from 'zod';

export const NotifierConfigSchema = z.object({
  /** Port of the standalone notifier (`nx serve notifier`): dashboard and socket.io. */
  NOTIFIER_PORT: envPort(8082),
  /** When set, socket.io clients must send it in the handshake (`auth: { token }`); the dashboard reads `?token=`. */
  NOTIFIER_TOKEN: z.string().optional(),
  /** With a token set, the origins (comma-separated) whose pages may open the socket cross-origin; none: same-origin pages only. */
  NOTIFIER_CORS_ORIGINS: envList(),
  /** Alerts kept in the dashboard's feed. */
  NOTIFIER_FEED_SIZE: envInt(200, 1),
  /** Minutes of event time each VM's predicted-vs-observed chart covers (one point per second at most). */
  NOTIFIER_TIMELINE_MINUTES: envInt(10, 1),
  NOTIFIER_GROUP: z.string().min(1).default('notifier'),
});
export type NotifierConfig = z.infer<typeof NotifierConfigSchema>;
