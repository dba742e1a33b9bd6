import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DomainErrorFilter, EventLogModule, LogConfigSchema, loadConfig, openEventLog } from '@vgpu-twin/service-kit';
import { Module } from '@nestjs/common';
import { IngestConfigSchema } from './config';
import { IngestModule, configureIngestHttp } from './ingest.module';

async function main(): Promise<void> {
  const logConfig = loadConfig(LogConfigSchema);
  const config = loadConfig(IngestConfigSchema);
  const log = await openEventLog(logConfig);
  @Module({ imports: [EventLogModule.forLog(log), IngestModule.forRoot(config)] })
  class IngestApp {}
  const app = await NestFactory.create(IngestApp, { bodyParser: false });
  configureIngestHttp(app, config);
  app.useGlobalFilters(new DomainErrorFilter());
  app.enableShutdownHooks();
  await app.listen(config.INGEST_PORT, '0.0.0.0');
  console.log(`ingest listening on http://localhost:${config.INGEST_PORT} (log: ${logConfig.EVENT_LOG})`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
