export { openSnapshotStore, TwinModule } from './twin.module';
export { TwinConfigSchema, type TwinServiceConfig } from './config';
export { TwinProcessor, twinConfigFrom, type TwinProcessorOptions, type TwinStatus } from './twin-processor';
export { loadModel, type LoadedModel } from './model-file';
export type { StoredSnapshot } from '@vgpu-twin/persistence';
