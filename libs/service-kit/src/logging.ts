import { Global, Logger as NestLogger, Module, type DynamicModule } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Logger, LoggerModule, PinoLogger, type Params } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type LevelWithSilent } from 'pino';
import type { Options } from 'pino-http';
import pretty from 'pino-pretty';
import { loadConfig, LoggingConfigSchema, type LoggingConfig, type LogLevel } from './config';

export interface LoggingOptions {
  /** The `service` field of every line: ingest, twin, notifier, vgpu-twin. */
  readonly service: string;
  readonly level: LogLevel;
  readonly format: 'json' | 'pretty';
  /** Values no line may contain (API keys, tokens): each is replaced by `[Redacted]`. */
  readonly secrets: readonly string[];
  /** Where lines go; default stdout. */
  readonly destination?: DestinationStream;
}

/** The `service` field for a service definition's name: `VgpuTwin` → `vgpu-twin`, `Twin` → `twin`. */
export function serviceLogName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** The settings whose values are credentials, wherever in the process they end up being printed. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const secrets = [
    ...(env.INGEST_API_KEYS ?? '').split(','),
    env.NOTIFIER_TOKEN ?? '',
    env.SIM_API_KEY ?? '',
    databasePassword(env.DATABASE_URL),
  ];
  return [...new Set(secrets.map((s) => s.trim()).filter((s) => s.length > 0))];
}

function databasePassword(url: string | undefined): string {
  try {
    return url ? decodeURIComponent(new URL(url).password) : '';
  } catch {
    return '';
  }
}

export function loggingOptions(
  service: string,
  config: LoggingConfig,
  env: NodeJS.ProcessEnv = process.env,
  destination?: DestinationStream,
): LoggingOptions {
  return {
    service,
    level: config.LOG_LEVEL,
    format: config.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    secrets: secretValues(env),
    ...(destination ? { destination } : {}),
  };
}

/** A client's `X-Request-Id` is kept when it is short and plain; anything else gets a fresh UUID. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(sent: string | string[] | undefined): string {
  return typeof sent === 'string' && CLIENT_REQUEST_ID.test(sent) ? sent : randomUUID();
}

/** Query parameters that carry credentials (the dashboard's `?token=`, `?key=` and the like). */
const SECRET_QUERY = /([?&](?:token|key|api[_-]?key|access[_-]?token)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[Redacted]');
}

/** Belt and braces for the serializers below, which already leave headers and queries out. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.query.token',
  'req.query.key',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
];

/** Replaces every secret value in a serialized line (as it appears inside a JSON string). */
export function scrubber(secrets: readonly string[]): (line: string) => string {
  const escaped = secrets.map((s) => JSON.stringify(s).slice(1, -1));
  if (escaped.length === 0) return (line) => line;
  return (line) => escaped.reduce((out, s) => out.split(s).join('[Redacted]'), line);
}

/** The catch-all that nestjs-pino mounts its middleware on: a request that matched only it matched no route. */
const MIDDLEWARE_WILDCARD = '{/*splat}';

/** The route pattern a request matched (`/v1/sources/:id`), not its path: ids stay out of it. */
export function routeOf(req: Request): string {
  const routePath = (req.route as { path?: string } | undefined)?.path;
  return routePath === undefined || routePath === MIDDLEWARE_WILDCARD
    ? 'unmatched'
    : `${req.baseUrl}${routePath}`;
}

/** Scraped and probed every few seconds: their successes are debug, not info. */
const QUIET_ROUTES = /^\/(metrics|health\/(live|ready))$/;

function requestLevel(req: Request, res: ServerResponse, err?: Error): LevelWithSilent {
  if (err || res.statusCode >= 500) return 'error';
  if (res.statusCode >= 400) return 'warn';
  return QUIET_ROUTES.test(routeOf(req)) ? 'debug' : 'info';
}

/** pino's and pino-http's options: one concise line per request, request ids, nothing secret. */
export function pinoHttpOptions(
  opts: LoggingOptions,
): [Options<IncomingMessage, ServerResponse>, DestinationStream] {
  const http: Options<Request, Response> = {
    level: opts.level,
    base: { service: opts.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    hooks: { streamWrite: scrubber(opts.secrets) },
    serializers: {
      req: (r: { id: unknown; method: string; url: string }) => ({
        id: r.id,
        method: r.method,
        url: redactUrl(r.url),
      }),
      res: (r: { statusCode: number }) => ({ statusCode: r.statusCode }),
    },
    genReqId: (req, res) => {
      const id = requestId(req.headers['x-request-id']);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: requestLevel,
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customSuccessObject: (req, _res, val: object) => ({ ...val, route: routeOf(req) }),
    // The request line says what failed; the error itself is logged, once, by whoever caught it.
    customErrorObject: (req, _res, _err, val: { res: unknown; responseTime: number }) => ({
      res: val.res,
      responseTime: val.responseTime,
      route: routeOf(req),
    }),
  };
  return [http as Options<IncomingMessage, ServerResponse>, destinationFor(opts)];
}

function destinationFor(opts: LoggingOptions): DestinationStream {
  if (opts.format === 'json') return opts.destination ?? pino.destination({ dest: 1, sync: true });
  return pretty({
    destination: opts.destination ?? 1,
    sync: true,
    colorize: opts.destination === undefined && process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // A person at a terminal reads `GET /v1/twin/status 200 3 ms`; the request's fields are the JSON's.
    ignore: 'pid,hostname,service,context,req,res,route,responseTime',
    messageFormat: (line, messageKey) => {
      const context = typeof line.context === 'string' ? `[${line.context}] ` : '';
      const took = typeof line.responseTime === 'number' ? ` ${line.responseTime} ms` : '';
      return `${context}${String(line[messageKey])}${took}`;
    },
  });
}

/** Nest's start-up chatter (each module, route and gateway it wires) is debug, not info. */
const NEST_BOOT_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'WebSocketsController',
]);

/** nestjs-pino's Nest logger: `new Logger('Twin').warn(…)` anywhere becomes a structured line. */
export class ServiceLogger extends Logger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && NEST_BOOT_CONTEXTS.has(context)) {
      this.debug(message, ...optionalParams);
    } else {
      super.log(message, ...optionalParams);
    }
  }
}

/**
 * pino for one service (one per process: nestjs-pino keeps a single root logger, so the first
 * service set up in a process decides the format and destination of every line).
 */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(opts: LoggingOptions): DynamicModule {
    const params: Params = { pinoHttp: pinoHttpOptions(opts) };
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot(params)],
      providers: [
        {
          provide: ServiceLogger,
          inject: [PinoLogger],
          useFactory: (pinoLogger: PinoLogger) => new ServiceLogger(pinoLogger, params),
        },
      ],
      exports: [ServiceLogger],
    };
  }
}

/** The same lines for a process that is not a Nest app (the standalone simulator). */
export function useStandaloneLogging(service: string, env: NodeJS.ProcessEnv = process.env): void {
  const params: Params = {
    pinoHttp: pinoHttpOptions(loggingOptions(service, loadConfig(LoggingConfigSchema, env), env)),
  };
  NestLogger.overrideLogger(new ServiceLogger(new PinoLogger(params), params));
}
