import { envInt, envList, envPort } from '@vgpu-twin/service-kit';
import { z } from 'zod';

export const IngestConfigSchema = z.object({
  /** Port of the standalone ingest service (`nx serve ingest`). */
  INGEST_PORT: envPort(8081),
  /** Comma-separated API keys; when set, requests must carry one (`Authorization: Bearer <key>` or `X-Api-Key`). */
  INGEST_API_KEYS: envList(),
  /** Largest request body, in bytes. */
  INGEST_MAX_BODY_BYTES: envInt(10 * 1024 * 1024, 1024),
  /** Most records in one batch. */
  INGEST_MAX_BATCH: envInt(50_000, 1),
});
export type IngestConfig = z.infer<typeof IngestConfigSchema>;
