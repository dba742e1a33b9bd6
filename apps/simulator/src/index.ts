export { SimulatorModule } from './simulator.module';
export {
  DEFAULT_ALIBABA_NODES,
  obsoleteSettingsWarning,
  OBSOLETE_SIMULATOR_KEYS,
  SimulatorConfigSchema,
  type SimulatorConfig,
} from './config';
export { describe as describeAction, Simulator, type SimulatorOptions } from './simulator';
export { DEMO_SCENARIO, loadScenario, loadScenarioAtStart, type LoadedScenario } from './scenario-file';
export { loadSimulatorConfig } from './load-config';
