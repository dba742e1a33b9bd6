import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { EVENT_LOG } from '@vgpu-twin/service-kit';
import type { EventLog } from '@vgpu-twin/event-log';
import { ApiKeyGuard } from './api-key.guard';
import type { IngestConfig } from './config';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';
import { INGEST_CONFIG } from './tokens';

@Module({})
export class IngestModule {
  static forRoot(config: IngestConfig): DynamicModule {
    return {
      module: IngestModule,
      controllers: [IngestController],
      providers: [
        { provide: INGEST_CONFIG, useValue: config },
        {
          provide: IngestService,
          inject: [EVENT_LOG],
          useFactory: (log: EventLog) => new IngestService(log, config.INGEST_MAX_BATCH),
        },
        ApiKeyGuard,
      ],
    };
  }
}

/** Body parsers ingest needs: JSON and NDJSON, both size-limited. Call before listen. */
export function configureIngestHttp(app: INestApplication, config: IngestConfig): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { limit: config.INGEST_MAX_BODY_BYTES });
  express.useBodyParser('text', {
    type: ['application/x-ndjson', 'application/ndjson'],
    limit: config.INGEST_MAX_BODY_BYTES,
  });
}
