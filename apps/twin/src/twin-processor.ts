import { Streams, type DomainEvent } from '@vgpu-twin/contracts';
import { consumeRebuilding, type Consumer, type EventLog, type LogRecord } from '@vgpu-twin/event-log';
import { appendEvents, deadLetter, decodeRecords } from '@vgpu-twin/service-kit';
import {
  defaultTwinConfig,
  initialState,
  step,
  type TwinConfig,
  type TwinInput,
  type TwinOutput,
  type TwinState,
} from '@vgpu-twin/twin-core';
import { partitionKey } from '@vgpu-twin/contracts';

export interface TwinProcessorOptions {
  /** Consumer group shared by the twin instances (telemetry partitions are split among them). */
  readonly group: string;
  /** This instance's name: its own group reads the whole inventory. */
  readonly instanceId: string;
  /** Records handled (and committed) at a time. */
  readonly maxBatchSize?: number;
}

export interface TwinStatus {
  readonly events: number;
  readonly hosts: number;
  readonly gpus: number;
  readonly vms: number;
  readonly activeAlerts: number;
  readonly unknownVmSamples: number;
  readonly deadLettered: number;
}

/**
 * Wires the pure twin to the log: reads inventory and telemetry, folds them into the twin, and
 * appends what the twin says (predictions, observations, alerts) before committing the input.
 */
export class TwinProcessor {
  readonly state: TwinState;
  private consumers: Consumer[] = [];
  private deadLettered = 0;

  constructor(
    private readonly log: EventLog,
    private readonly config: TwinConfig,
    private readonly options: TwinProcessorOptions,
  ) {
    this.state = initialState(config.dedupeWindow);
  }

  /**
   * Every instance reads the whole inventory (its own consumer group) and catches up with it
   * before it takes telemetry, so samples never arrive for VMs it has not yet heard of. Telemetry
   * partitions are shared by the instances of the group.
   */
  async start(timeoutMs = 60_000): Promise<void> {
    const onError = (e: unknown) =>
      console.error('twin: batch failed, will retry:', e instanceof Error ? e.message : e);
    const handler = (batch: readonly LogRecord[], replaying: boolean) => this.handle(batch, replaying);
    const { group, instanceId, maxBatchSize } = this.options;
    const batching = maxBatchSize ? { maxBatchSize } : {};
    const inventoryGroup = `${group}.inventory.${instanceId}`;
    this.consumers.push(
      await consumeRebuilding(this.log, {
        group: inventoryGroup,
        streams: [Streams.inventory],
        handler,
        onError,
        catchUpTimeoutMs: timeoutMs,
        ...batching,
      }),
    );
    this.consumers.push(
      await consumeRebuilding(this.log, {
        group,
        streams: [Streams.telemetry],
        handler,
        onError,
        ...batching,
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    this.consumers = [];
  }

  private async handle(batch: readonly LogRecord[], replaying: boolean): Promise<void> {
    const { events, bad } = decodeRecords(batch);
    const outputs: TwinOutput[] = [];
    for (const { event } of events) outputs.push(...step(this.state, event as TwinInput, this.config));
    if (replaying) return;
    if (bad.length > 0) {
      await deadLetter(this.log, `twin:${this.options.group}`, bad);
      this.deadLettered += bad.length;
    }
    if (outputs.length === 0) return;
    const byStream = new Map<string, DomainEvent[]>([
      [Streams.twin, []],
      [Streams.alerts, []],
    ]);
    for (const o of outputs)
      byStream
        .get(o.type === 'twin.prediction' || o.type === 'twin.observation' ? Streams.twin : Streams.alerts)!
        .push(o);
    await appendEvents(this.log, byStream, partitionKey);
  }

  status(): TwinStatus {
    let activeAlerts = 0;
    for (const vm of this.state.vms.values()) if (vm.alert) activeAlerts++;
    return {
      events: this.state.stats.events,
      hosts: this.state.hosts.size,
      gpus: this.state.gpus.size,
      vms: this.state.vms.size,
      activeAlerts,
      unknownVmSamples: this.state.stats.unknownVmSamples,
      deadLettered: this.deadLettered,
    };
  }
}

export function twinConfigFrom(c: {
  TWIN_SLO_SLOWDOWN: number;
  TWIN_SUSTAIN_SAMPLES: number;
  TWIN_SMOOTHING_SAMPLES: number;
  TWIN_OBSERVATION_EVERY: number;
}): TwinConfig {
  return {
    sloSlowdown: c.TWIN_SLO_SLOWDOWN,
    sustainSamples: c.TWIN_SUSTAIN_SAMPLES,
    smoothingSamples: c.TWIN_SMOOTHING_SAMPLES,
    observationEvery: c.TWIN_OBSERVATION_EVERY,
    source: 'twin',
    dedupeWindow: defaultTwinConfig.dedupeWindow,
  };
}
