import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Res, UseGuards } from '@nestjs/common';
import { Streams } from '@vgpu-twin/contracts';
import { EVENT_LOG } from '@vgpu-twin/service-kit';
import type { EventLog } from '@vgpu-twin/event-log';
import type { Response } from 'express';
import { ApiKeyGuard } from './api-key.guard';
import { IngestService, type IngestKind, type IngestResult } from './ingest.service';

@Controller()
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    @Inject(EVENT_LOG) private readonly log: EventLog,
  ) {}

  @Post('v1/inventory')
  @UseGuards(ApiKeyGuard)
  inventory(
    @Body() body: unknown,
    @Headers('content-type') type: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    return this.handle('inventory', body, type, res);
  }

  @Post('v1/telemetry')
  @UseGuards(ApiKeyGuard)
  telemetry(
    @Body() body: unknown,
    @Headers('content-type') type: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    return this.handle('telemetry', body, type, res);
  }

  @Get('health')
  @HttpCode(200)
  async health(): Promise<{ status: 'ok'; log: { inventoryEvents: number } }> {
    const ends = await this.log.endOffsets(Streams.inventory);
    return { status: 'ok', log: { inventoryEvents: ends.reduce((s, e) => s + e.offset, 0) } };
  }

  private async handle(
    kind: IngestKind,
    body: unknown,
    type: string | undefined,
    res: Response,
  ): Promise<void> {
    const result: IngestResult = await this.ingest.ingest(kind, body, type, `ingest:${kind}`);
    if (result.rejected.length === 0) {
      res.status(202).json(result);
      return;
    }
    const total = result.accepted + result.rejected.length;
    res.status(400).json({
      error: `${result.rejected.length} of ${total} records rejected; the other ${result.accepted} were accepted`,
      ...result,
    });
  }
}
