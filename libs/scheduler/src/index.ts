export * from './rng';
export * from './catalog';
export * from './workload';
export * from './policy';
export * from './simulate';
export * from './predict';
export * from './share-arithmetic';
export * from './profile-model';
