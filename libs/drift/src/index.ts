export * from './signal';
export * from './cusum';
export * from './page-hinkley';
export * from './monitor';
export * from './model-error';
