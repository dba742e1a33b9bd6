import 'reflect-metadata';
import { loadConfig, runMain } from '@vgpu-twin/service-kit';
import { SimulatorConfigSchema } from './config';
import { Simulator } from './simulator';

// The standalone simulator needs no log and no HTTP server: it only posts to ingest.
runMain(async () => {
  const sim = new Simulator(loadConfig(SimulatorConfigSchema));
  const stop = () => void sim.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await sim.start();
});
