export { IngestModule, configureIngestHttp, openKeyStoreRepository } from './ingest.module';
export { IngestConfigSchema, type IngestConfig } from './config';
export { IngestService } from './ingest.service';
export { ingestService } from './service';
