import {
  Catch,
  Controller,
  Get,
  HttpException,
  Inject,
  Logger,
  Module,
  Res,
  type ArgumentsHost,
  type DynamicModule,
  type ExceptionFilter,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { IllegalStateError, NotFoundError, ValidationError } from '@vgpu-twin/contracts';
import { LogUnavailableError, type EventLog } from '@vgpu-twin/event-log';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { HealthChecks } from './health';
import { Metrics } from './metrics';
import { ApiZodResponse, ErrorBody } from './openapi';

/** Injection token of the process's one EventLog. */
export const EVENT_LOG = Symbol('EVENT_LOG');

class EventLogCloser implements OnApplicationShutdown {
  constructor(private readonly log: EventLog) {}
  async onApplicationShutdown(): Promise<void> {
    await this.log.close();
  }
}

/** Injection tokens of the process's one Metrics registry and readiness checks. */
export const METRICS = Symbol('METRICS');
export const HEALTH = Symbol('HEALTH');

const Live = z.object({ status: z.literal('ok') });
const Readiness = z.object({
  status: z.enum(['ready', 'not ready']),
  checks: z.record(z.string(), z.string()).describe('each check: `ok`, or what is wrong'),
});

/** `/metrics` (Prometheus text), `/health/live` and `/health/ready`, on every service. */
@ApiTags('observability')
@Controller()
class ObservabilityController {
  constructor(
    @Inject(METRICS) private readonly metrics: Metrics,
    @Inject(HEALTH) private readonly health: HealthChecks,
  ) {}

  @ApiOperation({
    summary:
      'Prometheus metrics of this process (of the whole pool, in a worker pool), in the text exposition format',
  })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'the metrics', schema: { type: 'string' } })
  @ApiZodResponse(503, ErrorBody, 'a worker of the pool did not answer')
  @Get('metrics')
  async scrape(@Res() res: Response): Promise<void> {
    let text: string;
    try {
      text = await this.metrics.exposition();
    } catch (e) {
      // a pool worker's primary did not answer, or a worker did not answer it
      res.status(503).json({ error: `metrics unavailable: ${(e as Error).message}` });
      return;
    }
    res.setHeader('content-type', this.metrics.registry.contentType);
    res.end(text);
  }

  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiZodResponse(200, Live, 'alive')
  @Get('health/live')
  live(): z.infer<typeof Live> {
    return { status: 'ok' };
  }

  @ApiOperation({ summary: 'Readiness: the log, the stores and the consumer groups are fine' })
  @ApiZodResponse(200, Readiness, 'ready')
  @ApiZodResponse(503, Readiness, 'not ready; the checks say why')
  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const r = await this.health.readiness();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
  }
}

export interface ProcessOptions {
  /** A consumer group further behind than this (records) makes the process not ready. */
  readonly readyMaxLag?: number;
  readonly readyTimeoutMs?: number;
}

/**
 * The process's infrastructure, global to every module: one already-open EventLog (closed on
 * shutdown), one Metrics registry and the readiness checks, with `/metrics` and `/health/*`.
 */
@Module({})
export class EventLogModule {
  static forLog(log: EventLog, options: ProcessOptions = {}): DynamicModule {
    const metrics = new Metrics();
    const health = new HealthChecks(log, metrics, {
      maxLag: options.readyMaxLag ?? 10_000,
      timeoutMs: options.readyTimeoutMs ?? 2_000,
    });
    return {
      module: EventLogModule,
      global: true,
      controllers: [ObservabilityController],
      providers: [
        { provide: EVENT_LOG, useValue: log },
        { provide: METRICS, useValue: metrics },
        { provide: HEALTH, useValue: health },
        { provide: EventLogCloser, useFactory: () => new EventLogCloser(log) },
      ],
      exports: [EVENT_LOG, METRICS, HEALTH],
    };
  }
}

/** Maps domain errors to HTTP: 400 for bad input, 404, 409, 503 while the log is down. */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (error instanceof HttpException) {
      // Nest wraps body-parser failures (bad JSON, too large) in an HttpException carrying the cause.
      const cause = error.cause;
      const body = error.getResponse();
      const message = isBodyParserError(cause)
        ? bodyParserMessage(cause)
        : typeof body === 'string'
          ? body
          : messageOf((body as { message?: unknown }).message, error.message);
      res.status(error.getStatus()).json({ error: message });
    } else if (error instanceof ValidationError) {
      res.status(400).json({ error: error.message, issues: error.issues });
    } else if (error instanceof NotFoundError) {
      res.status(404).json({ error: error.message });
    } else if (error instanceof IllegalStateError) {
      res.status(409).json({ error: error.message });
    } else if (error instanceof LogUnavailableError) {
      res
        .status(503)
        .setHeader('Retry-After', '1')
        .json({ error: `event log unavailable: ${error.message}; retry later` });
    } else if (isBodyParserError(error)) {
      res.status(error.status).json({ error: bodyParserMessage(error) });
    } else {
      new Logger(DomainErrorFilter.name).error(error);
      res.status(500).json({ error: 'internal error' });
    }
  }
}

function messageOf(m: unknown, fallback: string): string {
  if (typeof m === 'string') return m;
  if (Array.isArray(m)) return m.map((x) => String(x)).join('; ');
  return fallback;
}

interface BodyParserError {
  type: string;
  status: number;
  message: string;
  limit?: number;
}
function isBodyParserError(e: unknown): e is BodyParserError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as BodyParserError).type === 'string' &&
    typeof (e as BodyParserError).status === 'number'
  );
}
function bodyParserMessage(e: BodyParserError): string {
  if (e.type === 'entity.parse.failed') return `malformed JSON body: ${e.message}`;
  if (e.type === 'entity.too.large')
    return `request body too large (limit ${e.limit ?? '?'} bytes); split the batch`;
  return e.message;
}
