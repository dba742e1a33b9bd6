import type { EventLog } from '@vgpu-twin/event-log';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics (prom-client), one registry for whatever services the process
 * composes: `vgpu_twin_<service>_…` in base units (`_seconds`, `_total` for counters), plus
 * prom-client's process and Node.js defaults. Served at `GET /metrics` by every service.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly ingestAccepted: Counter<'stream'>;
  readonly ingestRejected: Counter<'stream' | 'reason'>;
  readonly ingestBatchRecords: Histogram;
  readonly ingestAppendSeconds: Histogram;
  readonly ingestSourceReadings: Counter<'source'>;

  readonly twinEventsApplied: Counter;
  readonly twinPredictions: Counter;
  readonly twinAlertsRaised: Counter<'kind'>;

  readonly notifierPushes: Counter<'event'>;
  readonly notifierNotifications: Counter<'receiver' | 'outcome'>;

  readonly httpRequests: Counter<'service' | 'method' | 'route' | 'status'>;
  readonly httpSeconds: Histogram<'service' | 'method' | 'route'>;

  private readonly lagSources: { group: string; streams: readonly string[]; log: EventLog }[] = [];
  private readonly gauges = new Set<string>();
  private scrapeSource: (() => Promise<string>) | null = null;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.ingestAccepted = new Counter({
      name: 'vgpu_twin_ingest_records_accepted_total',
      help: 'Records ingest appended to the log, by stream',
      labelNames: ['stream'],
      registers,
    });
    this.ingestRejected = new Counter({
      name: 'vgpu_twin_ingest_records_rejected_total',
      help: 'Records ingest refused, by stream and reason (invalid, unreadable, forbidden)',
      labelNames: ['stream', 'reason'],
      registers,
    });
    this.ingestBatchRecords = new Histogram({
      name: 'vgpu_twin_ingest_batch_records',
      help: 'Records per ingest request',
      buckets: [1, 10, 100, 1_000, 10_000, 50_000],
      registers,
    });
    this.ingestAppendSeconds = new Histogram({
      name: 'vgpu_twin_ingest_append_duration_seconds',
      help: 'Time for the log to make a batch durable',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.ingestSourceReadings = new Counter({
      name: 'vgpu_twin_ingest_source_readings_total',
      help: 'Readings of real telemetry sources, by source (scrape, remote_write, import, agent)',
      labelNames: ['source'],
      registers,
    });
    this.twinEventsApplied = new Counter({
      name: 'vgpu_twin_twin_events_applied_total',
      help: 'Events the twin folded into its state',
      registers,
    });
    this.twinPredictions = new Counter({
      name: 'vgpu_twin_twin_predictions_total',
      help: 'Predictions the twin emitted',
      registers,
    });
    this.twinAlertsRaised = new Counter({
      name: 'vgpu_twin_twin_alerts_raised_total',
      help: 'Alerts the twin raised, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.notifierPushes = new Counter({
      name: 'vgpu_twin_notifier_pushes_total',
      help: 'Events pushed to socket.io rooms, by socket.io event (alert, twin, inventory)',
      labelNames: ['event'],
      registers,
    });
    this.notifierNotifications = new Counter({
      name: 'vgpu_twin_notifier_notifications_total',
      help: 'Webhook and Alertmanager notifications, by receiver and outcome (delivered, dead_lettered)',
      labelNames: ['receiver', 'outcome'],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'vgpu_twin_http_requests_total',
      help: 'HTTP requests answered, by service, method, route and status',
      labelNames: ['service', 'method', 'route', 'status'],
      registers,
    });
    this.httpSeconds = new Histogram({
      name: 'vgpu_twin_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['service', 'method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    const rows = () => this.lagRows();
    new Gauge({
      name: 'vgpu_twin_log_consumer_lag_records',
      help: 'Records of a stream partition a consumer group has not committed yet',
      labelNames: ['group', 'stream', 'partition'],
      registers,
      async collect() {
        this.reset();
        for (const r of await rows())
          this.set({ group: r.group, stream: r.stream, partition: String(r.partition) }, r.lag);
      },
    });
  }

  /** What `GET /metrics` serves: this registry, or what `aggregateWith` was given (a worker pool's sum). */
  exposition(): Promise<string> {
    return this.scrapeSource ? this.scrapeSource() : this.registry.metrics();
  }

  /** Serves `source` at `GET /metrics` instead of this registry alone (a pool worker asks its primary). */
  aggregateWith(source: () => Promise<string>): void {
    this.scrapeSource = source;
  }

  /** Reports a consumer group's lag on these streams at every scrape. */
  watchLag(log: EventLog, group: string, streams: readonly string[]): void {
    this.lagSources.push({ group, streams, log });
  }

  /** A gauge read at scrape time (null: no value now, the series is left out). */
  gauge(name: string, help: string, read: () => number | null, labels: Record<string, string> = {}): void {
    if (this.gauges.has(name)) return;
    this.gauges.add(name);
    new Gauge({
      name,
      help,
      labelNames: Object.keys(labels),
      registers: [this.registry],
      collect() {
        this.reset();
        const v = read();
        if (v !== null) this.set(labels, v);
      },
    });
  }

  /** Consumer lag of every watched group, summed per group (the readiness check reads it). */
  async lagByGroup(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const r of await this.lagRows()) out.set(r.group, (out.get(r.group) ?? 0) + r.lag);
    return out;
  }

  private async lagRows(): Promise<{ group: string; stream: string; partition: number; lag: number }[]> {
    const out: { group: string; stream: string; partition: number; lag: number }[] = [];
    for (const { group, streams, log } of this.lagSources) {
      for (const stream of streams) {
        const [ends, committed] = await Promise.all([
          log.endOffsets(stream),
          log.committedOffsets(group, stream),
        ]);
        const at = new Map(committed.map((c) => [c.partition, c.offset]));
        for (const e of ends)
          out.push({
            group,
            stream,
            partition: e.partition,
            lag: Math.max(0, e.offset - (at.get(e.partition) ?? 0)),
          });
      }
    }
    return out;
  }
}
