export * from './schema';
export { parseScenario, validateScenario } from './parse';
export {
  buildCluster,
  sampleAlibaba,
  type BuildClusterOptions,
  type SimCluster,
  type SimGpu,
  type SimHost,
  type SimVm,
} from './cluster';
export * from './engine';
export * from './demo';
