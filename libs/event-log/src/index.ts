export * from './port';
export * from './partitioner';
export { EmbeddedEventLog, type EmbeddedLogOptions } from './embedded-log';
