export * from './config';
export * from './event-log';
export * from './nest';
export * from './boot';
export * from './metrics';
export * from './health';
