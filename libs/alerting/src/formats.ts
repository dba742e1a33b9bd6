export * from './matchers';
export * from './fingerprint';
export * from './alertmanager-format';
