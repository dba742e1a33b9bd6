import {
  Controller,
  Get,
  Header,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { EVENT_LOG, METRICS, type Metrics } from '@vgpu-twin/service-kit';
import { Streams } from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import { readFileSync } from 'node:fs';
import type { NotifierConfig } from './config';
import { dashboardPage } from './dashboard-page';
import { NotifierGateway } from './notifier.gateway';
import { NotifierProcessor } from './notifier-processor';
import { DashboardReadModel, type DashboardState } from './read-model';
import { NOTIFIER_CONFIG } from './tokens';

/** The chart library, served from node_modules (the dashboard works offline: no CDN). Read once at load. */
const uplot = {
  script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
  style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
};

@Controller()
export class DashboardController {
  constructor(private readonly processor: NotifierProcessor) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return dashboardPage;
  }

  @Get('v1/dashboard/state')
  state(): DashboardState {
    return this.processor.model.snapshot();
  }

  @Get('assets/uplot.iife.min.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  uplotScript(): string {
    return uplot.script;
  }

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
export class NotifierModule {
  static forRoot(config: NotifierConfig): DynamicModule {
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
