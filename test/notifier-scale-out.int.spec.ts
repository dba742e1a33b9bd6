import type { INestApplication } from '@nestjs/common';
import { Streams, type AlertView, type IncidentView, type LifecycleEvent } from '@vgpu-twin/contracts';
import { KafkaEventLog, partitionFor, prefixed, type EventLog } from '@vgpu-twin/event-log';
import { streamSpecs } from '@vgpu-twin/service-kit';
import { AssignerProtocol, Kafka, logLevel, type Admin } from 'kafkajs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAll } from '../libs/event-log/src/testing/event-log-contract';
import { LifecycleDecider } from '../apps/notifier/src/lifecycle/decider';
import {
  api,
  append,
  bootNotifier,
  connect,
  inventory,
  raised,
  resolved,
  until,
  type Client,
} from '../apps/notifier/src/testing/notifier-harness';
import { describeIf, kafkaBrokers, warmUpKafka } from './support/components';

/**
 * Two notifier instances on a real Kafka broker, as two pods would run: the same NOTIFIER_GROUP,
 * each its own NOTIFIER_INSTANCE and SQLite history. One decides at a time (the alerts stream has
 * one partition, read in the shared `<group>.decider`), the notifications' partitions are split
 * in `<group>.delivery`, and each instance folds the whole lifecycle stream for its own API and
 * sockets. Both must serve the same alerts, every notification must reach its receiver once, and
 * when the deciding instance stops the other must take over.
 */
const brokers = kafkaBrokers();

/** What a webhook receiver got: the notification id header, and the body. */
interface Delivery {
  readonly path: string;
  readonly notificationId: string;
  readonly body: {
    status: 'firing' | 'resolved';
    groupKey: string;
    alerts: { status: 'firing' | 'resolved'; generatorURL: string; annotations: Record<string, string> }[];
  };
}
interface ReceiverStatus {
  name: string;
  queued: number;
  delivered: number;
  deadLettered: number;
  pending: number;
}
interface Instance {
  readonly name: string;
  readonly app: INestApplication;
  readonly url: string;
  readonly client: Client;
}

describeIf(brokers)('notifier scale-out on Kafka (two instances, shared decider and delivery groups)', () => {
  jest.setTimeout(120_000);
  const prefix = `ns${Date.now()}.`; // a run of its own: its topics and groups
  const PARTITIONS = 3; // of vgpu.notifications
  // Three names for the one receiver, one on each partition (murmur2 of the name, checked
  // below): whichever partitions each instance is given, both instances deliver.
  const RECEIVERS = ['ops', 'slack', 'chat'] as const;
  const dirs: string[] = [];
  const logs: EventLog[] = [];
  const instances: Instance[] = [];
  const deliveries: Delivery[] = [];
  let hook: Server;
  let hookUrl: string;
  let writer: EventLog;
  let admin: Admin;

  const boot = async (name: string): Promise<Instance> => {
    const dir = mkdtempSync(join(tmpdir(), `vgpu-notifier-${name}-`));
    dirs.push(dir);
    const { app, url } = await bootNotifier(dir, {
      EVENT_LOG: 'kafka',
      KAFKA_BROKERS: brokers!.join(','),
      KAFKA_REPLICATION_FACTOR: '1',
      KAFKA_TELEMETRY_PARTITIONS: String(PARTITIONS),
      KAFKA_CLIENT_ID: `notifier-${name}`,
      VGPU_TWIN_STREAM_PREFIX: prefix,
      NOTIFIER_GROUP: 'notifier',
      NOTIFIER_INSTANCE: name,
      NOTIFIER_WEBHOOK_URLS: RECEIVERS.map((r) => `${r}=${hookUrl}/${r}`).join(','),
      NOTIFIER_GROUP_WAIT_MS: '0',
      NOTIFIER_GROUP_INTERVAL_MS: '300',
      NOTIFIER_REPEAT_INTERVAL_MS: '3600000', // no repeats within the test: every notification is news
      NOTIFIER_TICK_MS: '100',
    });
    const client = await connect(url);
    expect(await client.subscribe(['cluster:cluster-a'])).toMatchObject({ rooms: ['cluster:cluster-a'] });
    const instance = { name, app, url, client };
    instances.push(instance);
    return instance;
  };
  const deciding = (i: Instance) => i.app.get(LifecycleDecider).active;
  const lifecycle = async () =>
    (await readAll(writer, Streams.lifecycle)).map((r) => JSON.parse(r.value) as LifecycleEvent);
  /** The alert and incident events of cluster-a: what a `cluster:cluster-a` subscriber is pushed. */
  const clusterA = (events: readonly LifecycleEvent[]) =>
    events.filter((e) => {
      if ('alert' in e.data) return e.data.alert.labels.cluster === 'cluster-a';
      if ('incident' in e.data) return e.data.incident.clusterId === 'cluster-a';
      return false;
    });
  const pushed = (i: Instance) =>
    i.client.received.filter((r) => r.channel === 'lifecycle').map((r) => r.event.id);
  const queuedIds = (events: readonly LifecycleEvent[]) =>
    events.filter((e) => e.type === 'notification.queued').map((e) => e.id.replace(/\/queued$/, ''));
  const receivers = async (i: Instance) =>
    (await api<{ receivers: ReceiverStatus[] }>(i.url, '/v1/receivers')).body.receivers;
  const alertOf = (a: Delivery['body']['alerts'][number]) =>
    decodeURIComponent(a.generatorURL.slice(a.generatorURL.indexOf('?alert=') + '?alert='.length));
  /** The last status each receiver was told of each alert. */
  const lastTold = () => {
    const told = new Map<string, string>();
    for (const d of deliveries) for (const a of d.body.alerts) told.set(`${d.path} ${alertOf(a)}`, a.status);
    return told;
  };
  /**
   * Who holds what in a shared group, as the broker says once the group is stable: client id
   * (the instance) → topic → partitions; null while it rebalances.
   */
  const holders = async (group: 'decider' | 'delivery') => {
    const [g] = (await admin.describeGroups([`${prefix}notifier.${group}`])).groups;
    if (g?.state !== 'Stable') return null;
    const out: Record<string, Record<string, number[]>> = {};
    for (const m of g.members) {
      const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      out[m.clientId] = Object.fromEntries(
        Object.entries(decoded?.assignment ?? {}).map(([t, ps]) => [
          t.slice(prefix.length),
          [...ps].sort((x, y) => x - y),
        ]),
      );
    }
    return out;
  };
  const countBy = <T>(xs: readonly T[]) => {
    const m = new Map<T, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };

  beforeAll(async () => {
    await warmUpKafka(brokers!);
    hook = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        deliveries.push({
          path: (req.url ?? '').slice(1),
          notificationId: String(req.headers['x-vgpu-twin-notification-id']),
          body: JSON.parse(raw) as Delivery['body'],
        });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
    writer = prefixed(
      new KafkaEventLog({ brokers: brokers!, clientId: 'notifier-so-writer', replicationFactor: 1 }),
      prefix,
    );
    logs.push(writer);
    await writer.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: PARTITIONS }));
    await append(writer, inventory());
    admin = new Kafka({
      clientId: 'notifier-so-admin',
      brokers: brokers!,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    for (const i of instances) {
      i.client.close();
      await i.app.close().catch(() => undefined);
    }
    await Promise.all(logs.map((l) => l.close().catch(() => undefined)));
    await admin?.disconnect();
    hook?.closeAllConnections();
    await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('serves the same lifecycle from both instances and delivers every notification once', async () => {
    expect(RECEIVERS.map((r) => partitionFor(r, PARTITIONS))).toEqual([0, 1, 2]);
    const a = await boot('a');
    const b = await boot('b');
    // one decides, the other stands by (after b joined, the group rebalanced)
    await until('exactly one instance deciding', async () => deciding(a) !== deciding(b), 60_000);
    const decider = deciding(a) ? a : b;
    const standby = decider === a ? b : a;
    expect(await until('a stable decider group', () => holders('decider'), 30_000)).toEqual({
      [`notifier-${decider.name}`]: { [Streams.alerts]: [0] },
      [`notifier-${standby.name}`]: {},
    });
    // each instance delivers some of the receivers' queues, none of them both
    const delivery = await until('a stable delivery group', () => holders('delivery'), 30_000);
    expect(Object.keys(delivery).sort()).toEqual(['notifier-a', 'notifier-b']);
    const split = Object.values(delivery).map((d) => d[Streams.notifications] ?? []);
    expect(split.every((ps) => ps.length > 0)).toBe(true);
    expect(split.flat().sort((x, y) => x - y)).toEqual([0, 1, 2]);

    await append(writer, [
      raised('interference:vm-1:s', 'interference', 'vm-1', 10), // gpu-1, vm-3 the aggressor…
      raised('interference:vm-2:s', 'interference', 'vm-2', 11), // …the same incident
      raised('framebuffer:vm-1:s', 'framebuffer', 'vm-1', 12, null), // gpu-1, another cause
      raised('interference:vm-4:s', 'interference', 'vm-4', 13, null), // gpu-2, aggressor unknown
      raised('interference:vm-9:s', 'interference', 'vm-9', 14, null), // cluster-b: not pushed to cluster-a
    ]);
    const firing = [
      'interference:vm-1:s',
      'interference:vm-2:s',
      'framebuffer:vm-1:s',
      'interference:vm-4:s',
    ];
    await until(
      'every alert told as firing to both receivers',
      async () =>
        RECEIVERS.every((r) =>
          [...firing, 'interference:vm-9:s'].every((id) => lastTold().get(`${r} ${id}`) === 'firing'),
        ),
      60_000,
    );
    await append(writer, [
      resolved('interference:vm-1:s', 'interference', 'vm-1', 30), // its incident stays open (vm-2)
      resolved('framebuffer:vm-1:s', 'framebuffer', 'vm-1', 31), // its incident resolves
      resolved('interference:vm-9:s', 'interference', 'vm-9', 32),
    ]);
    const final: Record<string, 'firing' | 'resolved'> = {
      'interference:vm-1:s': 'resolved',
      'interference:vm-2:s': 'firing',
      'framebuffer:vm-1:s': 'resolved',
      'interference:vm-4:s': 'firing',
      'interference:vm-9:s': 'resolved',
    };
    await until(
      'every receiver told of each alert’s end',
      async () =>
        RECEIVERS.every((r) => Object.entries(final).every(([id, s]) => lastTold().get(`${r} ${id}`) === s)),
      60_000,
    );
    // an operator's command through the instance that does not decide: the decider decides it,
    // and the standby answers once its own view has folded the decision
    const acked = await api<{ alert: AlertView }>(standby.url, '/v1/alerts/interference:vm-2:s/ack', {
      method: 'POST',
      body: { by: 'alice', note: 'moving vm-3' },
    });
    expect(acked.status).toBe(200);
    expect(acked.body.alert).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'alice' } });
    // both views have folded every queued notification's outcome
    await until(
      'nothing pending on either instance',
      async () => {
        const queued = queuedIds(await lifecycle()).length;
        for (const i of [a, b]) {
          const rs = await receivers(i);
          if (rs.reduce((n, r) => n + r.delivered, 0) !== queued || rs.some((r) => r.pending > 0))
            return false;
        }
        return true;
      },
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1000)); // > group interval + ticks: a late duplicate would show

    const events = await lifecycle();
    const expected = [...new Set(clusterA(events).map((e) => e.id))].sort();
    expect(expected.length).toBeGreaterThan(0);
    // (a) the same lifecycle pushed by each instance, each event once, cluster-b's not at all
    for (const i of [a, b]) {
      expect({ instance: i.name, pushed: [...pushed(i)].sort() }).toEqual({
        instance: i.name,
        pushed: expected,
      });
    }
    // (b) every queued notification reached its receiver exactly once, whichever instance sent it
    const queued = queuedIds(events);
    expect(new Set(queued).size).toBe(queued.length);
    const perId = countBy(deliveries.map((d) => d.notificationId));
    expect([...perId].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...perId.keys()].sort()).toEqual([...queued].sort());
    // per receiver: 4 incidents told firing, then 3 told of a change (2 resolved, 1 lost an alert)
    expect(queued.length).toBeGreaterThanOrEqual(RECEIVERS.length * (4 + 3));
    for (const i of [a, b]) {
      const rs = await receivers(i);
      expect(rs.map((r) => r.name)).toEqual([...RECEIVERS]);
      for (const r of rs)
        expect({ instance: i.name, ...r }).toMatchObject({
          instance: i.name,
          queued: deliveries.filter((d) => d.path === r.name).length,
          delivered: deliveries.filter((d) => d.path === r.name).length,
          deadLettered: 0,
          pending: 0,
        });
    }
    // (c) both histories agree, alert for alert
    const history = async (i: Instance) =>
      (await api<{ alerts: AlertView[] }>(i.url, '/v1/alerts?limit=100')).body.alerts;
    const [ha, hb] = [await history(a), await history(b)];
    expect(ha.map((x) => [x.alertId, x.state])).toEqual([
      ['interference:vm-9:s', 'resolved'],
      ['interference:vm-4:s', 'firing'],
      ['framebuffer:vm-1:s', 'resolved'],
      ['interference:vm-2:s', 'acknowledged'],
      ['interference:vm-1:s', 'resolved'],
    ]); // newest startsAt first
    expect(hb).toEqual(ha);
    const incidents = async (i: Instance) =>
      (await api<{ incidents: IncidentView[] }>(i.url, '/v1/incidents?limit=100')).body.incidents;
    const ia = await incidents(a);
    expect(ia.map((x) => x.status).sort()).toEqual(['open', 'open', 'resolved', 'resolved']);
    expect(await incidents(b)).toEqual(ia);
  });

  it('hands deciding and delivery to the survivor when the deciding instance stops', async () => {
    const holder = instances.find(deciding)!;
    const survivor = instances.find((i) => i !== holder)!;
    expect(deciding(survivor)).toBe(false);
    const before = deliveries.length;
    holder.client.close();
    await holder.app.close();
    instances.splice(instances.indexOf(holder), 1);
    await until('the survivor to decide', async () => deciding(survivor), 60_000);
    const alone = await until(
      'the survivor alone in the delivery group',
      async () => {
        const h = await holders('delivery');
        return h && Object.keys(h).length === 1 ? h : null;
      },
      60_000,
    );
    expect(alone).toEqual({ [`notifier-${survivor.name}`]: { [Streams.notifications]: [0, 1, 2] } });

    await append(writer, [raised('interference:vm-3:s', 'interference', 'vm-3', 50, 'vm-1')]); // a new incident on gpu-1
    const opened = await until(
      'the new alert decided',
      async () => {
        const r = await api<{ alert: AlertView }>(survivor.url, '/v1/alerts/interference:vm-3:s');
        return r.status === 200 ? r.body.alert : null;
      },
      60_000,
    );
    expect(opened).toMatchObject({ state: 'firing', aggressorVmId: 'vm-1' });
    await until(
      'the new alert told to both receivers',
      async () => RECEIVERS.every((r) => lastTold().get(`${r} interference:vm-3:s`) === 'firing'),
      60_000,
    );
    await until(
      'nothing pending on the survivor',
      async () => (await receivers(survivor)).every((r) => r.pending === 0),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1000));

    // exactly one notification per receiver, about the new incident only: taking over re-sent
    // nothing of the incidents told before
    const after = deliveries.slice(before);
    const byPath = (x: { path: string }, y: { path: string }) => x.path.localeCompare(y.path);
    expect(
      after.map((d) => ({ path: d.path, incident: d.body.alerts[0]?.annotations['incident'] })).sort(byPath),
    ).toEqual(RECEIVERS.map((path) => ({ path, incident: opened.incidentId })).sort(byPath));
    const perId = countBy(deliveries.map((d) => d.notificationId));
    expect([...perId].filter(([, n]) => n !== 1)).toEqual([]);
    const queued = queuedIds(await lifecycle());
    expect([...perId.keys()].sort()).toEqual([...queued].sort());
    expect(
      survivor.client.received.filter(
        (r) =>
          r.channel === 'lifecycle' &&
          r.event.type === 'alert.opened' &&
          r.event.data.alert.alertId === 'interference:vm-3:s',
      ),
    ).toHaveLength(1);
    const rs = await receivers(survivor);
    for (const r of rs)
      expect(r).toMatchObject({
        queued: deliveries.filter((d) => d.path === r.name).length,
        delivered: deliveries.filter((d) => d.path === r.name).length,
        deadLettered: 0,
      });
  });
});
