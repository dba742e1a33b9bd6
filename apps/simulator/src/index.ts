export { SimulatorModule } from './simulator.module';
export { SimulatorConfigSchema, type SimulatorConfig } from './config';
export { Simulator } from './simulator';
export * from './scenario';
