import {
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type INestApplication,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { EVENT_LOG, METRICS, type Metrics } from '@vgpu-twin/service-kit';
import type { EventLog } from '@vgpu-twin/event-log';
import { ApiKeyGuard, type InternalKeys } from './auth/api-key.guard';
import type { IngestConfig } from './config';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';
import { INGEST_CONFIG, INGEST_KEYS, INVENTORY_VIEW } from './tokens';
import { openDataSource, ApiKeyRepository } from '@vgpu-twin/persistence';
import { join } from 'node:path';
import { CachedKeyStore } from './auth/key-store';
import { EMPTY_MAPPING, parseMapping, type TelemetryMapping } from '@vgpu-twin/telemetry-formats';
import type { Request } from 'express';
import { readFileSync } from 'node:fs';
import getRawBody from 'raw-body';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { InventoryView } from './sources/inventory-view';
import { Scraper } from './sources/scraper';
import { SourcesController } from './sources/sources.controller';
import { TelemetrySources } from './sources/telemetry-sources';

/** Starts and stops the scrape timers with the application. */
@Injectable()
class ScrapeLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(Scraper) private readonly scraper: Scraper) {}
  onApplicationBootstrap(): void {
    this.scraper.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.scraper.stop();
  }
}

/** The stored API keys: `keys.sqlite` under the data folder, PostgreSQL (DATABASE_URL), or none. */
export async function openKeyStoreRepository(
  config: IngestConfig,
  dataDir: string,
): Promise<ApiKeyRepository> {
  switch (config.INGEST_KEY_STORE) {
    case 'none':
      throw new Error('INGEST_KEY_STORE=none: there is no key store (set sqlite or postgres)');
    case 'sqlite':
      return new ApiKeyRepository(
        await openDataSource({ type: 'sqlite', file: join(dataDir, 'keys.sqlite') }),
      );
    case 'postgres':
      if (!config.DATABASE_URL) throw new Error('INGEST_KEY_STORE=postgres needs DATABASE_URL');
      return new ApiKeyRepository(await openDataSource({ type: 'postgres', url: config.DATABASE_URL }));
    default: {
      const _exhaustive: never = config.INGEST_KEY_STORE;
      return _exhaustive;
    }
  }
}

async function openKeyStore(
  config: IngestConfig,
  dataDir: string | undefined,
): Promise<CachedKeyStore | null> {
  if (config.INGEST_KEY_STORE === 'none' || (config.INGEST_KEY_STORE === 'sqlite' && dataDir === undefined))
    return null;
  return new CachedKeyStore(await openKeyStoreRepository(config, dataDir ?? ''));
}

class KeyStoreCloser implements OnApplicationShutdown {
  constructor(private readonly store: CachedKeyStore | null) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store?.close();
  }
}

/** Reads the mapping file at boot: a bad one stops the start with one line naming the file and path. */
function loadMapping(file: string | undefined): TelemetryMapping {
  if (file === undefined) return EMPTY_MAPPING;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(
      `INGEST_MAPPING_FILE: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return parseMapping(text, `INGEST_MAPPING_FILE ${file}`);
}

@Module({})
export class IngestModule {
  /**
   * `dataDir` holds the embedded key store (`keys.sqlite`); `internalKeys` are keys the process
   * gives itself (the all-in-one's own simulator).
   */
  static forRoot(
    config: IngestConfig,
    options: { dataDir?: string; internalKeys?: readonly string[] } = {},
  ): DynamicModule {
    const mapping = loadMapping(config.INGEST_MAPPING_FILE);
    return {
      module: IngestModule,
      controllers: [IngestController, SourcesController],
      providers: [
        { provide: INGEST_CONFIG, useValue: config },
        {
          provide: INVENTORY_VIEW,
          inject: [EVENT_LOG],
          useFactory: (log: EventLog) => new InventoryView(log),
        },
        {
          provide: INGEST_KEYS,
          useFactory: async () => ({
            store: await openKeyStore(config, options.dataDir),
            internal: { keys: options.internalKeys ?? [] } satisfies InternalKeys,
          }),
        },
        {
          provide: KeyStoreCloser,
          inject: [INGEST_KEYS],
          useFactory: (k: { store: CachedKeyStore | null }) => new KeyStoreCloser(k.store),
        },
        {
          provide: IngestService,
          inject: [EVENT_LOG, METRICS, INVENTORY_VIEW],
          useFactory: (log: EventLog, metrics: Metrics, view: InventoryView) =>
            new IngestService(log, config.INGEST_MAX_BATCH, metrics, view, config.INGEST_PACK_MAX_EVENTS),
        },
        ApiKeyGuard,
        ThrottlerStorageService,
        {
          provide: TelemetrySources,
          inject: [EVENT_LOG, METRICS, INVENTORY_VIEW],
          useFactory: (log: EventLog, metrics: Metrics, view: InventoryView) => {
            const logger = new Logger('Ingest');
            return new TelemetrySources(
              log,
              view,
              mapping,
              (w) => logger.warn(w),
              metrics,
              config.INGEST_PACK_MAX_EVENTS,
            );
          },
        },
        {
          provide: Scraper,
          inject: [TelemetrySources],
          useFactory: (sources: TelemetrySources) =>
            new Scraper(config.INGEST_SCRAPE_TARGETS, sources, {
              intervalMs: config.INGEST_SCRAPE_INTERVAL_MS,
              timeoutMs: config.INGEST_SCRAPE_TIMEOUT_MS,
              maxBackoffMs: config.INGEST_SCRAPE_MAX_BACKOFF_MS,
              cluster: config.INGEST_CLUSTER,
            }),
        },
        ScrapeLifecycle,
      ],
    };
  }
}

/** Body parsers ingest needs: JSON and NDJSON, both size-limited. Call before listen. */
export function configureIngestHttp(app: INestApplication, config: IngestConfig): void {
  const express = app as NestExpressApplication;
  // Remote write sends `Content-Encoding: snappy`, which body-parser refuses (415): the body is
  // read as bytes here, size-limited, and decompressed by the handler.
  express.use('/api/v1/write', (req: Request, _res: unknown, next: (e?: unknown) => void) => {
    if (req.method !== 'POST') return next();
    getRawBody(req, { limit: config.INGEST_MAX_BODY_BYTES }).then((body) => {
      (req as Request & { body: Buffer }).body = body;
      next();
    }, next);
  });
  express.useBodyParser('json', { limit: config.INGEST_MAX_BODY_BYTES });
  express.useBodyParser('text', {
    type: ['application/x-ndjson', 'application/ndjson'],
    limit: config.INGEST_MAX_BODY_BYTES,
  });
  // captures for /v1/import (Prometheus text, CSV, XML, nvidia-smi text)
  express.useBodyParser('text', {
    type: ['text/*', 'application/xml', 'application/csv', 'application/openmetrics-text'],
    limit: config.INGEST_MAX_BODY_BYTES,
  });
}
