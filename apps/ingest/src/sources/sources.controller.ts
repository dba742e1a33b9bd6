import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  Headers,
  Inject,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiZodBody, ApiZodQuery, ApiZodResponse, ErrorBody } from '@vgpu-twin/service-kit';
import { TELEMETRY_FORMATS, type TelemetryFormat } from '@vgpu-twin/telemetry-formats';
import { ValidationError } from '@vgpu-twin/contracts';
import type { Response } from 'express';
import { z } from 'zod';
import { ApiKeyGuard, ApiKeyResponses, scopeOf } from '../auth/api-key.guard';
import { INGEST_CONFIG } from '../tokens';
import type { IngestConfig } from '../config';
import { decodeRemoteWrite } from './remote-write';
import { Scraper } from './scraper';
import { TelemetrySources, type SourceResult } from './telemetry-sources';

const ImportQuery = z.object({
  format: z
    .enum(['auto', ...TELEMETRY_FORMATS])
    .optional()
    .describe("the capture's format (default auto: detected)"),
  host: z.string().optional().describe('the host the capture comes from; required for `nvidia-smi vgpu -q`'),
  cluster: z
    .string()
    .optional()
    .describe("the cluster of hosts it discovers (default INGEST_CLUSTER, or the key's)"),
  at: z.string().optional().describe('when the capture was taken, ISO-8601 (default: now)'),
});
const Imported = z.object({
  format: z.enum(TELEMETRY_FORMATS),
  readings: z.number().int(),
  accepted: z.object({ inventory: z.number().int(), telemetry: z.number().int() }),
  problems: z.array(z.object({ line: z.number().int(), field: z.string().optional(), message: z.string() })),
  warnings: z.array(z.string()),
});
const ImportRejected = z.union([Imported.extend({ error: z.string() }), ErrorBody]);
const Status = z.looseObject({ lastError: z.string().nullable() });
const SourcesStatus = z.object({
  scrape: z.object({
    intervalMs: z.number(),
    timeoutMs: z.number(),
    targets: z.array(Status.extend({ url: z.string(), lastSuccessAt: z.string().nullable() })),
  }),
  remoteWrite: Status.extend({ requests: z.number(), samples: z.number(), lastAt: z.string().nullable() }),
  agents: z.array(z.looseObject({ host: z.string(), lastSeenAt: z.string(), buffered: z.number() })),
});

/** Real telemetry sources: capture imports (and the host agent), Prometheus remote write, scrape status. */
@ApiTags('sources')
@Controller()
export class SourcesController {
  constructor(
    private readonly sources: TelemetrySources,
    private readonly scraper: Scraper,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  @ApiOperation({
    summary: 'Import a capture: dcgm-exporter or Prometheus text, nvidia-smi CSV or XML, nvidia-smi vgpu -q',
  })
  @ApiConsumes('text/plain', 'text/csv', 'application/xml', 'application/openmetrics-text')
  @ApiZodBody(z.string(), 'the capture, as text')
  @ApiZodQuery(ImportQuery)
  @ApiHeader({
    name: 'X-Vgpu-Agent-Buffer',
    required: false,
    description: "the host agent's `dropped/buffered`",
  })
  @ApiZodResponse(202, Imported, 'read; its readings recorded')
  @ApiZodResponse(400, ImportRejected, 'problems, each named by line; the valid readings were still recorded')
  @ApiKeyResponses()
  @ApiZodResponse(403, ErrorBody, 'the key may not write that cluster')
  @Post('v1/import')
  @UseGuards(ApiKeyGuard)
  async import(
    @Body() body: unknown,
    @Query() rawQuery: Record<string, unknown>,
    @Headers('x-vgpu-agent-buffer') agentBuffer: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const query = singleValued(rawQuery, ['format', 'host', 'cluster', 'at']);
    if (typeof body !== 'string' || body.length === 0)
      throw new ValidationError('send the capture as the request body, as text (Content-Type: text/plain)');
    const format = query.format ?? 'auto';
    if (format !== 'auto' && !(TELEMETRY_FORMATS as readonly string[]).includes(format))
      throw new ValidationError(
        `unknown format '${format}'; expected auto or one of: ${TELEMETRY_FORMATS.join(', ')}`,
      );
    const atMs = query.at === undefined ? Date.now() : Date.parse(query.at);
    if (!Number.isFinite(atMs)) throw new ValidationError(`at: '${query.at}' is not an ISO-8601 time`);
    const host = query.host?.trim() || null;
    if (host !== null && agentBuffer !== undefined) {
      const [dropped = 0, buffered = 0] = agentBuffer.split('/').map(Number);
      this.sources.agentSeen(host, Date.now(), { dropped, buffered });
    }
    const scope = scopeOf(res.req);
    const cluster = query.cluster?.trim() || (scope.all ? this.config.INGEST_CLUSTER : scope.clusters[0]!);
    if (!scope.all && !scope.clusters.includes(cluster))
      throw new ForbiddenException(
        `this key (${scope.keyId}) writes cluster ${scope.clusters.join(', ')}, not ${cluster}`,
      );
    const result = await this.sources.capture(body, {
      scope,
      format: format as TelemetryFormat | 'auto',
      host,
      cluster,
      atMs,
      atIsCaptureTime: query.at !== undefined,
      source: host !== null && agentBuffer !== undefined ? `agent:${host}` : 'import',
    });
    answer(res, result, 202);
  }

  /** Prometheus remote write 1.0 (`remote_write: [{url: http://…/api/v1/write}]`). */
  @ApiOperation({ summary: 'Prometheus remote write 1.0: dcgm-exporter series and progress metrics' })
  @ApiConsumes('application/x-protobuf')
  @ApiBody({ description: 'a snappy-compressed WriteRequest', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 204, description: 'recorded' })
  @ApiZodResponse(400, ImportRejected, 'problems, each named; the valid readings were still recorded')
  @ApiKeyResponses()
  @Post('api/v1/write')
  @UseGuards(ApiKeyGuard)
  async remoteWrite(@Body() body: unknown, @Res() res: Response): Promise<void> {
    if (!Buffer.isBuffer(body) || body.length === 0)
      throw new ValidationError(
        'remote write: send a snappy-compressed WriteRequest (Content-Type: application/x-protobuf)',
      );
    const result = await this.sources.remoteWrite(decodeRemoteWrite(body), Date.now(), scopeOf(res.req));
    answer(res, result, 204);
  }

  @ApiOperation({ summary: 'Scrape targets, remote write and host agents: what each last did' })
  @ApiZodResponse(200, SourcesStatus, 'the status of each source')
  @Get('v1/sources')
  sourcesStatus(): object {
    return {
      scrape: {
        intervalMs: this.config.INGEST_SCRAPE_INTERVAL_MS,
        timeoutMs: this.config.INGEST_SCRAPE_TIMEOUT_MS,
        targets: this.scraper.status(),
      },
      ...this.sources.status(),
    };
  }
}

/** The named query parameters, each given at most once (`?host=a&host=b` is a 400, not a guess). */
function singleValued(
  query: Record<string, unknown>,
  names: readonly string[],
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of names) {
    const v = query[name];
    if (v !== undefined && typeof v !== 'string')
      throw new ValidationError(`query parameter '${name}' must be given once, as text`);
    out[name] = v;
  }
  return out;
}

/** Valid readings are kept either way; problems make it a 400 that names each (as the JSON ingest does). */
function answer(res: Response, result: SourceResult, ok: number): void {
  if (result.problems.length === 0) {
    if (ok === 204) res.status(204).end();
    else res.status(ok).json(result);
    return;
  }
  res.status(400).json({
    error:
      `${result.problems.length} problem(s) in the input; ${result.readings} reading(s) read, ` +
      `${result.accepted.telemetry} telemetry and ${result.accepted.inventory} inventory event(s) recorded`,
    ...result,
  });
}
