import {
  Controller,
  Get,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { EVENT_LOG } from '@vgpu-twin/service-kit';
import type { EventLog } from '@vgpu-twin/event-log';
import type { TwinServiceConfig } from './config';
import { TwinProcessor, twinConfigFrom, type TwinStatus } from './twin-processor';

@Controller('v1/twin')
export class TwinController {
  constructor(private readonly twin: TwinProcessor) {}

  @Get('status')
  status(): TwinStatus {
    return this.twin.status();
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
  static forRoot(config: TwinServiceConfig): DynamicModule {
    return {
      module: TwinModule,
      controllers: [TwinController],
      providers: [
        {
          provide: TwinProcessor,
          inject: [EVENT_LOG],
          useFactory: (log: EventLog) =>
            new TwinProcessor(log, twinConfigFrom(config), {
              group: config.TWIN_GROUP,
              instanceId: config.TWIN_INSTANCE_ID,
            }),
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
