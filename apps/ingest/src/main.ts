import 'reflect-metadata';
import { loadConfig, runMain, serveService } from '@vgpu-twin/service-kit';
import { IngestConfigSchema } from './config';
import { ingestService } from './service';

// With INGEST_WORKERS > 1 this file is also what each worker runs (node:cluster forks it again).
runMain(() => {
  const config = loadConfig(IngestConfigSchema);
  return serveService(ingestService(config), { workers: config.INGEST_WORKERS });
});
