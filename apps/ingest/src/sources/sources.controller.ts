import { Body, Controller, Get, Headers, Inject, Post, Query, Res, UseGuards } from '@nestjs/common';
import { TELEMETRY_FORMATS, type TelemetryFormat } from '@vgpu-twin/telemetry-formats';
import { ValidationError } from '@vgpu-twin/contracts';
import type { Response } from 'express';
import { ApiKeyGuard } from '../api-key.guard';
import { INGEST_CONFIG } from '../tokens';
import type { IngestConfig } from '../config';
import { decodeRemoteWrite } from './remote-write';
import { Scraper } from './scraper';
import { TelemetrySources, type SourceResult } from './telemetry-sources';

/** Real telemetry sources: capture imports (and the host agent), Prometheus remote write, scrape status. */
@Controller()
export class SourcesController {
  constructor(
    private readonly sources: TelemetrySources,
    private readonly scraper: Scraper,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  @Post('v1/import')
  @UseGuards(ApiKeyGuard)
  async import(
    @Body() body: unknown,
    @Query() query: Record<string, string | undefined>,
    @Headers('x-vgpu-agent-buffer') agentBuffer: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
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
    const result = await this.sources.capture(body, {
      format: format as TelemetryFormat | 'auto',
      host,
      cluster: query.cluster?.trim() || this.config.INGEST_CLUSTER,
      atMs,
      atIsCaptureTime: query.at !== undefined,
      source: host !== null && agentBuffer !== undefined ? `agent:${host}` : 'import',
    });
    answer(res, result, 202);
  }

  /** Prometheus remote write 1.0 (`remote_write: [{url: http://…/api/v1/write}]`). */
  @Post('api/v1/write')
  @UseGuards(ApiKeyGuard)
  async remoteWrite(@Body() body: unknown, @Res() res: Response): Promise<void> {
    if (!Buffer.isBuffer(body) || body.length === 0)
      throw new ValidationError(
        'remote write: send a snappy-compressed WriteRequest (Content-Type: application/x-protobuf)',
      );
    const result = await this.sources.remoteWrite(decodeRemoteWrite(body), Date.now());
    answer(res, result, 204);
  }

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
