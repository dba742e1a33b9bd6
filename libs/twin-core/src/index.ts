export * from './state';
export * from './share-model';
export * from './step';
export * from './snapshot';
export * from './replay';
export * from './learned-model';
