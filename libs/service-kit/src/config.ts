import { resolve } from 'node:path';
import { z } from 'zod';

/** A configuration key that is missing or malformed: the service refuses to start and names it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses environment variables once at boot into a typed object; every bad key is named. */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const picked = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const r = schema.safeParse(picked);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const key = String(i.path[0] ?? '(config)');
    return `${key}=${JSON.stringify(env[key] ?? '')}: ${i.message}`;
  });
  // One line, whatever the number of bad keys: it is what a failed start prints.
  throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
}

export const envInt = (def: number, min = 0) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int('must be an integer')
    .min(min, `must be ≥ ${min}`)
    .default(def);
export const envNumber = (def: number, min = 0) =>
  z.coerce.number({ message: 'must be a number' }).min(min, `must be ≥ ${min}`).default(def);
export const envPort = (def: number) =>
  envInt(def, 0).refine((p) => p <= 65535, 'must be a TCP port (0–65535)');
export const envList = () =>
  z
    .string()
    .optional()
    .transform((s) =>
      s
        ? s
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
        : [],
    );

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How a process writes its own log lines (not the event log): also read by the standalone simulator. */
export const LoggingConfigSchema = z.object({
  /** The least severe level written. */
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  /** `json` (one object a line) or `pretty` (for people); default pretty on a terminal, json otherwise. */
  LOG_FORMAT: z.enum(['json', 'pretty'], { message: "must be 'json' or 'pretty'" }).optional(),
});
export type LoggingConfig = z.infer<typeof LoggingConfigSchema>;

/** Settings every service shares: which log, where its files live, how it writes its log lines. */
export const LogConfigSchema = z.object({
  ...LoggingConfigSchema.shape,
  EVENT_LOG: z.enum(['embedded', 'kafka'], { message: "must be 'embedded' or 'kafka'" }).default('embedded'),
  VGPU_TWIN_DATA_DIR: z
    .string()
    .default('./.vgpu-twin')
    .transform((p) => resolve(p)),
  KAFKA_BROKERS: z.string().default('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: z.string().default('vgpu-twin'),
  /** Prefix of every stream (topic) and consumer group: lets several twins share one log. */
  VGPU_TWIN_STREAM_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'may contain only letters, digits and . _ -')
    .default(''),
  KAFKA_TELEMETRY_PARTITIONS: envInt(12, 1),
  /**
   * Retention of the topics we create. Records carry their event time as Kafka's CreateTime, so
   * retention counts from the event time: a finite value silently deletes backfilled or replayed
   * telemetry older than it. -1 (default) keeps everything.
   */
  KAFKA_RETENTION_MS: z.coerce.number({ message: 'must be a number' }).int().min(-1).default(-1),
  /** Replication factor of topics we create; -1 takes the broker's default (3 in production, 1 on the local broker). */
  KAFKA_REPLICATION_FACTOR: z.coerce.number({ message: 'must be a number' }).int().min(-1).default(-1),
  /** Last-resort deadline for a write; kafkajs's own retries (a few seconds) normally fail first with a 503. */
  KAFKA_APPEND_TIMEOUT_MS: envInt(30_000, 100),
  /** How long Kafka waits for a silent consumer before giving its partitions to others (broker minimum 6000). */
  KAFKA_SESSION_TIMEOUT_MS: envInt(10_000, 1000),
  KAFKA_COMPRESSION: z.enum(['none', 'gzip'], { message: "must be 'none' or 'gzip'" }).default('none'),
  /** `/health/ready` answers 503 while a consumer group of the process is further behind than this, in records. */
  HEALTH_READY_MAX_LAG: envInt(10_000, 0),
});
export type LogConfig = z.infer<typeof LogConfigSchema>;
