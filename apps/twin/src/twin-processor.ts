import { Logger } from '@nestjs/common';
import { partitionKey, Streams, type DomainEvent } from '@vgpu-twin/contracts';
import {
  consumeRebuilding,
  partitionFor,
  type Consumer,
  type EventLog,
  type LogRecord,
} from '@vgpu-twin/event-log';
import type { SnapshotStore } from '@vgpu-twin/persistence';
import { appendEvents, deadLetter, decodeRecords } from '@vgpu-twin/service-kit';
import {
  defaultTwinConfig,
  deserializeState,
  initialState,
  serializeState,
  SCHEDULER_MODEL,
  stateHash,
  step,
  type LearnedModel,
  type TwinConfig,
  type TwinInput,
  type TwinOutput,
  type TwinState,
  type WhatIfAnswer,
  type WhatIfRequest,
  whatIf,
} from '@vgpu-twin/twin-core';
import { loadModel } from './model-file';
import { z } from 'zod';

const logger = new Logger('Twin');

export interface TwinProcessorOptions {
  /** Consumer group shared by the twin instances (telemetry partitions are split among them). */
  readonly group: string;
  /** This instance's name: its own group reads the whole inventory. */
  readonly instanceId: string;
  /** Records handled (and committed) at a time. */
  readonly maxBatchSize?: number;
  /** Where snapshots go; without one the twin rebuilds from the log on every start. */
  readonly snapshots?: SnapshotStore;
  /** Take a snapshot after this many events… */
  readonly snapshotEvery?: number;
  /** …but not sooner than this after the last one (a snapshot serialises the whole state). */
  readonly snapshotMinIntervalMs?: number;
  /** Alert ids looked up in the alerts stream on start: a crash after writing alerts but before committing must not repeat them. */
  readonly recentAlertsChecked?: number;
  /** Told after each live batch: how many events it applied and what the twin said (metrics). */
  readonly onApplied?: (events: number, outputs: readonly TwinOutput[]) => void;
}

const count = z.number().int().nonnegative();

/** `GET /v1/twin/status`: what the twin holds and has done (also its OpenAPI response schema). */
export const TwinStatusSchema = z.object({
  /**
   * What predicts slowdowns: the learned model's `kind@<12 hex of its sha256>` (the shipped default,
   * or TWIN_MODEL) on top of libs/scheduler, or `scheduler@<version>` with TWIN_MODEL=none.
   */
  model: z.string(),
  events: count,
  hosts: count,
  gpus: count,
  vms: count,
  /** VMs by what predicted their current slowdown (`hybrid@…`, `scheduler@1`, `unprofiled`, `none yet`). */
  predictedBy: z.record(z.string(), count),
  activeAlerts: count,
  unknownVmSamples: count,
  duplicateEvents: count,
  deadLettered: count,
  snapshots: count,
  restoredFrom: z.object({ takenAt: z.string(), events: count }).nullable(),
  /** Telemetry partitions this instance holds (the GPUs it speaks for), of `telemetryPartitions`. */
  partitions: z.array(count),
  telemetryPartitions: count,
});
export type TwinStatus = Readonly<z.infer<typeof TwinStatusSchema>>;

/**
 * Wires the pure twin to the log. Each batch is applied, its outputs (predictions, observations,
 * alerts) appended, a snapshot taken when due, and only then are its offsets committed. Batches
 * of the inventory and telemetry consumers run one at a time so a snapshot's offsets always match
 * the state it holds. On start the twin restores its latest snapshot and reads on from the
 * snapshot's offsets; records below the committed offsets are re-applied without repeating their
 * effects.
 */
export class TwinProcessor {
  private current: TwinState;
  private consumers: Consumer[] = [];
  private deadLettered = 0;
  private snapshotsTaken = 0;
  /** Wall-clock time of the last snapshot this process took (or restored), for its age metric. */
  lastSnapshotAtMs: number | null = null;
  private restoredFrom: TwinStatus['restoredFrom'] = null;
  /** Next offset per `stream/partition` that the state covers. */
  private readonly positions = new Map<string, number>();
  private lastTs = '';
  private sinceSnapshot = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly alreadyInLog = new Set<string>();
  /** Telemetry partitions this instance holds in its consumer group, and how many there are. */
  private owned = new Set<number>();
  private telemetryPartitions = 1;

  constructor(
    private readonly log: EventLog,
    private readonly config: TwinConfig,
    private readonly options: TwinProcessorOptions,
  ) {
    this.current = initialState(config.dedupeWindow);
  }

  private get owner(): string {
    return `${this.options.group}/${this.options.instanceId}`;
  }

  /**
   * Every instance reads the whole inventory (its own consumer group); the telemetry partitions
   * are shared by the instances of the group, and an instance speaks only for the GPUs whose
   * telemetry partitions it holds (a GPU's samples are keyed by its id), so each GPU's
   * predictions, observations and alerts come from exactly one instance. The telemetry member
   * joins first, so its partitions are known before inventory events produce predictions, but its
   * records wait until the inventory has been caught up with: samples never arrive for VMs the
   * instance has not heard of.
   */
  async start(timeoutMs = 60_000): Promise<void> {
    const snapshot = await this.options.snapshots?.latest(this.owner);
    if (snapshot) {
      this.current = deserializeState(snapshot.state);
      for (const [k, v] of Object.entries(snapshot.offsets)) this.positions.set(k, v);
      this.lastTs = snapshot.takenAt;
      this.restoredFrom = { takenAt: snapshot.takenAt, events: snapshot.events };
    }
    await this.rememberRecentAlerts();
    this.telemetryPartitions = (await this.log.endOffsets(Streams.telemetry)).length;
    const onError = (e: unknown) =>
      logger.error(`batch failed, will retry: ${e instanceof Error ? e.message : String(e)}`);
    let inventoryCaughtUp!: () => void;
    const inventoryReady = new Promise<void>((resolve) => (inventoryCaughtUp = resolve));
    const { group, instanceId, maxBatchSize } = this.options;
    const common = {
      onError,
      startAt: new Map(this.positions),
      ...(maxBatchSize ? { maxBatchSize } : {}),
    };
    this.consumers.push(
      await consumeRebuilding(this.log, {
        ...common,
        group,
        streams: [Streams.telemetry],
        onAssignment: (assigned) => {
          this.owned = new Set(assigned.map((a) => a.partition));
        },
        handler: async (batch, replaying) => {
          await inventoryReady;
          return this.enqueue(batch, replaying);
        },
      }),
    );
    try {
      this.consumers.push(
        await consumeRebuilding(this.log, {
          ...common,
          group: `${group}.inventory.${instanceId}`,
          streams: [Streams.inventory],
          catchUpTimeoutMs: timeoutMs,
          handler: (batch, replaying) => this.enqueue(batch, replaying),
        }),
      );
    } finally {
      inventoryCaughtUp();
    }
  }

  /** Whether this instance speaks for the GPU: it holds the telemetry partition of its samples. */
  private owns(gpuId: string): boolean {
    return this.owned.has(partitionFor(gpuId, this.telemetryPartitions));
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    this.consumers = [];
    await this.queue;
  }

  private async rememberRecentAlerts(): Promise<void> {
    const n = this.options.recentAlertsChecked ?? 2000;
    for (const { partition, offset } of await this.log.endOffsets(Streams.alerts)) {
      const from = Math.max(0, offset - n);
      for (const r of await this.log.read(Streams.alerts, partition, from, offset - from)) {
        const id = (JSON.parse(r.value) as { id?: unknown }).id;
        if (typeof id === 'string') this.alreadyInLog.add(id);
      }
    }
  }

  private enqueue(batch: readonly LogRecord[], replaying: boolean): Promise<void> {
    const run = this.queue.then(() => this.apply(batch, replaying));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(batch: readonly LogRecord[], replaying: boolean): Promise<void> {
    const last = batch[batch.length - 1]!;
    const key = `${last.stream}/${last.partition}`;
    const { events, bad } = decodeRecords(batch);
    const outputs: TwinOutput[] = [];
    for (const { event } of events) {
      outputs.push(...step(this.current, event as TwinInput, this.config));
      if (event.ts > this.lastTs) this.lastTs = event.ts; // the state's high-water mark of event time
    }
    this.positions.set(key, last.offset + 1);
    if (!replaying) {
      if (bad.length > 0) {
        await deadLetter(this.log, `twin:${this.options.group}`, bad);
        this.deadLettered += bad.length;
      }
      const emitted = outputs.filter((o) => !this.alreadyInLog.has(o.id) && this.owns(gpuOf(o)));
      await this.emit(emitted);
      this.options.onApplied?.(events.length, emitted);
    }
    this.sinceSnapshot += events.length; // events, not records: a packed record holds many
    if (this.options.snapshots && this.snapshotDue()) await this.snapshot();
  }

  /**
   * At 10k samples/s, a snapshot every 10,000 events was one a second, each a synchronous
   * serialisation of the whole state: the twin fell behind (bench/RESULTS.md, alert latency).
   */
  private snapshotDue(): boolean {
    if (this.sinceSnapshot < (this.options.snapshotEvery ?? 10_000)) return false;
    const min = this.options.snapshotMinIntervalMs ?? 0;
    return this.lastSnapshotAtMs === null || Date.now() - this.lastSnapshotAtMs >= min;
  }

  private async emit(outputs: readonly TwinOutput[]): Promise<void> {
    if (outputs.length === 0) return;
    const byStream = new Map<string, DomainEvent[]>([
      [Streams.twin, []],
      [Streams.alerts, []],
    ]);
    for (const o of outputs) {
      byStream
        .get(o.type === 'twin.prediction' || o.type === 'twin.observation' ? Streams.twin : Streams.alerts)!
        .push(o);
    }
    await appendEvents(this.log, byStream, partitionKey);
  }

  private async snapshot(): Promise<void> {
    await this.options.snapshots!.save({
      owner: this.owner,
      takenAt: this.lastTs,
      offsets: Object.fromEntries(this.positions),
      state: serializeState(this.current),
      stateHash: stateHash(this.current),
      events: this.current.stats.events,
    });
    this.snapshotsTaken++;
    this.lastSnapshotAtMs = Date.now();
    this.sinceSnapshot = 0;
  }

  /** The interference oracle: what placing a VM on each candidate GPU would do (twin-core's `whatIf`). */
  whatIf(request: WhatIfRequest): WhatIfAnswer {
    return whatIf(this.current, this.config, request);
  }

  /** sha256 of the state in canonical form (twin-core's `stateHash`): equal for equal states. */
  stateHash(): string {
    return stateHash(this.current);
  }

  /** What predicts: the learned model's name, or the scheduler model's when there is none. */
  get modelName(): string {
    return this.config.model?.name ?? SCHEDULER_MODEL;
  }

  status(): TwinStatus {
    let activeAlerts = 0;
    const predictedBy: Record<string, number> = {};
    for (const vm of this.current.vms.values()) {
      if (vm.alert) activeAlerts++;
      const by = vm.unprofiled ? 'unprofiled' : (vm.prediction?.model ?? 'none yet');
      predictedBy[by] = (predictedBy[by] ?? 0) + 1;
    }
    return {
      model: this.modelName,
      events: this.current.stats.events,
      hosts: this.current.hosts.size,
      gpus: this.current.gpus.size,
      vms: this.current.vms.size,
      predictedBy,
      activeAlerts,
      unknownVmSamples: this.current.stats.unknownVmSamples,
      duplicateEvents: this.current.stats.duplicateEvents,
      deadLettered: this.deadLettered,
      snapshots: this.snapshotsTaken,
      restoredFrom: this.restoredFrom,
      partitions: [...this.owned].sort((a, b) => a - b),
      telemetryPartitions: this.telemetryPartitions,
    };
  }
}

function gpuOf(o: TwinOutput): string {
  return o.type === 'placement.suggested' ? o.data.fromGpuId : o.data.gpuId;
}

/** The model TWIN_MODEL names; an error says which setting to fix. */
function modelOf(path: string): LearnedModel {
  try {
    return loadModel(path).model;
  } catch (e) {
    if (e instanceof Error) e.message = `TWIN_MODEL: ${e.message}`;
    throw e;
  }
}

export function twinConfigFrom(c: {
  TWIN_SLO_SLOWDOWN: number;
  TWIN_SUSTAIN_SAMPLES: number;
  TWIN_SMOOTHING_SAMPLES: number;
  TWIN_OBSERVATION_EVERY: number;
  TWIN_MODEL?: string | undefined;
}): TwinConfig {
  return {
    ...(c.TWIN_MODEL && c.TWIN_MODEL !== 'none' ? { model: modelOf(c.TWIN_MODEL) } : {}),
    sloSlowdown: c.TWIN_SLO_SLOWDOWN,
    sustainSamples: c.TWIN_SUSTAIN_SAMPLES,
    smoothingSamples: c.TWIN_SMOOTHING_SAMPLES,
    observationEvery: c.TWIN_OBSERVATION_EVERY,
    source: 'twin',
    dedupeWindow: defaultTwinConfig.dedupeWindow,
    drift: defaultTwinConfig.drift,
    modelError: defaultTwinConfig.modelError,
    framebufferAlertAbove: defaultTwinConfig.framebufferAlertAbove,
    framebufferClearBelow: defaultTwinConfig.framebufferClearBelow,
    demandTolerancePct: defaultTwinConfig.demandTolerancePct,
    demandTolerance: defaultTwinConfig.demandTolerance,
    demandSamples: defaultTwinConfig.demandSamples,
  };
}
