import 'reflect-metadata';
import { runMain, useStandaloneLogging } from '@vgpu-twin/service-kit';
import { loadSimulatorConfig } from './load-config';
import { Simulator } from './simulator';

// The standalone simulator needs no log and no HTTP server: it only posts to ingest.
runMain(async () => {
  useStandaloneLogging('simulator');
  const sim = new Simulator(loadSimulatorConfig());
  const stop = () => void sim.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await sim.start();
  await sim.finished;
});
