/**
 * The ingest service alone, as apps/ingest/src/main.ts boots it (one process, or INGEST_WORKERS
 * processes sharing the port), in its own process so the bench can read its CPU time from /proc.
 * Prints `PORT <n>` on stdout once it listens (INGEST_PORT=0 picks a free port; the workers of a
 * pool share it). All configuration comes from the environment, as in production.
 */
import 'reflect-metadata';
import { IngestConfigSchema, ingestService } from '@vgpu-twin/ingest';
import { loadConfig, serveService } from '@vgpu-twin/service-kit';

async function main(): Promise<void> {
  const config = loadConfig(IngestConfigSchema);
  const serving = await serveService(ingestService(config), { workers: config.INGEST_WORKERS });
  if (serving === null) return; // a pool worker: the primary answers for the pool
  // SIGTERM closes the app (or the pool's workers) and the log. With BENCH_EXIT_ON_STDIN_END=1,
  // closing stdin does too and then exits normally, so `node --cpu-prof` gets to write its profile
  // (each worker writes its own as it exits).
  process.stdout.write(`PORT ${serving.port}\n`);
  if (process.env.BENCH_EXIT_ON_STDIN_END === '1') {
    process.stdin.resume();
    process.stdin.once('end', () => void serving.close().finally(() => process.exit(0)));
  }
}
void main();
