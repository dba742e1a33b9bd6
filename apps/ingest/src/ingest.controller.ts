import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Streams, inventorySchemas, telemetrySchemas } from '@vgpu-twin/contracts';
import { ApiZodBody, ApiZodResponse, EVENT_LOG, ErrorBody, FieldIssueBody } from '@vgpu-twin/service-kit';
import type { EventLog } from '@vgpu-twin/event-log';
import type { Response } from 'express';
import { z } from 'zod';
import { ApiKeyGuard, ApiKeyResponses, scopeOf } from './auth/api-key.guard';
import { IngestService, type IngestKind, type IngestResult } from './ingest.service';

/** A batch as ingest reads it: contract events, less what ingest stamps (`id`, `source`, `version`). */
function batchOf(schemas: readonly z.ZodObject[]) {
  const event = z.union(schemas.map((s) => s.partial({ id: true, source: true, version: true })));
  return z.union([z.array(event), z.object({ events: z.array(event) })]);
}
const Accepted = z.object({
  accepted: z.number().int(),
  rejected: z.array(
    z.object({
      index: z.number().int(),
      id: z.string().nullable(),
      issues: z.array(FieldIssueBody),
      forbidden: z.literal(true).optional().describe("valid, but the key may not write the record's cluster"),
    }),
  ),
});
const Rejected = z.union([Accepted.extend({ error: z.string() }), ErrorBody]);
const Health = z.object({ status: z.literal('ok'), log: z.object({ inventoryEvents: z.number().int() }) });
const BATCH =
  'a JSON array of events, `{"events": [...]}`, or NDJSON (application/x-ndjson), one event a line';

@ApiTags('ingest')
@Controller()
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    @Inject(EVENT_LOG) private readonly log: EventLog,
  ) {}

  @ApiOperation({ summary: 'Record inventory events (hosts, GPUs, VM placements, workload profiles)' })
  @ApiZodBody(batchOf(inventorySchemas), BATCH)
  @ApiZodResponse(202, Accepted, 'every record appended to the log')
  @ApiZodResponse(400, Rejected, 'bad records, each named; the valid ones were still appended')
  @ApiKeyResponses()
  @ApiZodResponse(403, Rejected, 'records of clusters the key may not write; the others were still appended')
  @Post('v1/inventory')
  @UseGuards(ApiKeyGuard)
  inventory(
    @Body() body: unknown,
    @Headers('content-type') type: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    return this.handle('inventory', body, type, res);
  }

  @ApiOperation({ summary: 'Record telemetry samples (per VM and per GPU)' })
  @ApiZodBody(batchOf(telemetrySchemas), BATCH)
  @ApiZodResponse(202, Accepted, 'every record appended to the log')
  @ApiZodResponse(400, Rejected, 'bad records, each named; the valid ones were still appended')
  @ApiKeyResponses()
  @ApiZodResponse(403, Rejected, 'records of clusters the key may not write; the others were still appended')
  @Post('v1/telemetry')
  @UseGuards(ApiKeyGuard)
  telemetry(
    @Body() body: unknown,
    @Headers('content-type') type: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    return this.handle('telemetry', body, type, res);
  }

  @ApiOperation({ summary: "Ingest's liveness, with the inventory stream's length" })
  @ApiZodResponse(200, Health, 'ingest is up')
  @Get('health')
  @HttpCode(200)
  async health(): Promise<z.infer<typeof Health>> {
    const ends = await this.log.endOffsets(Streams.inventory);
    return { status: 'ok', log: { inventoryEvents: ends.reduce((s, e) => s + e.offset, 0) } };
  }

  private async handle(
    kind: IngestKind,
    body: unknown,
    type: string | undefined,
    res: Response,
  ): Promise<void> {
    const result: IngestResult = await this.ingest.ingest(
      kind,
      body,
      type,
      `ingest:${kind}`,
      scopeOf(res.req),
    );
    if (result.rejected.length === 0) {
      res.status(202).json(result);
      return;
    }
    const total = result.accepted + result.rejected.length;
    // 403 when a record was refused for its cluster (the key's scope), else 400 for bad records
    res.status(result.rejected.some((r) => r.forbidden) ? 403 : 400).json({
      error: `${result.rejected.length} of ${total} records rejected; the other ${result.accepted} were accepted`,
      ...result,
    });
  }
}
