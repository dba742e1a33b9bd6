export * from './formats';
export * from './book';
