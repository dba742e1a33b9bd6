export * from './catalogue';
export * from './profile';
export * from './truth';
export * from './dataset';
export * from './scenario';
