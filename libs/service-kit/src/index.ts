export * from './config';
export * from './event-log';
export * from './nest';
export * from './boot';
export * from './logging';
export * from './openapi';
export * from './metrics';
export * from './health';
