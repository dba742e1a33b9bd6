import {
  Controller,
  Get,
  Header,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiZodResponse, EVENT_LOG, METRICS, type Metrics } from '@vgpu-twin/service-kit';
import { alertSchemas, AlertKind, Streams } from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import { readFileSync } from 'node:fs';
import type { NotifierConfig } from './config';
import { dashboardPage } from './dashboard-page';
import { NotifierGateway, socketCors } from './notifier.gateway';
import { dashboardHeaders, socketCorsOrigin } from './security';
import { NotifierProcessor } from './notifier-processor';
import { DashboardReadModel, type DashboardState } from './read-model';
import { NOTIFIER_CONFIG } from './tokens';
import { z } from 'zod';

/** The chart library, served from node_modules (the dashboard works offline: no CDN). Read once at load. */
const uplot = {
  script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
  style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
};

const slowdown = z.number().nullable();
/** read-model.ts's DashboardState, its main fields: what the page draws. */
const DashboardStateSchema = z.object({
  clusters: z.array(z.string()),
  gpus: z.array(
    z.object({
      gpuId: z.string(),
      hostId: z.string(),
      clusterId: z.string(),
      model: z.string(),
      policy: z.string(),
      vms: z.array(z.string()),
    }),
  ),
  vms: z.array(
    z.looseObject({
      vmId: z.string(),
      gpuId: z.string(),
      profile: z.string(),
      workload: z.string(),
      predictedSlowdown: slowdown,
      observedSlowdown: slowdown,
      model: z.string().nullable(),
      unprofiled: z.boolean(),
      timeline: z.object({
        t: z.array(z.number()),
        predicted: z.array(slowdown),
        observed: z.array(slowdown),
      }),
      markers: z.array(
        z.looseObject({ ts: z.string(), state: z.enum(['raised', 'resolved']), kind: AlertKind }),
      ),
    }),
  ),
  feed: z.array(z.union(alertSchemas)),
  model: z.string().nullable(),
  eventTime: z.string().nullable(),
  timelineMinutes: z.number(),
});
const UplotAsset = (type: string) =>
  ApiResponse({ status: 200, description: `uPlot's ${type}, from node_modules`, schema: { type: 'string' } });

@ApiTags('dashboard')
@Controller()
export class DashboardController {
  constructor(private readonly processor: NotifierProcessor) {}

  @ApiOperation({ summary: 'The dashboard page (live over socket.io)' })
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, description: 'the page', schema: { type: 'string' } })
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return dashboardPage;
  }

  @ApiOperation({ summary: 'What the dashboard shows: GPUs, VMs with their timelines, the alert feed' })
  @ApiZodResponse(200, DashboardStateSchema, 'the read model now')
  @Get('v1/dashboard/state')
  state(): DashboardState {
    return this.processor.model.snapshot();
  }

  @ApiOperation({ summary: "The dashboard's chart library" })
  @ApiProduces('text/javascript')
  @UplotAsset('script')
  @Get('assets/uplot.iife.min.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  uplotScript(): string {
    return uplot.script;
  }

  @ApiOperation({ summary: "The chart library's styles" })
  @ApiProduces('text/css')
  @UplotAsset('stylesheet')
  @Get('assets/uplot.min.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  uplotStyle(): string {
    return uplot.style;
  }
}

class NotifierLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly processor: NotifierProcessor) {}
  onApplicationBootstrap(): Promise<void> {
    return this.processor.start();
  }
  onApplicationShutdown(): Promise<void> {
    return this.processor.stop();
  }
}

@Module({})
export class NotifierModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(dashboardHeaders()).forRoutes(DashboardController);
  }

  static forRoot(config: NotifierConfig): DynamicModule {
    socketCors.origin = socketCorsOrigin(config);
    return {
      module: NotifierModule,
      controllers: [DashboardController],
      providers: [
        { provide: NOTIFIER_CONFIG, useValue: config },
        {
          provide: NotifierProcessor,
          inject: [EVENT_LOG, METRICS],
          useFactory: (log: EventLog, metrics: Metrics) => {
            metrics.watchLag(log, config.NOTIFIER_GROUP, [Streams.alerts, Streams.twin]);
            return new NotifierProcessor(
              log,
              new DashboardReadModel({
                feedSize: config.NOTIFIER_FEED_SIZE,
                timelineMinutes: config.NOTIFIER_TIMELINE_MINUTES,
              }),
              config.NOTIFIER_GROUP,
            );
          },
        },
        {
          provide: NotifierLifecycle,
          inject: [NotifierProcessor],
          useFactory: (p: NotifierProcessor) => new NotifierLifecycle(p),
        },
        NotifierGateway,
      ],
    };
  }
}
