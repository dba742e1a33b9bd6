export * from './port';
export * from './partitioner';
export { EmbeddedEventLog, type EmbeddedLogOptions } from './embedded-log';
export { consumeRebuilding, type RebuildingConsumeOptions } from './rebuild';
export { KafkaEventLog, type KafkaLogOptions } from './kafka-log';
export { prefixed } from './prefixed';
