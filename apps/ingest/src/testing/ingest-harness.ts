import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  decodeRecords,
  DomainErrorFilter,
  EventLogModule,
  listeningPort,
  loadConfig,
} from '@vgpu-twin/service-kit';
import type { DomainEvent } from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import { createServer } from 'node:net';
import { IngestConfigSchema } from '../config';
import { configureIngestHttp, IngestModule } from '../ingest.module';

/** Boots the ingest module alone over HTTP on `log` (the services' own wiring, no other module). */
export async function bootIngest(
  log: EventLog,
  env: NodeJS.ProcessEnv = {},
  port = 0,
  options: { dataDir?: string; internalKeys?: readonly string[] } = {},
): Promise<{ app: INestApplication; base: string }> {
  const config = loadConfig(IngestConfigSchema, env);
  @Module({ imports: [EventLogModule.forLog(log), IngestModule.forRoot(config, options)] })
  class TestApp {}
  const app = await NestFactory.create(TestApp, { bodyParser: false, logger: false });
  configureIngestHttp(app, config);
  app.useGlobalFilters(new DomainErrorFilter());
  await app.listen(port, '127.0.0.1');
  return { app, base: `http://127.0.0.1:${listeningPort(app)}` };
}

/** Every event of a stream, decoded, in partition then offset order. */
export async function eventsIn(log: EventLog, stream: string): Promise<DomainEvent[]> {
  const ends = await log.endOffsets(stream);
  const records = (await Promise.all(ends.map((e) => log.read(stream, e.partition, 0, 100_000)))).flat();
  return decodeRecords(records).events.map((d) => d.event);
}

/** A TCP port nothing listens on right now (for a service that cannot be told to pick one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
