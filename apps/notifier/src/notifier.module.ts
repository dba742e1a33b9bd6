import {
  Controller,
  Get,
  Header,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { EVENT_LOG } from '@vgpu-twin/service-kit';
import type { EventLog } from '@vgpu-twin/event-log';
import type { NotifierConfig } from './config';
import { dashboardPage } from './dashboard-page';
import { NotifierGateway } from './notifier.gateway';
import { NotifierProcessor } from './notifier-processor';
import { DashboardReadModel } from './read-model';
import { NOTIFIER_CONFIG } from './tokens';

@Controller()
export class DashboardController {
  constructor(private readonly processor: NotifierProcessor) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return dashboardPage;
  }

  @Get('v1/dashboard/state')
  state(): ReturnType<DashboardReadModel['snapshot']> {
    return this.processor.model.snapshot();
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
          inject: [EVENT_LOG],
          useFactory: (log: EventLog) =>
            new NotifierProcessor(
              log,
              new DashboardReadModel(config.NOTIFIER_FEED_SIZE),
              config.NOTIFIER_GROUP,
            ),
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
