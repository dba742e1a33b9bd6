import { envInt, envList, envPort } from '@vgpu-twin/service-kit';
import { z } from 'zod';

export const IngestConfigSchema = z
  .object({
    /** Port of the standalone ingest service (`nx serve ingest`). */
    INGEST_PORT: envPort(8081),
    /**
     * Processes of the standalone service sharing INGEST_PORT (node:cluster), each with its own log
     * client; 1: one process. Ingest is bound by one event loop a process (bench/RESULTS.md).
     */
    INGEST_WORKERS: envInt(1, 1),
    /** Comma-separated API keys; when set, requests must carry one (`Authorization: Bearer <key>` or `X-Api-Key`). */
    INGEST_API_KEYS: envList(),
    /** Largest request body, in bytes. */
    INGEST_MAX_BODY_BYTES: envInt(10 * 1024 * 1024, 1024),
    /** Most records in one batch. */
    INGEST_MAX_BATCH: envInt(50_000, 1),
    /**
     * Telemetry samples of one GPU in one request are written as one log record (a JSON array of at
     * most this many events); 1 writes one record per sample as before. Kafka's cost is per record.
     */
    INGEST_PACK_MAX_EVENTS: envInt(500, 1),
    /** Requests a second each key (or client address, without keys) may make; past it, 429 with Retry-After. 0: no limit. */
    INGEST_RATE_LIMIT_PER_S: envInt(200, 0),
    /** Comma-separated URLs of dcgm-exporter (or any Prometheus `/metrics`) endpoints to scrape. */
    INGEST_SCRAPE_TARGETS: envList().pipe(
      z.array(z.url({ protocol: /^https?$/, message: 'must be http(s) URLs, comma-separated' })),
    ),
    /** How often each target is scraped (dcgm-exporter itself collects every 30 s unless told `-c`). */
    INGEST_SCRAPE_INTERVAL_MS: envInt(5_000, 100),
    /** A scrape that takes longer is abandoned and counts as a failure. */
    INGEST_SCRAPE_TIMEOUT_MS: envInt(4_000, 50),
    /** Longest wait between tries of a failing target (the wait doubles from the interval up to this). */
    INGEST_SCRAPE_MAX_BACKOFF_MS: envInt(60_000, 100),
    /** The mapping file: GPUs by UUID, pods and VMs to twin VMs and workloads, progress metrics (README, "Connecting real hosts"). */
    INGEST_MAPPING_FILE: z.string().min(1).optional(),
    /**
     * Where `vgpu-twin keys create` keys live: `sqlite` (`keys.sqlite` in the data folder), `postgres`
     * (DATABASE_URL) or `none` (only INGEST_API_KEYS).
     */
    INGEST_KEY_STORE: z
      .enum(['sqlite', 'postgres', 'none'], { message: "must be 'sqlite', 'postgres' or 'none'" })
      .default('sqlite'),
    /** PostgreSQL for INGEST_KEY_STORE=postgres, e.g. postgres://postgres@127.0.0.1:5432/test. */
    DATABASE_URL: z.string().min(1).optional(),
    /** The cluster hosts discovered from `nvidia-smi vgpu -q` join when the capture does not say (`?cluster=`). */
    INGEST_CLUSTER: z.string().min(1).default('default'),
  })
  .superRefine((c, ctx) => {
    // Every worker would scrape every target, and each reading would be appended once per worker.
    if (c.INGEST_WORKERS > 1 && c.INGEST_SCRAPE_TARGETS.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['INGEST_WORKERS'],
        message:
          'more than 1 worker cannot scrape INGEST_SCRAPE_TARGETS (each worker would scrape every target); scrape from a separate ingest with INGEST_WORKERS=1',
      });
  });
export type IngestConfig = z.infer<typeof IngestConfigSchema>;
