import type { ServiceDefinition } from '@vgpu-twin/service-kit';
import type { IngestConfig } from './config';
import { IngestModule, configureIngestHttp } from './ingest.module';

/** The standalone ingest service (apps/ingest/src/main.ts, and the ingest bench's server). */
export function ingestService(config: IngestConfig): ServiceDefinition {
  return {
    name: 'Ingest',
    port: config.INGEST_PORT,
    modules: (_log, logConfig) => [IngestModule.forRoot(config, { dataDir: logConfig.VGPU_TWIN_DATA_DIR })],
    bodyParser: false,
    configure: (app) => configureIngestHttp(app, config),
    banner: (url, log) => `ingest listening on ${url} (log: ${log.EVENT_LOG})`,
  };
}
