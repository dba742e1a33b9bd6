export * from './formats';
export * from './book';
export * from './recent-ids';
