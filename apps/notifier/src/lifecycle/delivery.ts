import { Logger } from '@nestjs/common';
import { Streams, partitionKey, type LifecycleEvent, type NotificationRequested } from '@vgpu-twin/contracts';
import type { Consumer, EventLog, LogRecord } from '@vgpu-twin/event-log';
import { appendEvents, deadLetter, decodeRecords } from '@vgpu-twin/service-kit';
import { sendNotification } from '../delivery/http-delivery';
import type { Receiver } from '../delivery/receivers';
import { deliverWithRetries, type RetryPolicy } from '../delivery/retry';

const logger = new Logger('Delivery');

export interface DeliveryOptions {
  /** Shared by every notifier instance: the notifications stream's partitions are split among them. */
  readonly group: string;
  readonly receivers: readonly Receiver[];
  readonly secret?: string;
  readonly policy: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told of every delivery outcome (metrics). */
  readonly onOutcome?: (receiver: string, delivered: boolean, attempts: number) => void;
}

/**
 * Sends what the decider queued. The notifications stream is the durable queue: a record's
 * offset is committed only once it was delivered or dead-lettered, so a restart loses nothing
 * queued; a receiver's notifications share a key (one partition, in order), and the partitions
 * are shared among the notifier instances by a consumer group, so each notification is sent by
 * one of them. Within a batch, receivers are served side by side: one that is down delays only
 * its own queue's commit, not another receiver's sending. Each outcome is a lifecycle event.
 */
export class DeliveryWorker {
  private consumer: Consumer | null = null;
  private stopping = false;
  private readonly byName: ReadonlyMap<string, Receiver>;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly log: EventLog,
    private readonly options: DeliveryOptions,
  ) {
    this.byName = new Map(options.receivers.map((r) => [r.name, r]));
    this.sleep =
      options.sleep ??
      ((ms) =>
        new Promise((resolve, reject) => {
          if (this.stopping) return reject(new Error('stopping'));
          setTimeout(resolve, ms).unref();
        }));
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.consumer = await this.log.consume({
      group: this.options.group,
      streams: [Streams.notifications],
      startFrom: 'committed-or-beginning',
      maxBatchSize: 100,
      handler: (batch) => this.deliver(batch),
      onError: (e) => {
        if (!this.stopping)
          logger.error(`delivery batch failed, will retry: ${e instanceof Error ? e.message : String(e)}`);
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.stop();
    this.consumer = null;
  }

  private async deliver(batch: readonly LogRecord[]): Promise<void> {
    const { events, bad } = decodeRecords(batch);
    await deadLetter(this.log, 'notifier:delivery', bad);
    const queues = new Map<string, NotificationRequested[]>();
    for (const { event } of events) {
      if (event.type !== 'notification.requested') continue;
      const q = queues.get(event.data.receiver) ?? [];
      q.push(event);
      queues.set(event.data.receiver, q);
    }
    await Promise.all([...queues.values()].map((q) => this.serve(q)));
  }

  /** One receiver's notifications, in order. */
  private async serve(queue: readonly NotificationRequested[]): Promise<void> {
    for (const n of queue) {
      const outcome = await this.send(n);
      await appendEvents(this.log, new Map([[Streams.lifecycle, [outcome]]]), partitionKey);
    }
  }

  private async send(n: NotificationRequested): Promise<LifecycleEvent> {
    const { notificationId, receiver: name, receiverKind, incidentId } = n.data;
    const ref = { notificationId, receiver: name, receiverKind, incidentId };
    const receiver = this.byName.get(name);
    const base = { version: 1 as const, ts: new Date().toISOString(), source: 'notifier' };
    if (!receiver) {
      this.options.onOutcome?.(name, false, 1);
      const error = `receiver "${name}" is not configured on this notifier (NOTIFIER_WEBHOOK_URLS / NOTIFIER_ALERTMANAGER_URL)`;
      return this.dead(n, {
        ...base,
        id: `${notificationId}/dead`,
        type: 'notification.dead_lettered',
        data: { ...ref, attempts: 1, error },
      });
    }
    const { policy } = this.options;
    const outcome = await deliverWithRetries(
      () =>
        sendNotification(receiver, n.data.body, {
          timeoutMs: policy.timeoutMs,
          notificationId,
          ...(this.options.secret ? { secret: this.options.secret } : {}),
        }),
      policy,
      notificationId,
      this.sleep,
      (r) => {
        if (!r.result.ok && r.retryInMs !== null)
          logger.warn(
            `${name}: attempt ${r.attempt} failed (${r.result.error}); retrying in ${r.retryInMs} ms`,
          );
      },
    );
    this.options.onOutcome?.(name, outcome.delivered, outcome.attempts);
    const ts = new Date().toISOString();
    if (outcome.delivered)
      return {
        ...base,
        ts,
        id: `${notificationId}/delivered`,
        type: 'notification.delivered',
        data: { ...ref, attempts: outcome.attempts, httpStatus: outcome.httpStatus },
      };
    logger.error(`${name}: notification ${notificationId} dead-lettered: ${outcome.error}`);
    return this.dead(n, {
      ...base,
      ts,
      id: `${notificationId}/dead`,
      type: 'notification.dead_lettered',
      data: { ...ref, attempts: outcome.attempts, error: outcome.error },
    });
  }

  /** The notification itself goes to the dead-letter stream, where an operator can inspect or re-send it. */
  private async dead(n: NotificationRequested, event: LifecycleEvent): Promise<LifecycleEvent> {
    const reason = event.type === 'notification.dead_lettered' ? event.data.error : 'dead-lettered';
    await this.log.append(Streams.deadLetter, [
      {
        key: `${Streams.notifications}/${n.data.receiver}`,
        timestamp: Date.parse(event.ts),
        value: JSON.stringify({
          consumer: 'notifier:delivery',
          reason,
          stream: Streams.notifications,
          key: n.data.receiver,
          value: JSON.stringify(n),
        }),
      },
    ]);
    return event;
  }
}
