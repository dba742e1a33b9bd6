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
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiZodResponse, EVENT_LOG, METRICS, type Metrics } from '@vgpu-twin/service-kit';
import { DEFAULT_BOOK_CONFIG, type BookConfig } from '@vgpu-twin/alerting';
import { AlertHistoryRepository, openDataSource, type AlertHistoryStore } from '@vgpu-twin/persistence';
import { UseGuards } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { join } from 'node:path';
import { BearerGuard, notifierTokens, parseTokens, Viewer, type Access } from './auth';
import { parseReceivers, type Receiver } from './delivery/receivers';
import { DEFAULT_RETRY_POLICY } from './delivery/retry';
import { AlertsController } from './lifecycle/alerts.controller';
import { LifecycleDecider } from './lifecycle/decider';
import { DeliveryWorker } from './lifecycle/delivery';
import { LifecycleView } from './lifecycle/view';
import { alertSchemas, AlertKind, Streams } from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import { readFileSync } from 'node:fs';
import type { NotifierConfig } from './config';
import { dashboardPage } from './dashboard-page';
import { NotifierGateway, socketCors, socketOptions } from './notifier.gateway';
import { dashboardHeaders, socketCorsOrigin } from './security';
import { NotifierProcessor } from './notifier-processor';
import { DashboardReadModel, type DashboardState } from './read-model';
import { ALERT_HISTORY, NOTIFIER_CONFIG, RECEIVERS } from './tokens';
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
  @ApiBearerAuth()
  @ApiZodResponse(200, DashboardStateSchema, "the read model now (only the token's clusters)")
  @Get('v1/dashboard/state')
  @UseGuards(BearerGuard)
  state(@Viewer() access: Access): DashboardState {
    const all = this.processor.model.snapshot();
    if (access.all) return all;
    const gpus = all.gpus.filter((g) => access.clusters.has(g.clusterId));
    const visible = new Set(gpus.map((g) => g.gpuId));
    return {
      ...all,
      clusters: all.clusters.filter((c) => access.clusters.has(c)),
      gpus,
      vms: all.vms.filter((v) => visible.has(v.gpuId)),
      feed: all.feed.filter((e) => access.clusters.has(e.data.clusterId)),
    };
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

/**
 * Starts the parts in order: the read model (inventory, twin output), the lifecycle view (the
 * history projection and what is open), then the decider and the delivery worker, which join
 * groups shared with other notifier instances. Stops them the other way round.
 */
class NotifierLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly processor: NotifierProcessor,
    private readonly view: LifecycleView,
    private readonly decider: LifecycleDecider,
    private readonly delivery: DeliveryWorker | null,
    private readonly history: { ds: DataSource },
  ) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.processor.start();
    await this.view.start();
    await this.decider.start();
    await this.delivery?.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.delivery?.stop();
    await this.decider.stop();
    await this.view.stop();
    await this.processor.stop();
    if (this.history.ds.isInitialized) await this.history.ds.destroy();
  }
}

/** Alertmanager's timing and the flap damping, from the configuration. */
export function bookConfig(config: NotifierConfig, receivers: readonly Receiver[]): BookConfig {
  return {
    ...DEFAULT_BOOK_CONFIG,
    webhookReceivers: receivers.filter((r) => r.kind === 'webhook').map((r) => r.name),
    alertmanager: receivers.some((r) => r.kind === 'alertmanager'),
    groupWaitMs: config.NOTIFIER_GROUP_WAIT_MS,
    groupIntervalMs: config.NOTIFIER_GROUP_INTERVAL_MS,
    repeatIntervalMs: config.NOTIFIER_REPEAT_INTERVAL_MS,
    flap: {
      count: config.NOTIFIER_FLAP_COUNT,
      windowMs: config.NOTIFIER_FLAP_WINDOW_MS,
      stableMs: config.NOTIFIER_FLAP_STABLE_MS,
    },
    alertmanagerResendMs: config.NOTIFIER_ALERTMANAGER_RESEND_MS,
    externalURL: config.NOTIFIER_EXTERNAL_URL ?? `http://localhost:${config.NOTIFIER_PORT}`,
  };
}

const HISTORY_DS = Symbol('HISTORY_DS');

@Module({})
export class NotifierModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(dashboardHeaders()).forRoutes(DashboardController);
  }

  /** `dataDir`: where the embedded alert history goes (`notifier.sqlite`), VGPU_TWIN_DATA_DIR. */
  static forRoot(config: NotifierConfig, dataDir: string): DynamicModule {
    socketCors.origin = socketCorsOrigin(config);
    socketOptions.connectionStateRecovery = {
      maxDisconnectionDuration: config.NOTIFIER_RECOVERY_MS,
      skipMiddlewares: false,
    };
    notifierTokens.table = parseTokens(config);
    const receivers = parseReceivers(config);
    const book = bookConfig(config, receivers);
    // every instance reads the streams whole; the decider and delivery groups are shared
    const own = `${config.NOTIFIER_GROUP}@${config.NOTIFIER_INSTANCE}`;
    return {
      module: NotifierModule,
      controllers: [DashboardController, AlertsController],
      providers: [
        { provide: NOTIFIER_CONFIG, useValue: config },
        { provide: RECEIVERS, useValue: receivers },
        {
          provide: HISTORY_DS,
          useFactory: async () => ({
            ds: await openDataSource(
              config.NOTIFIER_HISTORY_STORE === 'postgres'
                ? { type: 'postgres', url: config.DATABASE_URL! }
                : { type: 'sqlite', file: join(dataDir, 'notifier.sqlite') },
            ),
          }),
        },
        {
          provide: ALERT_HISTORY,
          inject: [HISTORY_DS],
          useFactory: (h: { ds: DataSource }): AlertHistoryStore => new AlertHistoryRepository(h.ds),
        },
        {
          provide: NotifierProcessor,
          inject: [EVENT_LOG, METRICS],
          useFactory: (log: EventLog, metrics: Metrics) => {
            metrics.watchLag(log, own, [Streams.alerts, Streams.twin]);
            return new NotifierProcessor(
              log,
              new DashboardReadModel({
                feedSize: config.NOTIFIER_FEED_SIZE,
                timelineMinutes: config.NOTIFIER_TIMELINE_MINUTES,
              }),
              own,
            );
          },
        },
        {
          provide: LifecycleView,
          inject: [EVENT_LOG, ALERT_HISTORY, NotifierProcessor],
          useFactory: (log: EventLog, store: AlertHistoryStore, p: NotifierProcessor) =>
            new LifecycleView(log, {
              group: `${own}.lifecycle`,
              config: book,
              store,
              clusters: () => p.model.clusterIds(),
            }),
        },
        {
          provide: LifecycleDecider,
          inject: [EVENT_LOG, NotifierProcessor, METRICS],
          useFactory: (log: EventLog, p: NotifierProcessor, metrics: Metrics) => {
            metrics.watchLag(log, `${config.NOTIFIER_GROUP}.decider`, [Streams.alerts]);
            return new LifecycleDecider(log, {
              group: `${config.NOTIFIER_GROUP}.decider`,
              config: book,
              tickMs: config.NOTIFIER_TICK_MS,
              workloadOf: (vm) => p.model.workloadOf(vm),
            });
          },
        },
        {
          provide: DeliveryWorker,
          inject: [EVENT_LOG, METRICS],
          useFactory: (log: EventLog, metrics: Metrics) => {
            if (receivers.length === 0) return null;
            metrics.watchLag(log, `${config.NOTIFIER_GROUP}.delivery`, [Streams.notifications]);
            return new DeliveryWorker(log, {
              group: `${config.NOTIFIER_GROUP}.delivery`,
              receivers,
              onOutcome: (receiver, delivered) =>
                metrics.notifierNotifications.inc({
                  receiver,
                  outcome: delivered ? 'delivered' : 'dead_lettered',
                }),
              ...(config.NOTIFIER_WEBHOOK_SECRET ? { secret: config.NOTIFIER_WEBHOOK_SECRET } : {}),
              policy: {
                ...DEFAULT_RETRY_POLICY,
                maxAttempts: config.NOTIFIER_WEBHOOK_MAX_ATTEMPTS,
                baseMs: config.NOTIFIER_WEBHOOK_BACKOFF_MS,
                maxMs: config.NOTIFIER_WEBHOOK_BACKOFF_MAX_MS,
                timeoutMs: config.NOTIFIER_WEBHOOK_TIMEOUT_MS,
              },
            });
          },
        },
        {
          provide: NotifierLifecycle,
          inject: [NotifierProcessor, LifecycleView, LifecycleDecider, DeliveryWorker, HISTORY_DS],
          useFactory: (
            p: NotifierProcessor,
            v: LifecycleView,
            d: LifecycleDecider,
            w: DeliveryWorker | null,
            h: { ds: DataSource },
          ) => new NotifierLifecycle(p, v, d, w, h),
        },
        NotifierGateway,
      ],
    };
  }
}
