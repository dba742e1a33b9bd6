/**
 * The ingest service alone, as apps/ingest/src/main.ts boots it, in its own process so the bench
 * can read its CPU time from /proc. Prints `PORT <n>` on stdout once it listens (INGEST_PORT=0
 * picks a free port). All configuration comes from the environment, as in production.
 */
import 'reflect-metadata';
import { IngestConfigSchema, IngestModule, configureIngestHttp } from '@vgpu-twin/ingest';
import { bootService, listeningPort, loadConfig } from '@vgpu-twin/service-kit';

async function main(): Promise<void> {
  const config = loadConfig(IngestConfigSchema);
  const app = await bootService({
    name: 'Ingest',
    port: config.INGEST_PORT,
    modules: (_log, logConfig) => [IngestModule.forRoot(config, { dataDir: logConfig.VGPU_TWIN_DATA_DIR })],
    bodyParser: false,
    configure: (a) => configureIngestHttp(a, config),
    banner: (url, log) => `ingest listening on ${url} (log: ${log.EVENT_LOG})`,
  });
  // bootService enables Nest's shutdown hooks: SIGTERM closes the app and the log. With
  // BENCH_EXIT_ON_STDIN_END=1, closing stdin does too and then exits normally, so `node --cpu-prof` gets to write its profile.
  process.stdout.write(`PORT ${listeningPort(app)}\n`);
  if (process.env.BENCH_EXIT_ON_STDIN_END === '1') {
    process.stdin.resume();
    process.stdin.once('end', () => void app.close().finally(() => process.exit(0)));
  }
}
void main();
