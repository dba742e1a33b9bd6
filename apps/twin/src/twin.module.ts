import {
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiZodBody,
  ApiZodResponse,
  ErrorBody,
  EVENT_LOG,
  HEALTH,
  METRICS,
  type HealthChecks,
  type Metrics,
} from '@vgpu-twin/service-kit';
import { Streams } from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import { openDataSource, SnapshotRepository, type SnapshotStore } from '@vgpu-twin/persistence';
import { join } from 'node:path';
import type { WhatIfAnswer } from '@vgpu-twin/twin-core';
import type { TwinServiceConfig } from './config';
import { parseWhatIf, WhatIfBody } from './what-if-request';
import { TwinProcessor, twinConfigFrom, TwinStatusSchema, type TwinStatus } from './twin-processor';
import { z } from 'zod';

const StateHash = z.object({ stateHash: z.string().regex(/^[0-9a-f]{64}$/), events: z.number().int() });
/** twin-core's WhatIfAnswer, as the route returns it. */
const WhatIfAnswerSchema = z.object({
  model: z.string(),
  candidates: z.array(
    z.object({
      gpuId: z.string(),
      hostId: z.string(),
      predictedSlowdown: z.number(),
      affected: z.array(z.object({ vmId: z.string(), before: z.number(), after: z.number() })),
      cost: z.number(),
      model: z.string(),
    }),
  ),
  infeasible: z.array(z.object({ gpuId: z.string(), reason: z.string() })),
});

@ApiTags('twin')
@Controller('v1/twin')
export class TwinController {
  constructor(private readonly twin: TwinProcessor) {}

  @ApiOperation({ summary: "The twin's counts: events applied, hosts, GPUs, VMs, alerts, its model" })
  @ApiZodResponse(200, TwinStatusSchema, 'the status')
  @Get('status')
  status(): TwinStatus {
    return this.twin.status();
  }

  /** sha256 of the twin's state in canonical form: two twins that applied the same events agree. */
  @ApiOperation({ summary: "sha256 of the twin's state in canonical form" })
  @ApiZodResponse(200, StateHash, 'the hash, and how many events the state holds')
  @Get('state-hash')
  stateHash(): z.infer<typeof StateHash> {
    return { stateHash: this.twin.stateHash(), events: this.twin.status().events };
  }

  /** Where should this VM go? Every candidate GPU scored by the twin's model from its live state. */
  @ApiOperation({
    summary: 'Where should this VM go? Each candidate GPU scored by the twin from its live state',
  })
  @ApiZodBody(WhatIfBody)
  @ApiZodResponse(200, WhatIfAnswerSchema, 'feasible GPUs cheapest first, and why the others are not')
  @ApiZodResponse(400, ErrorBody, 'a bad request, an unknown workload or vGPU type, each field named')
  @Post('what-if')
  @HttpCode(200)
  whatIf(@Body() body: unknown): WhatIfAnswer {
    return this.twin.whatIf(parseWhatIf(body));
  }
}

const SNAPSHOTS = Symbol('SNAPSHOTS');

/** The configured snapshot store (replay reads it too, to start from the nearest snapshot). */
export async function openSnapshotStore(
  config: TwinServiceConfig,
  dataDir: string,
): Promise<SnapshotStore | null> {
  const keep = config.TWIN_SNAPSHOT_KEEP;
  switch (config.TWIN_SNAPSHOT_STORE) {
    case 'none':
      return null;
    case 'sqlite':
      return new SnapshotRepository(
        await openDataSource({ type: 'sqlite', file: join(dataDir, 'twin.sqlite') }),
        keep,
      );
    case 'postgres':
      return new SnapshotRepository(
        await openDataSource({ type: 'postgres', url: config.DATABASE_URL! }),
        keep,
      );
    default: {
      const _exhaustive: never = config.TWIN_SNAPSHOT_STORE;
      return _exhaustive;
    }
  }
}

/** Closes the snapshot store after the twin has stopped (Nest shuts providers down in reverse order). */
class SnapshotCloser implements OnApplicationShutdown {
  constructor(private readonly store: SnapshotStore | null) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store?.close();
  }
}

class TwinLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly twin: TwinProcessor) {}
  onApplicationBootstrap(): Promise<void> {
    return this.twin.start();
  }
  onApplicationShutdown(): Promise<void> {
    return this.twin.stop();
  }
}

@Module({})
export class TwinModule {
  static forRoot(config: TwinServiceConfig, dataDir: string): DynamicModule {
    return {
      module: TwinModule,
      controllers: [TwinController],
      providers: [
        { provide: SNAPSHOTS, useFactory: () => openSnapshotStore(config, dataDir) },
        {
          provide: SnapshotCloser,
          inject: [SNAPSHOTS],
          useFactory: (s: SnapshotStore | null) => new SnapshotCloser(s),
        },
        {
          provide: TwinProcessor,
          inject: [EVENT_LOG, SNAPSHOTS, METRICS, HEALTH],
          useFactory: (
            log: EventLog,
            snapshots: SnapshotStore | null,
            metrics: Metrics,
            health: HealthChecks,
          ) => {
            const twinConfig = twinConfigFrom(config);
            const twin = new TwinProcessor(log, twinConfig, {
              group: config.TWIN_GROUP,
              instanceId: config.TWIN_INSTANCE_ID,
              maxBatchSize: config.TWIN_MAX_BATCH,
              snapshotEvery: config.TWIN_SNAPSHOT_EVERY,
              snapshotMinIntervalMs: config.TWIN_SNAPSHOT_MIN_INTERVAL_MS,
              ...(snapshots ? { snapshots } : {}),
              onApplied: (events, outputs) => {
                metrics.twinEventsApplied.inc(events);
                for (const o of outputs) {
                  if (o.type === 'twin.prediction') metrics.twinPredictions.inc();
                  else if (o.type === 'alert.raised') metrics.twinAlertsRaised.inc({ kind: o.data.kind });
                }
              },
            });
            metrics.watchLag(log, config.TWIN_GROUP, [Streams.telemetry]);
            metrics.gauge(
              'vgpu_twin_twin_snapshot_age_seconds',
              'Seconds since this twin last took a snapshot (absent until its first)',
              () => (twin.lastSnapshotAtMs === null ? null : (Date.now() - twin.lastSnapshotAtMs) / 1000),
            );
            metrics.gauge(
              'vgpu_twin_twin_model_info',
              'The model the twin predicts with (value 1)',
              () => 1,
              { model: twin.modelName },
            );
            if (snapshots) health.register('snapshots', () => snapshots.ping().then(() => null));
            return twin;
          },
        },
        {
          provide: TwinLifecycle,
          inject: [TwinProcessor],
          useFactory: (t: TwinProcessor) => new TwinLifecycle(t),
        },
      ],
      exports: [TwinProcessor],
    };
  }
}
