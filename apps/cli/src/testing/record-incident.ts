import { partitionKey, Streams, type DomainEvent } from '@vgpu-twin/contracts';
import { loadConfig, LogConfigSchema, openEventLog } from '@vgpu-twin/service-kit';
import { createScenarioRun, demoIncident, recordRun } from '@vgpu-twin/simulation';

/** Event time `s` seconds after the recording's start (2026-06-01T00:00:00Z). */
export const at = (s: number): string => new Date(Date.UTC(2026, 5, 1) + s * 1000).toISOString();

/**
 * Records the demo cluster (libs/simulation's demo scenario, 4 hosts × 2 GPUs) into the log `env`
 * configures: its inventory at 0 s, then `seconds` of 1 Hz telemetry in which vm-002 turns
 * GPU-heavy next to vm-001 from `incident.startS` to `incident.endS`. Returns how many events it wrote.
 */
export async function recordIncident(
  env: NodeJS.ProcessEnv,
  seconds: number,
  incident: { readonly startS: number; readonly endS: number },
): Promise<number> {
  const run = createScenarioRun(demoIncident(incident), {
    startMs: Date.parse(at(0)),
    stepMs: 1000,
    seed: 3,
  });
  const log = await openEventLog(loadConfig(LogConfigSchema, env));
  const records = (events: readonly DomainEvent[]) =>
    events.map((e) => ({ key: partitionKey(e), value: JSON.stringify(e), timestamp: Date.parse(e.ts) }));
  try {
    const { inventory, telemetry } = recordRun(run, seconds);
    await log.append(Streams.inventory, records(inventory));
    await log.append(Streams.telemetry, records(telemetry));
    return inventory.length + telemetry.length;
  } finally {
    await log.close();
  }
}
