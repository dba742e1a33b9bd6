import { partitionKey, Streams, type DomainEvent } from '@vgpu-twin/contracts';
import { loadConfig, LogConfigSchema, openEventLog } from '@vgpu-twin/service-kit';
import { buildCluster, inventoryEvents, mulberry32, telemetryAt } from '@vgpu-twin/simulator';

/** Event time `s` seconds after the recording's start (2026-06-01T00:00:00Z). */
export const at = (s: number): string => new Date(Date.UTC(2026, 5, 1) + s * 1000).toISOString();

/**
 * Records the demo cluster (seed 42, 4 hosts × 2 GPUs) into the log `env` configures: its
 * inventory at 0 s, then `seconds` of 1 Hz telemetry in which vm-002 turns GPU-heavy next to
 * vm-001 from `incident.startS` to `incident.endS`. Returns how many events it wrote.
 */
export async function recordIncident(
  env: NodeJS.ProcessEnv,
  seconds: number,
  incident: { readonly startS: number; readonly endS: number },
): Promise<number> {
  const cluster = buildCluster({ seed: 42, hosts: 4, gpusPerHost: 2 });
  const rng = mulberry32(3);
  const log = await openEventLog(loadConfig(LogConfigSchema, env));
  const records = (events: readonly DomainEvent[]) =>
    events.map((e) => ({ key: partitionKey(e), value: JSON.stringify(e), timestamp: Date.parse(e.ts) }));
  try {
    const inventory = inventoryEvents(cluster, at(0));
    const telemetry = Array.from({ length: seconds }, (_, s) =>
      telemetryAt(cluster, s, s, at(s), rng, incident),
    ).flat();
    await log.append(Streams.inventory, records(inventory));
    await log.append(Streams.telemetry, records(telemetry));
    return inventory.length + telemetry.length;
  } finally {
    await log.close();
  }
}
