import {
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { SimulatorConfig } from './config';
import { Simulator } from './simulator';

class SimulatorLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly sim: Simulator) {}
  onApplicationBootstrap(): void {
    // Ingest may be this very process, which listens only after bootstrap: start in the background.
    this.sim.start().catch((e: unknown) => {
      new Logger('Simulator').error(`simulator stopped: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
  onApplicationShutdown(): Promise<void> {
    return this.sim.stop();
  }
}

@Module({})
export class SimulatorModule {
  static forRoot(config: SimulatorConfig): DynamicModule {
    return {
      module: SimulatorModule,
      providers: [
        { provide: Simulator, useFactory: () => new Simulator(config) },
        {
          provide: SimulatorLifecycle,
          inject: [Simulator],
          useFactory: (s: Simulator) => new SimulatorLifecycle(s),
        },
      ],
      exports: [Simulator],
    };
  }
}
