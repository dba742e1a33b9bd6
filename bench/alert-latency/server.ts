/**
 * The all-in-one process of `vgpu-twin start --no-simulator` (ingest, twin and notifier in one
 * Nest app, apps/cli's `startApp`), configured only by its environment, as the alert-latency
 * bench's system under test. Prints `BENCH_READY <port>` once it listens, `BENCH_STALL <ms> <epoch
 * ms>` whenever its event loop was blocked for ≥ 50 ms, and stops cleanly on SIGTERM. Not meant to be run by hand: alert-latency.bench.ts spawns it.
 */
import { listeningPort } from '@vgpu-twin/service-kit';
import { startApp } from '../../apps/cli/src/commands/start';

/** Event-loop stalls of the server: a 10 ms timer that fires this much late is reported to the bench. */
const STALL_MS = 50;

async function main(): Promise<void> {
  const { app, stop } = await startApp({ simulator: false }, process.env);
  let last = Date.now();
  setInterval(() => {
    const now = Date.now();
    if (now - last - 10 >= STALL_MS) process.stderr.write(`BENCH_STALL ${now - last - 10} ${now}\n`);
    last = now;
  }, 10).unref();
  process.stdout.write(`BENCH_READY ${listeningPort(app)}\n`);
  const shutdown = () => {
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`stop failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
