import 'reflect-metadata';
import { bootService, loadConfig, runMain } from '@vgpu-twin/service-kit';
import { IngestConfigSchema } from './config';
import { IngestModule, configureIngestHttp } from './ingest.module';

runMain(() => {
  const config = loadConfig(IngestConfigSchema);
  return bootService({
    name: 'Ingest',
    port: config.INGEST_PORT,
    modules: (_log, logConfig) => [IngestModule.forRoot(config, { dataDir: logConfig.VGPU_TWIN_DATA_DIR })],
    bodyParser: false,
    configure: (app) => configureIngestHttp(app, config),
    banner: (url, log) => `ingest listening on ${url} (log: ${log.EVENT_LOG})`,
  });
});
