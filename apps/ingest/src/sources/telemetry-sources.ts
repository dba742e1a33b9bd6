import {
  parseEvent,
  partitionKey,
  Streams,
  ValidationError,
  type DomainEvent,
  type InventoryEvent,
} from '@vgpu-twin/contracts';
import { LogUnavailableError, type EventLog } from '@vgpu-twin/event-log';
import { appendEvents, type Metrics } from '@vgpu-twin/service-kit';
import { packFor } from '../ingest.service';
import {
  dcgmReadings,
  discoverInventory,
  parseTelemetry,
  ProgressTracker,
  readingsToEvents,
  type Problem,
  type PromSample,
  type Reading,
  type TelemetryFormat,
  type TelemetryMapping,
} from '@vgpu-twin/telemetry-formats';
import type { InventoryView } from './inventory-view';
import { authorize, OPEN_SCOPE, type ClusterScope } from '../auth/scope';

/** How old an inventory view telemetry may be converted against (a GPU registered since is seen next time). */
const INVENTORY_STALE_MS = 250;

export interface SourceResult {
  /** The format read (detected when the request said `auto`). */
  readonly format: TelemetryFormat;
  readonly readings: number;
  readonly accepted: { readonly inventory: number; readonly telemetry: number };
  readonly problems: readonly Problem[];
  readonly warnings: readonly string[];
}

export interface CaptureOptions {
  readonly format: TelemetryFormat | 'auto';
  /** The host the capture comes from (required for `nvidia-smi vgpu -q`: its inventory is that host's). */
  readonly host: string | null;
  readonly cluster: string;
  /** The capture's time, for readings that carry none (an agent's buffered capture keeps its own). */
  readonly atMs: number;
  /**
   * The caller said when the capture was taken (`?at=`): that time wins over times printed inside
   * it (nvidia-smi's `timestamp` column is the host's local time).
   */
  readonly atIsCaptureTime?: boolean;
  readonly source: string;
  /** What the request's key may write (default: everything). */
  readonly scope?: ClusterScope;
}

export interface RemoteWriteStatus {
  requests: number;
  samples: number;
  readings: number;
  lastAt: string | null;
  lastError: string | null;
}

export interface AgentStatus {
  host: string;
  lastSeenAt: string;
  captures: number;
  /** Captures the agent's buffer dropped (oldest first) while ingest was unreachable, as it last reported. */
  bufferDropped: number;
  buffered: number;
}

/**
 * Real telemetry into the log: captures of dcgm-exporter, nvidia-smi and nvidia-smi vgpu (imports,
 * the host agent, scrapes) and Prometheus remote write. Each becomes inventory (discovery, from
 * `nvidia-smi vgpu -q`) and telemetry events through the pure conversions of
 * libs/telemetry-formats, against the inventory as the log holds it.
 */
export class TelemetrySources {
  private readonly progress: ProgressTracker;
  /** Each host's latest `--query-gpu` readings: discovery takes UUIDs, names and framebuffers from them. */
  private readonly hostGpus = new Map<string, Reading[]>();
  private readonly agents = new Map<string, AgentStatus>();
  private readonly remote: RemoteWriteStatus = {
    requests: 0,
    samples: 0,
    readings: 0,
    lastAt: null,
    lastError: null,
  };

  constructor(
    private readonly log: EventLog,
    private readonly view: InventoryView,
    private readonly mapping: TelemetryMapping,
    private readonly warn: (line: string) => void = () => undefined,
    private readonly metrics: Metrics | null = null,
    private readonly packMax = 1,
  ) {
    this.progress = new ProgressTracker(mapping.progress);
  }

  /** A capture file's text (`POST /v1/import`, the agent, a scrape). */
  async capture(text: string, opts: CaptureOptions): Promise<SourceResult> {
    const parsed = parseTelemetry(text, opts.format, opts.host !== null ? { host: opts.host } : {});
    if (opts.atIsCaptureTime) for (const r of parsed.readings) r.timestampMs = null;
    if (parsed.refused) {
      const cause = parsed.problems[parsed.problems.length - 1]; // the parser stops at the line that refuses it
      throw new ValidationError(
        `not valid ${parsed.format} text${cause ? ` (line ${cause.line}: ${cause.message})` : ''}; nothing was read`,
        parsed.problems.map((p) => ({ path: `line ${p.line}`, message: p.message })),
      );
    }
    // discovery compares with the whole inventory; telemetry takes a view up to 250 ms old
    await this.view.catchUp(parsed.format === 'nvidia-smi-vgpu' ? 0 : INVENTORY_STALE_MS);
    const problems: Problem[] = [...parsed.problems];
    const warnings: string[] = [];
    let inventory: InventoryEvent[] = [];
    if (parsed.format === 'nvidia-smi-csv' && opts.host !== null)
      this.hostGpus.set(opts.host, parsed.readings);
    if (parsed.format === 'nvidia-smi-vgpu') {
      if (opts.host === null)
        throw new ValidationError(
          "an nvidia-smi vgpu -q capture needs ?host=<its host>: it is that host's inventory",
        );
      const found = discoverInventory(this.view.index, this.mapping, {
        host: opts.host,
        clusterId: opts.cluster,
        vgpu: parsed.readings,
        gpus: this.hostGpus.get(opts.host) ?? [],
        atMs: opts.atMs,
        source: opts.source,
      });
      inventory = found.events;
      problems.push(...found.problems);
      warnings.push(...found.warnings);
      for (const w of found.warnings) this.warn(w);
      inventory = await this.append(Streams.inventory, inventory, problems, opts.scope);
      await this.view.catchUp();
    }
    const telemetry = await this.telemetry(parsed.readings, parsed.samples, opts, problems);
    this.metrics?.ingestSourceReadings.inc({ source: opts.source.split(':')[0]! }, parsed.readings.length);
    return {
      format: parsed.format,
      readings: parsed.readings.length,
      accepted: { inventory: inventory.length, telemetry },
      problems: problems.sort((a, b) => a.line - b.line),
      warnings,
    };
  }

  /** Prometheus remote write: samples already decoded from the request (see remote-write.ts). */
  async remoteWrite(
    samples: readonly PromSample[],
    atMs: number,
    scope?: ClusterScope,
  ): Promise<SourceResult> {
    this.remote.requests++;
    this.remote.samples += samples.length;
    this.remote.lastAt = new Date(atMs).toISOString();
    // one write carries several scrapes (Prometheus batches by time and target): each instant of
    // each target is one set of readings, its host the target's (`instance`) unless a label says
    const dcgm = { readings: [] as Reading[], problems: [] as Problem[] };
    for (const { host, samples: group } of byScrape(samples)) {
      const r = dcgmReadings(group, host !== null ? { host } : {});
      dcgm.readings.push(...r.readings);
      dcgm.problems.push(...r.problems);
    }
    await this.view.catchUp(INVENTORY_STALE_MS);
    const problems: Problem[] = [...dcgm.problems];
    const opts: CaptureOptions = {
      format: 'prometheus',
      host: null,
      cluster: '',
      atMs,
      source: 'remote-write',
      ...(scope ? { scope } : {}),
    };
    const telemetry = await this.telemetry(dcgm.readings, samples, opts, problems);
    this.remote.readings += dcgm.readings.length;
    this.metrics?.ingestSourceReadings.inc({ source: 'remote_write' }, dcgm.readings.length);
    this.remote.lastError = problems[0] ? `series ${problems[0].line}: ${problems[0].message}` : null;
    return {
      format: 'prometheus',
      readings: dcgm.readings.length,
      accepted: { inventory: 0, telemetry },
      problems,
      warnings: [],
    };
  }

  /** What an agent says of itself with each capture (its buffer's drops). */
  agentSeen(host: string, atMs: number, buffer: { dropped: number; buffered: number }): void {
    const a = this.agents.get(host) ?? { host, lastSeenAt: '', captures: 0, bufferDropped: 0, buffered: 0 };
    a.lastSeenAt = new Date(atMs).toISOString();
    a.captures++;
    a.bufferDropped = buffer.dropped;
    a.buffered = buffer.buffered;
    this.agents.set(host, a);
  }

  status(): { remoteWrite: RemoteWriteStatus; agents: AgentStatus[] } {
    return {
      remoteWrite: { ...this.remote },
      agents: [...this.agents.values()].sort((a, b) => a.host.localeCompare(b.host)),
    };
  }

  private async telemetry(
    readings: readonly Reading[],
    samples: readonly PromSample[],
    opts: CaptureOptions,
    problems: Problem[],
  ): Promise<number> {
    const converted = readingsToEvents(readings, {
      index: this.view.index,
      mapping: this.mapping,
      atMs: opts.atMs,
      host: opts.host,
      source: opts.source,
    });
    problems.push(...converted.problems);
    const events: DomainEvent[] = [...converted.events];
    if (samples.length > 0 && this.progress.enabled) {
      const progress = this.progress.observe(samples, opts.atMs, this.view.index, opts.source);
      events.push(...progress.events);
      for (const vm of progress.unplaced)
        problems.push({
          line: 0,
          message: `progress of VM ${vm}, which the inventory does not place: dropped`,
        });
    }
    return (await this.append(Streams.telemetry, events, problems, opts.scope)).length;
  }

  /**
   * Appends what passes its contract (a host's names can break an id's limits) and the key's
   * cluster check; the rest are problems. Returns what was appended.
   */
  private async append<E extends DomainEvent>(
    stream: string,
    events: readonly E[],
    problems: Problem[],
    scope: ClusterScope = OPEN_SCOPE,
  ): Promise<E[]> {
    const valid: E[] = [];
    for (const e of events) {
      const r = parseEvent(e);
      if (r.ok) valid.push(e);
      else
        problems.push({
          line: 0,
          message: `${e.type} not recorded: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        });
    }
    const { allowed, forbidden } = authorize(valid, scope, this.view.index);
    for (const f of forbidden)
      problems.push({ line: 0, message: `${valid[f.at]!.type} not recorded: ${f.reason}` });
    if (allowed.length === 0) return [];
    const timer = this.metrics?.ingestAppendSeconds.startTimer();
    try {
      await appendEvents(this.log, new Map([[stream, allowed]]), partitionKey, packFor(stream, this.packMax));
      this.metrics?.ingestAccepted.inc({ stream }, allowed.length);
    } catch (e) {
      if (e instanceof LogUnavailableError) throw e;
      throw new LogUnavailableError((e as Error).message);
    } finally {
      timer?.();
    }
    return allowed;
  }
}

function byScrape(samples: readonly PromSample[]): { host: string | null; samples: PromSample[] }[] {
  const groups = new Map<string, { host: string | null; t: number; samples: PromSample[] }>();
  for (const s of samples) {
    const t = s.timestampMs ?? 0;
    const instance = s.labels.instance ?? '';
    const key = `${t} ${instance}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { host: hostOfInstance(instance), t, samples: [] }));
    g.samples.push(s);
  }
  return [...groups.values()].sort((a, b) => a.t - b.t);
}

/** `10.0.0.7:9400` → `10.0.0.7`, `[::1]:9400` → `::1`; null for no instance. */
function hostOfInstance(instance: string): string | null {
  if (instance === '') return null;
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(instance) ?? /^([^:]+)(?::\d+)?$/.exec(instance);
  return m?.[1] ?? instance;
}
