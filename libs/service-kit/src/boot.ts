import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { EventLog } from '@vgpu-twin/event-log';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogConfigSchema, loadConfig, type LogConfig } from './config';
import { openEventLog } from './event-log';
import { DomainErrorFilter, EventLogModule, METRICS } from './nest';
import type { Metrics } from './metrics';
import type { Request, Response, NextFunction } from 'express';

export interface ServiceDefinition {
  readonly name: string;
  readonly port: number;
  readonly modules: (log: EventLog, logConfig: LogConfig) => DynamicModule[];
  /** Body parsers etc. that must be set before listening. */
  readonly configure?: (app: INestApplication) => void;
  /** The line printed once the service listens. */
  readonly banner: (url: string, logConfig: LogConfig) => string;
  /** Nest's own parsers; false when `configure` installs them. */
  readonly bodyParser?: boolean;
  /** Let Nest close the app on SIGTERM/SIGINT (and re-raise the signal). Off when the caller handles signals. */
  readonly shutdownHooks?: boolean;
}

/** Opens the configured log, composes the modules into one Nest app and listens. */
export async function bootService(
  def: ServiceDefinition,
  env: NodeJS.ProcessEnv = process.env,
): Promise<INestApplication> {
  const logConfig = loadConfig(LogConfigSchema, env);
  const log = await openEventLog(logConfig);
  const infrastructure = EventLogModule.forLog(log, { readyMaxLag: logConfig.HEALTH_READY_MAX_LAG });
  @Module({ imports: [infrastructure, ...def.modules(log, logConfig)] })
  class ServiceApp {}
  Object.defineProperty(ServiceApp, 'name', { value: `${def.name}App` });
  const app = await NestFactory.create(ServiceApp, {
    bodyParser: def.bodyParser ?? true,
    logger: ['error', 'warn'],
  });
  countRequests(app, app.get<Metrics>(METRICS), def.name.toLowerCase());
  def.configure?.(app);
  app.useGlobalFilters(new DomainErrorFilter());
  if (def.shutdownHooks ?? true) app.enableShutdownHooks();
  await app.listen(def.port, '0.0.0.0');
  const port = listeningPort(app);
  console.log(def.banner(`http://localhost:${port}`, logConfig));
  return app;
}

/** The TCP port an app listens on (useful after listening on port 0). */
export function listeningPort(app: INestApplication): number {
  return ((app.getHttpServer() as Server).address() as AddressInfo).port;
}

/** Entry-point wrapper: a configuration or start-up error prints one clear message and exits 1. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

/** Counts and times every HTTP request by its route pattern (not its path: ids stay out of labels). */
export function countRequests(app: INestApplication, metrics: Metrics, service: string): void {
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = routePath === undefined ? 'unmatched' : `${req.baseUrl}${routePath}`;
      const labels = { service, method: req.method, route };
      metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
      metrics.httpSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });
}
