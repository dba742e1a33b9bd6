import { Logger, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { EventLog } from '@vgpu-twin/event-log';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogConfigSchema, loadConfig, type LogConfig } from './config';
import { openEventLog } from './event-log';
import { LoggingModule, loggingOptions, routeOf, serviceLogName, ServiceLogger } from './logging';
import { DomainErrorFilter, EventLogModule, METRICS } from './nest';
import { setupOpenApi } from './openapi';
import type { Metrics } from './metrics';
import type { Request, Response, NextFunction } from 'express';
import type { DestinationStream } from 'pino';

/** The HTTP API's version, as in its `/v1` paths (the OpenAPI document's `info.version`). */
const API_VERSION = '1';

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
  /** Where the service's log lines go (tests); default stdout. */
  readonly logTo?: DestinationStream;
  /** Where the banner goes once the service listens; default stdout (a pool worker tells its primary). */
  readonly announce?: (banner: string, port: number) => void;
}

/** Opens the configured log, composes the modules into one Nest app and listens. */
export async function bootService(
  def: ServiceDefinition,
  env: NodeJS.ProcessEnv = process.env,
): Promise<INestApplication> {
  const logConfig = loadConfig(LogConfigSchema, env);
  const logging = loggingOptions(serviceLogName(def.name), logConfig, env, def.logTo);
  const log = await openEventLog(logConfig).catch((e: unknown) => {
    throw new Error(`cannot open the event log (${describeLog(logConfig)}): ${messageOf(e)}`);
  });
  const infrastructure = EventLogModule.forLog(log, { readyMaxLag: logConfig.HEALTH_READY_MAX_LAG });
  @Module({ imports: [LoggingModule.forRoot(logging), infrastructure, ...def.modules(log, logConfig)] })
  class ServiceApp {}
  Object.defineProperty(ServiceApp, 'name', { value: `${def.name}App` });
  const app = await NestFactory.create(ServiceApp, {
    bodyParser: def.bodyParser ?? true,
    // Nest logs a failing provider's error, stack and all, before rethrowing it. Its lines wait in
    // a buffer until the app listens, and are dropped if it does not: the caller says why in one line.
    bufferLogs: true,
    autoFlushLogs: false,
    abortOnError: false,
  }).catch((e: unknown) => bootFailed(e, () => log.close()));
  countRequests(app, app.get<Metrics>(METRICS), def.name.toLowerCase());
  def.configure?.(app);
  app.useGlobalFilters(new DomainErrorFilter());
  if (def.shutdownHooks ?? true) app.enableShutdownHooks();
  setupOpenApi(app, { title: `vgpu-twin (${def.name})`, version: API_VERSION });
  await app.listen(def.port, '0.0.0.0').catch((e: unknown) => bootFailed(listenError(def.port, e)));
  app.useLogger(app.get(ServiceLogger));
  app.flushLogs();
  const port = listeningPort(app);
  const url = `http://localhost:${port}`;
  // The banner is for whoever started the process (where to point a browser), whatever LOG_LEVEL
  // says: plain lines on stdout. A JSON log also gets the fact as a line of its own.
  const banner = def.banner(url, logConfig);
  if (def.announce) def.announce(banner, port);
  else process.stdout.write(`${banner}\n`);
  if (logging.format === 'json') new Logger(def.name).log({ url, port }, `listening on ${url}`);
  return app;
}

/** The TCP port an app listens on (useful after listening on port 0). */
export function listeningPort(app: INestApplication): number {
  return ((app.getHttpServer() as Server).address() as AddressInfo).port;
}

/** Entry-point wrapper: a configuration or start-up error prints one clear message and exits 1. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${oneLine(messageOf(e))}\n`);
    process.exit(1);
  });
}

/** Counts and times every HTTP request by its route pattern (not its path: ids stay out of labels). */
export function countRequests(app: INestApplication, metrics: Metrics, service: string): void {
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const labels = { service, method: req.method, route: routeOf(req) };
      metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
      metrics.httpSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });
}

/** A start-up error's message on one line (a schema's or a parser's may span several). */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('; ');
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

function describeLog(c: LogConfig): string {
  return c.EVENT_LOG === 'kafka'
    ? `EVENT_LOG=kafka, KAFKA_BROKERS=${c.KAFKA_BROKERS}`
    : `EVENT_LOG=embedded, VGPU_TWIN_DATA_DIR=${c.VGPU_TWIN_DATA_DIR}`;
}

function listenError(port: number, e: unknown): Error {
  return new Error(`cannot listen on port ${port}: ${messageOf(e)}`);
}

/** Drops the failed boot's buffered Nest lines (after `cleanup`) and rethrows its error. */
async function bootFailed(e: unknown, cleanup?: () => Promise<unknown>): Promise<never> {
  await cleanup?.().catch(() => undefined);
  // Nest has no public way to empty the buffer without printing it.
  (Logger as unknown as { logBuffer: unknown[] }).logBuffer.length = 0;
  Logger.detachBuffer();
  throw e;
}
