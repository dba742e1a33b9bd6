import { Logger } from '@nestjs/common';
import { loadConfig } from '@vgpu-twin/service-kit';
import { obsoleteSettingsWarning, SimulatorConfigSchema, type SimulatorConfig } from './config';

/** The simulator's settings, with one warning line for settings that no longer apply. */
export function loadSimulatorConfig(
  env: NodeJS.ProcessEnv = process.env,
  warn: (line: string) => void = (line) => new Logger('Simulator').warn(line),
): SimulatorConfig {
  const config = loadConfig(SimulatorConfigSchema, env);
  const warning = obsoleteSettingsWarning(env);
  if (warning) warn(warning);
  return config;
}
