import { Logger, type INestApplication } from '@nestjs/common';
import type { Command } from 'commander';
import { IngestConfigSchema, IngestModule, configureIngestHttp } from '@vgpu-twin/ingest';
import { NotifierConfigSchema, NotifierModule } from '@vgpu-twin/notifier';
import { loadScenarioAtStart, loadSimulatorConfig, Simulator } from '@vgpu-twin/simulator';
import { TwinConfigSchema, TwinModule, loadModel } from '@vgpu-twin/twin';
import { SCHEDULER_MODEL } from '@vgpu-twin/twin-core';
import { bootService, envPort, listeningPort, loadConfig } from '@vgpu-twin/service-kit';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';

export const StartConfigSchema = z.object({
  /** The one HTTP port of the all-in-one process: ingest API, dashboard and socket.io. */
  PORT: envPort(8080),
});

export interface StartOptions {
  readonly port?: string;
  readonly simulator: boolean;
}

/** Everything in one process on the embedded log: simulator → ingest → log → twin → notifier → dashboard. */
export async function start(
  options: StartOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<() => Promise<void>> {
  return (await startApp(options, env)).stop;
}

/** `start`, also handing back the Nest app (tests read the routes it really serves). */
export async function startApp(
  options: StartOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ readonly app: INestApplication; readonly stop: () => Promise<void> }> {
  const merged = { ...env, ...(options.port !== undefined ? { PORT: options.port } : {}) };
  const { PORT } = loadConfig(StartConfigSchema, merged);
  const ingest = loadConfig(IngestConfigSchema, merged);
  const twin = loadConfig(TwinConfigSchema, merged);
  const notifier = loadConfig(NotifierConfigSchema, merged);
  // Its warnings wait for the log, which exists once the app is up.
  const simWarnings: string[] = [];
  const simConfig = loadSimulatorConfig(merged, (w) => simWarnings.push(w));
  // Read and check the scenario before anything listens: a bad file stops the start, in one line.
  const scenario = options.simulator
    ? loadScenarioAtStart(simConfig.SIM_SCENARIO, simConfig.SIM_ALIBABA_NODES)
    : null;
  // the simulator's own key: accepted by ingest whatever keys are configured, and it turns none on
  const simulatorKey = scenario ? `vgt_internal_${randomBytes(24).toString('base64url')}` : null;
  const app = await bootService(
    {
      name: 'VgpuTwin',
      port: PORT,
      modules: (_log, logConfig) => [
        IngestModule.forRoot(ingest, {
          dataDir: logConfig.VGPU_TWIN_DATA_DIR,
          internalKeys: simulatorKey ? [simulatorKey] : [],
        }),
        TwinModule.forRoot(twin, logConfig.VGPU_TWIN_DATA_DIR),
        NotifierModule.forRoot(notifier, logConfig.VGPU_TWIN_DATA_DIR),
      ],
      bodyParser: false,
      shutdownHooks: false,
      configure: (a) => configureIngestHttp(a, ingest),
      banner: (url, log) =>
        `vgpu-twin is running (log: ${log.EVENT_LOG}, data: ${log.VGPU_TWIN_DATA_DIR})\n` +
        `  dashboard:  ${url}/\n  ingest API: ${url}/v1/telemetry, ${url}/v1/inventory\n` +
        `  real hosts: ${url}/v1/import, ${url}/api/v1/write (Prometheus remote write), ${url}/v1/sources` +
        `${ingest.INGEST_SCRAPE_TARGETS.length > 0 ? ` (scraping ${ingest.INGEST_SCRAPE_TARGETS.length} target(s))` : ''}\n` +
        `  twin:       ${url}/v1/twin/status\n` +
        `  model:      ${describeModel(twin.TWIN_MODEL)}`,
    },
    merged,
  );
  const port = listeningPort(app);
  for (const w of simWarnings) new Logger('Simulator').warn(w);
  const sim = scenario
    ? new Simulator(
        { ...simConfig, SIM_INGEST_URL: `http://127.0.0.1:${port}`, SIM_API_KEY: simulatorKey ?? undefined },
        { scenario },
      )
    : null;
  await sim?.start();
  const stop = async () => {
    await sim?.stop();
    await app.close();
  };
  return { app, stop };
}

/** The banner's model line: which artifact corrects the scheduler model, or that it predicts alone. */
function describeModel(path: string): string {
  if (path === 'none') return `${SCHEDULER_MODEL} alone (TWIN_MODEL=none)`;
  const { model, file } = loadModel(path);
  return `${model.name} — libs/scheduler's time-slice model + the learned residual of ${file}`;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'run simulator, ingest, twin and notifier in one process on the embedded log, and serve the dashboard',
    )
    .option('-p, --port <port>', 'HTTP port for the API, dashboard and socket.io (env PORT, default 8080)')
    .option(
      '--no-simulator',
      'do not feed the twin with simulated telemetry (send your own to the ingest API)',
    )
    .addHelpText(
      'after',
      '\nConfiguration is read from environment variables; see the README for the full table.\n' +
        'Files (the embedded log) live under VGPU_TWIN_DATA_DIR (default ./.vgpu-twin).',
    )
    .action(async (opts: StartOptions) => {
      const stop = await start(opts);
      const shutdown = () => {
        stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
