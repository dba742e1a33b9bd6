/**
 * Writes a replay window straight into the configured event log (not through HTTP: 86.4M samples
 * through ingest would take longer than the replay being measured): bench/twin's synthetic cluster
 * (1,000 VMs, 4 per GPU, 250 GPUs, one profiled workload), 1 Hz `telemetry.vm_sample` events with
 * seeded noise, packed as ingest packs them (packRecords, INGEST_PACK_MAX_EVENTS events of one GPU
 * per record, default 500 = 125 s of a GPU's 4 VMs).
 *
 *   VGPU_TWIN_DATA_DIR=/tmp/replay-24h HOURS=6 SWC_NODE_PROJECT=tsconfig.json \
 *     node -r @swc-node/register bench/replay-24h/generate.ts
 *
 * Env: the log's own (EVENT_LOG, VGPU_TWIN_DATA_DIR, KAFKA_BROKERS, VGPU_TWIN_STREAM_PREFIX), HOURS
 * (24), VMS (1000), INGEST_PACK_MAX_EVENTS (500). Event time starts at 2026-01-01T00:00:00Z (the
 * inventory one second before); prints the window's --from/--to and the counts on stdout.
 */
import { partitionKey, Streams } from '@vgpu-twin/contracts';
import type { AppendRecord } from '@vgpu-twin/event-log';
import { loadConfig, LogConfigSchema, openEventLog, packRecords } from '@vgpu-twin/service-kit';
import { performance } from 'node:perf_hooks';
import { inventory, samples } from '../twin/workload';

const HOURS = Number(process.env.HOURS ?? 24);
const VMS = Number(process.env.VMS ?? 1000);
const PACK = Number(process.env.INGEST_PACK_MAX_EVENTS ?? 500);
const VMS_PER_GPU = 4;
/** Seconds per chunk: one packed record per GPU per chunk when PACK is a multiple of VMS_PER_GPU. */
const CHUNK_S = Math.max(1, Math.floor(PACK / VMS_PER_GPU));
/** Bytes per append: keeps a Kafka produce request well under the broker's limits, and few SQLite commits. */
const APPEND_BYTES = 4e6;
const T0 = Date.UTC(2026, 0, 1);

async function main(): Promise<void> {
  const config = loadConfig(LogConfigSchema, process.env);
  const log = await openEventLog(config);
  const seconds = Math.round(HOURS * 3600);
  const started = performance.now();
  const inv = inventory(VMS).map((e) => ({ ...e, ts: new Date(T0 - 1000).toISOString() }));
  await log.append(Streams.inventory, packRecords(inv, partitionKey, 1));
  let events = 0;
  let records = 0;
  let bytes = 0;
  let lastReport = started;
  let pending: AppendRecord[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pending.length > 0) await log.append(Streams.telemetry, pending);
    pending = [];
    pendingBytes = 0;
  };
  for (let s = 0; s < seconds; s += CHUNK_S) {
    const n = Math.min(CHUNK_S, seconds - s);
    const packed = packRecords(samples(VMS, n, 11 + s, s), partitionKey, PACK);
    for (const r of packed) {
      pending.push(r);
      pendingBytes += r.value.length;
      bytes += r.value.length;
      if (pendingBytes >= APPEND_BYTES) await flush();
    }
    events += VMS * n;
    records += packed.length;
    const now = performance.now();
    if (now - lastReport > 10_000) {
      lastReport = now;
      const el = (now - started) / 1000;
      process.stderr.write(
        `generate: ${(events / 1e6).toFixed(1)}M of ${((VMS * seconds) / 1e6).toFixed(1)}M events, ` +
          `${Math.round(events / el).toLocaleString('en-US')} events/s\n`,
      );
    }
  }
  await flush();
  await log.close();
  const wall = (performance.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      from: new Date(T0).toISOString(),
      to: new Date(T0 + seconds * 1000).toISOString(),
      inventoryEvents: inv.length,
      telemetryEvents: events,
      telemetryRecords: records,
      telemetryMB: Math.round(bytes / 1e6),
      seconds: Math.round(wall),
    })}\n`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
