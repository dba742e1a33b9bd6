export * from './errors';
export * from './envelope';
export * from './inventory';
export * from './telemetry';
export * from './twin';
export * from './streams';
export * from './registry';
export * from './fixtures';
