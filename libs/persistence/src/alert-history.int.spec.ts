import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Streams,
  ValidationError,
  fixtures,
  parseEventOrThrow,
  type AlertChangeEvent,
  type AlertLabels,
  type AlertState,
  type AlertView,
  type IncidentChangeEvent,
  type IncidentView,
  type LifecycleEvent,
  type SilenceChangeEvent,
  type SilenceView,
} from '@vgpu-twin/contracts';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { databaseUrl, describeIf } from '../../../test/support/components';
import { AlertHistoryRepository, type AlertQuery, type PositionedLifecycleEvent } from './alert-history';
import { openDataSource, type StoreConfig } from './data-source';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Every fixture goes through the contracts' parser, so it cannot drift from the schemas. */
const lifecycle = (raw: unknown): LifecycleEvent =>
  parseEventOrThrow(raw, Streams.lifecycle) as LifecycleEvent;

type ViewOverrides = Partial<Omit<AlertView, 'labels'>> & { readonly labels?: Partial<AlertLabels> };
function alertView(alertId: string, o: ViewOverrides = {}): AlertView {
  const { labels, ...rest } = o;
  return {
    alertId,
    fingerprint: '0123456789abcdef',
    incidentId: 'incident-1',
    state: 'firing',
    labels: {
      alertname: 'VgpuInterference',
      cluster: 'cluster-a',
      host: 'host-1',
      gpu: 'gpu-1',
      vm: 'vm-1',
      kind: 'interference',
      severity: 'warning',
      workload: 'resnet50-train',
      ...labels,
    },
    message: `${alertId} runs 1.84× slower than alone`,
    aggressorVmId: 'vm-2',
    evidence: {
      observedSlowdown: 1.84,
      predictedSlowdown: 1.8,
      threshold: 1.5,
      samples: 5,
      windowStart: iso(T0),
      windowEnd: iso(T0 + 4_000),
    },
    startsAt: iso(T0),
    endsAt: null,
    acknowledged: null,
    silencedBy: [],
    inhibitedBy: null,
    flapping: false,
    ...rest,
  };
}

function alertEvent(
  type: AlertChangeEvent['type'],
  alert: AlertView,
  from: AlertState | null,
  o: { readonly id?: string; readonly actor?: string; readonly ts?: string } = {},
): LifecycleEvent {
  return lifecycle({
    id: o.id ?? `${type}/${alert.alertId}`,
    type,
    version: 1,
    ts: o.ts ?? alert.startsAt,
    source: 'notifier-test',
    data: { alert, from, reason: `${type} in a test`, actor: o.actor ?? null },
  });
}
const opened = (alert: AlertView) => alertEvent('alert.opened', alert, null);

function incidentView(incidentId: string, o: Partial<IncidentView> = {}): IncidentView {
  return {
    incidentId,
    clusterId: 'cluster-a',
    hostId: 'host-1',
    gpuId: 'gpu-1',
    cause: 'aggressor:vm-2',
    aggressorVmId: 'vm-2',
    title: `vm-2 slows its neighbours (${incidentId})`,
    status: 'open',
    alertIds: ['a-1'],
    activeAlertIds: ['a-1'],
    suggestion: null,
    openedAt: iso(T0),
    resolvedAt: null,
    ...o,
  };
}
const incidentEvent = (type: IncidentChangeEvent['type'], incident: IncidentView) =>
  lifecycle({
    id: `${type}/${incident.incidentId}`,
    type,
    version: 1,
    ts: incident.openedAt,
    source: 'notifier-test',
    data: { incident, reason: type },
  });

function silenceView(silenceId: string, o: Partial<SilenceView> = {}): SilenceView {
  return {
    silenceId,
    matchers: [{ name: 'gpu', op: '=', value: 'gpu-1' }],
    startsAt: iso(T0),
    endsAt: iso(T0 + 60 * MIN),
    createdBy: 'ops@example.com',
    comment: 'maintenance',
    state: 'active',
    expiredBy: null,
    ...o,
  };
}
const silenceEvent = (type: SilenceChangeEvent['type'], silence: SilenceView) =>
  lifecycle({
    id: `${type}/${silence.silenceId}`,
    type,
    version: 1,
    ts: silence.startsAt,
    source: 'notifier-test',
    data: { silence, reason: type },
  });

/** Positions the events one after another from `first`. */
const positioned = (first: number, events: readonly LifecycleEvent[]): PositionedLifecycleEvent[] =>
  events.map((event, i) => ({ position: first + i, event }));

interface ContractOptions {
  /** Two notifiers applying at once: PostgreSQL only (SQLite has one writer per file, in-process here). */
  readonly concurrentWriters: boolean;
}

function alertHistoryContract(
  name: string,
  fresh: () => Promise<StoreConfig>,
  options: ContractOptions,
): void {
  describe(`alert history store: ${name}`, () => {
    const open: DataSource[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((ds) => ds.destroy()));
    });
    /** A store over a database of its own (the migration runs from nothing), or over `config`'s. */
    async function store(
      config?: StoreConfig,
    ): Promise<{ store: AlertHistoryRepository; config: StoreConfig }> {
      const c = config ?? (await fresh());
      const ds = await openDataSource(c);
      open.push(ds);
      return { store: new AlertHistoryRepository(ds), config: c };
    }
    const ids = async (s: AlertHistoryRepository, q: Omit<AlertQuery, 'limit'>): Promise<string[]> =>
      (await s.alerts({ limit: 1000, ...q })).alerts.map((a) => a.alertId);

    it('is empty before any event: position -1, no alerts, incidents or silences', async () => {
      const { store: s } = await store();
      expect(await s.position()).toBe(-1);
      expect(await s.alerts({ limit: 10 })).toEqual({ alerts: [], nextCursor: null });
      expect(await s.alert('a-1')).toBeNull();
      expect(await s.incidents({ limit: 10 })).toEqual({ incidents: [], nextCursor: null });
      expect(await s.incident('incident-1')).toBeNull();
      expect(await s.silences({})).toEqual([]);
      expect(await s.silence('silence-1')).toBeNull();
    });

    it('folds opened → acknowledged → closed into the last view and three transitions in order', async () => {
      const { store: s } = await store();
      const firing = alertView('a-1');
      const ack = { by: 'ops@example.com', note: 'looking', at: iso(T0 + MIN) };
      const acked = { ...firing, state: 'acknowledged' as const, acknowledged: ack };
      const closed = { ...acked, state: 'resolved' as const, endsAt: iso(T0 + 5 * MIN) };
      const P = 5_000_000_000; // past 2^32: positions are bigint
      await s.apply(
        positioned(P, [
          opened(firing),
          alertEvent('alert.acknowledged', acked, 'firing', { actor: ack.by, ts: ack.at }),
          alertEvent('alert.closed', closed, 'acknowledged', { ts: closed.endsAt }),
        ]),
      );

      expect(await s.position()).toBe(P + 2);
      const found = await s.alert('a-1');
      expect(found?.alert).toEqual(closed);
      expect(found?.transitions).toEqual([
        {
          position: P,
          eventId: 'alert.opened/a-1',
          type: 'alert.opened',
          at: iso(T0),
          from: null,
          to: 'firing',
          reason: 'alert.opened in a test',
          actor: null,
        },
        {
          position: P + 1,
          eventId: 'alert.acknowledged/a-1',
          type: 'alert.acknowledged',
          at: ack.at,
          from: 'firing',
          to: 'acknowledged',
          reason: 'alert.acknowledged in a test',
          actor: 'ops@example.com',
        },
        {
          position: P + 2,
          eventId: 'alert.closed/a-1',
          type: 'alert.closed',
          at: iso(T0 + 5 * MIN),
          from: 'acknowledged',
          to: 'resolved',
          reason: 'alert.closed in a test',
          actor: null,
        },
      ]);
      expect(await s.alerts({ limit: 10 })).toEqual({ alerts: [closed], nextCursor: null });
    });

    it('applies the same batch again, from a second store over the same database, without a change', async () => {
      const { store: s, config } = await store();
      const firing = alertView('a-1');
      const acked = { ...firing, state: 'acknowledged' as const };
      const batch = positioned(0, [
        opened(firing),
        alertEvent('alert.acknowledged', acked, 'firing', { actor: 'ops@example.com' }),
        incidentEvent('incident.opened', incidentView('incident-1')),
        silenceEvent('silence.created', silenceView('silence-1')),
      ]);
      await s.apply(batch);
      const before = {
        position: await s.position(),
        alert: await s.alert('a-1'),
        incident: await s.incident('incident-1'),
        silences: await s.silences({}),
      };
      expect(before.position).toBe(3);
      expect(before.alert?.transitions).toHaveLength(2);

      await s.apply(batch);
      const { store: other } = await store(config); // reopening runs no migration twice
      await other.apply(batch);
      for (const x of [s, other]) {
        expect({
          position: await x.position(),
          alert: await x.alert('a-1'),
          incident: await x.incident('incident-1'),
          silences: await x.silences({}),
        }).toEqual(before);
      }
    });

    if (options.concurrentWriters) {
      it('two notifiers applying the same batches at once store each row once, as its last event left it', async () => {
        const { store: a, config } = await store();
        const { store: b } = await store(config);
        // 40 alerts × 3 events, in batches of 30: the writers contend for the same rows
        const events = Array.from({ length: 40 }, (_, i) => {
          const v = alertView(`a-${String(i).padStart(2, '0')}`, { startsAt: iso(T0 + i * MIN) });
          const acked = { ...v, state: 'acknowledged' as const };
          const closed = { ...acked, state: 'resolved' as const, endsAt: iso(T0 + (i + 10) * MIN) };
          return [
            opened(v),
            alertEvent('alert.acknowledged', acked, 'firing'),
            alertEvent('alert.closed', closed, 'acknowledged'),
          ];
        })
          .flat()
          .sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0));
        const all = positioned(0, events);
        const batches = Array.from({ length: 4 }, (_, i) => all.slice(i * 30, (i + 1) * 30));
        const run = async (s: AlertHistoryRepository, order: typeof batches) => {
          for (const batch of order) await s.apply(batch);
        };
        await Promise.all([run(a, batches), run(b, [...batches].reverse())]);

        expect(await a.position()).toBe(119);
        const page = await a.alerts({ limit: 1000 });
        expect(page.alerts).toHaveLength(40);
        expect(page.alerts.every((v) => v.state === 'resolved')).toBe(true);
        const one = await b.alert('a-07');
        expect(one?.transitions.map((t) => t.to)).toEqual(['firing', 'acknowledged', 'resolved']);
      });
    }

    it('keeps the newer row when an older position arrives later (and skips one at the same position)', async () => {
      const { store: s } = await store();
      const firing = alertView('a-1');
      const acked = { ...firing, state: 'acknowledged' as const };
      const openInc = incidentView('incident-1');
      const resolvedInc = {
        ...openInc,
        status: 'resolved' as const,
        activeAlertIds: [],
        resolvedAt: iso(T0 + MIN),
      };
      const created = silenceView('silence-1', { state: 'pending' });
      const expired = { ...created, state: 'expired' as const, expiredBy: 'ops@example.com' };

      await s.apply([
        { position: 10, event: alertEvent('alert.acknowledged', acked, 'firing') },
        { position: 20, event: incidentEvent('incident.resolved', resolvedInc) },
        { position: 30, event: silenceEvent('silence.expired', expired) },
      ]);
      await s.apply([
        { position: 4, event: opened(firing) },
        { position: 15, event: incidentEvent('incident.opened', openInc) },
        { position: 25, event: silenceEvent('silence.created', created) },
      ]);
      // the same position as the stored row's: at or below is skipped, whatever it says
      await s.apply([
        { position: 10, event: alertEvent('alert.acknowledged', { ...acked, message: 'other' }, 'firing') },
      ]);

      expect(await s.position()).toBe(30);
      const found = await s.alert('a-1');
      expect(found?.alert).toEqual(acked);
      // the history keeps every event it was given, in stream order
      expect(found?.transitions.map((t) => [t.position, t.type])).toEqual([
        [4, 'alert.opened'],
        [10, 'alert.acknowledged'],
      ]);
      expect(await s.incident('incident-1')).toEqual(resolvedInc);
      expect(await s.silence('silence-1')).toEqual(expired);
    });

    it('ignores notification events but counts their positions as applied', async () => {
      const { store: s } = await store();
      await s.apply([
        { position: 0, event: lifecycle(fixtures['notification.queued']) },
        { position: 1, event: lifecycle(fixtures['notification.delivered']) },
        { position: 2, event: lifecycle(fixtures['notification.dead_lettered']) },
      ]);
      expect(await s.position()).toBe(2);
      expect(await s.alerts({ limit: 10 })).toEqual({ alerts: [], nextCursor: null });
      expect(await s.incidents({ limit: 10 })).toEqual({ incidents: [], nextCursor: null });
      expect(await s.silences({})).toEqual([]);
    });

    it('filters alerts by state, a token’s clusters, cluster, host, gpu, vm and kind', async () => {
      const { store: s } = await store();
      // newest first: a-6 starts latest, a-1 earliest
      const views = [
        alertView('a-1', { startsAt: iso(T0 + 1 * MIN) }),
        alertView('a-2', { startsAt: iso(T0 + 2 * MIN), state: 'acknowledged', labels: { vm: 'vm-2' } }),
        alertView('a-3', {
          startsAt: iso(T0 + 3 * MIN),
          state: 'silenced',
          labels: { gpu: 'gpu-2', vm: 'vm-3' },
        }),
        alertView('a-4', {
          startsAt: iso(T0 + 4 * MIN),
          state: 'resolved',
          endsAt: iso(T0 + 9 * MIN),
          labels: { cluster: 'cluster-b', host: 'host-9', gpu: 'gpu-9', vm: 'vm-9' },
        }),
        alertView('a-5', { startsAt: iso(T0 + 5 * MIN), labels: { kind: 'drift', alertname: 'VgpuDrift' } }),
        alertView('a-6', {
          startsAt: iso(T0 + 6 * MIN),
          state: 'inhibited',
          labels: { cluster: 'cluster-c', host: 'host-7', gpu: 'gpu-7', vm: 'vm-7', kind: 'drift' },
        }),
      ];
      await s.apply(positioned(0, views.map(opened)));

      expect(await ids(s, {})).toEqual(['a-6', 'a-5', 'a-4', 'a-3', 'a-2', 'a-1']);
      expect(await ids(s, { state: ['firing'] })).toEqual(['a-5', 'a-1']);
      expect(await ids(s, { state: ['acknowledged', 'resolved'] })).toEqual(['a-4', 'a-2']);
      expect(await ids(s, { state: [] })).toEqual([]);
      expect(await ids(s, { clusters: ['cluster-b', 'cluster-c'] })).toEqual(['a-6', 'a-4']);
      expect(await ids(s, { clusters: [] })).toEqual([]); // a token with no clusters sees nothing
      expect(await ids(s, { clusters: ['cluster-z'] })).toEqual([]);
      expect(await ids(s, { cluster: 'cluster-b' })).toEqual(['a-4']);
      // a cluster outside the token's clusters finds nothing
      expect(await ids(s, { clusters: ['cluster-a'], cluster: 'cluster-b' })).toEqual([]);
      expect(await ids(s, { host: 'host-7' })).toEqual(['a-6']);
      expect(await ids(s, { gpu: 'gpu-2' })).toEqual(['a-3']);
      expect(await ids(s, { vm: 'vm-2' })).toEqual(['a-2']);
      expect(await ids(s, { kind: 'drift' })).toEqual(['a-6', 'a-5']);
      expect(await ids(s, { kind: 'drift', clusters: ['cluster-a'] })).toEqual(['a-5']);
      expect(await ids(s, { cluster: 'cluster-a', gpu: 'gpu-1', state: ['firing', 'acknowledged'] })).toEqual(
        ['a-5', 'a-2', 'a-1'],
      );
    });

    it('finds the alerts active at some time within [since, until], bounds included', async () => {
      const { store: s } = await store();
      await s.apply(
        positioned(0, [
          opened(alertView('early', { startsAt: iso(T0), endsAt: iso(T0 + 10 * MIN), state: 'resolved' })),
          opened(
            alertView('middle', {
              startsAt: iso(T0 + 20 * MIN),
              endsAt: iso(T0 + 30 * MIN),
              state: 'resolved',
            }),
          ),
          opened(alertView('open', { startsAt: iso(T0 + 40 * MIN) })),
        ]),
      );
      // early [0, 10], middle [20, 30], open [40, …) in minutes
      expect(await ids(s, { since: T0 + 5 * MIN, until: T0 + 25 * MIN })).toEqual(['middle', 'early']);
      expect(await ids(s, { since: T0 + 11 * MIN, until: T0 + 19 * MIN })).toEqual([]); // the gap
      expect(await ids(s, { since: T0 + 10 * MIN, until: T0 + 20 * MIN })).toEqual(['middle', 'early']); // ends at since, starts at until
      expect(await ids(s, { since: T0 + 31 * MIN })).toEqual(['open']); // still open: active ever since
      expect(await ids(s, { since: T0 + 10 * MIN + 1 })).toEqual(['open', 'middle']);
      expect(await ids(s, { until: T0 + 20 * MIN - 1 })).toEqual(['early']);
      expect(await ids(s, { until: T0 + 40 * MIN })).toEqual(['open', 'middle', 'early']);
      expect(await ids(s, { since: T0 + 100 * MIN, until: T0 + 200 * MIN })).toEqual(['open']);
      expect(await ids(s, { since: T0 + 5 * MIN, until: T0 + 25 * MIN, state: ['firing'] })).toEqual([]);
    });

    it('pages through 250 alerts 100 at a time: 100, 100, 50, newest first, none twice', async () => {
      const { store: s } = await store();
      // three alerts share each start time, so pages also break ties on the id
      const views = Array.from({ length: 250 }, (_, i) =>
        alertView(`a-${String(i).padStart(3, '0')}`, { startsAt: iso(T0 + Math.floor(i / 3) * 1000) }),
      );
      await s.apply(positioned(0, views.map(opened)));

      const pages: AlertView[][] = [];
      let cursor: string | undefined;
      do {
        const page = await s.alerts({ limit: 100, ...(cursor === undefined ? {} : { cursor }) });
        pages.push(page.alerts);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined && pages.length < 10);

      expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
      const seen = pages.flat().map((a) => a.alertId);
      expect(new Set(seen).size).toBe(250);
      // a-249 starts latest (83 s), then a-248 … a-000: descending by start, then by id
      expect(seen).toEqual(views.map((v) => v.alertId).reverse());

      // a filter holds across pages: the 125 of cluster-b, 100 then 25
      const b = views
        .filter((_, i) => i % 2 === 0)
        .map((v) => ({ ...v, labels: { ...v.labels, cluster: 'cluster-b' } }));
      await s.apply(
        positioned(
          1000,
          b.map((v) => alertEvent('alert.silenced', v, 'firing')),
        ),
      );
      const first = await s.alerts({ limit: 100, clusters: ['cluster-b'] });
      const second = await s.alerts({ limit: 100, clusters: ['cluster-b'], cursor: first.nextCursor! });
      expect([first.alerts.length, second.alerts.length, second.nextCursor]).toEqual([100, 25, null]);
      expect([...first.alerts, ...second.alerts].map((a) => a.alertId)).toEqual(
        b.map((v) => v.alertId).reverse(),
      );
    });

    it('refuses a cursor it did not issue with a ValidationError', async () => {
      const { store: s } = await store();
      await s.apply(
        positioned(
          0,
          [1, 2, 3].map((i) => opened(alertView(`a-${i}`, { startsAt: iso(T0 + i * MIN) }))),
        ),
      );
      await s.apply(
        positioned(
          3,
          [1, 2].map((i) => incidentEvent('incident.opened', incidentView(`incident-${i}`))),
        ),
      );
      const alertsCursor = (await s.alerts({ limit: 1 })).nextCursor!;
      const incidentsCursor = (await s.incidents({ limit: 1 })).nextCursor!;
      expect(alertsCursor).toEqual(expect.any(String));
      expect(incidentsCursor).toEqual(expect.any(String));

      const forged = Buffer.from(JSON.stringify({ k: 'alerts', t: 'soon', id: 'a-1' })).toString('base64url');
      for (const cursor of ['garbage', '', forged, `${alertsCursor}x`, incidentsCursor]) {
        const page = s.alerts({ limit: 10, cursor });
        await expect(page).rejects.toThrow(ValidationError);
        await expect(page).rejects.toThrow(/is not one this API issued/);
      }
      await expect(s.incidents({ limit: 10, cursor: alertsCursor })).rejects.toThrow(
        /is not one this API issued/,
      );
    });

    it('lists incidents by status, a token’s clusters, cluster and gpu, newest opened first, in pages', async () => {
      const { store: s } = await store();
      const inc = [
        incidentView('incident-1', { openedAt: iso(T0 + 1 * MIN) }),
        incidentView('incident-2', { openedAt: iso(T0 + 2 * MIN), clusterId: 'cluster-b', gpuId: 'gpu-2' }),
        incidentView('incident-3', { openedAt: iso(T0 + 3 * MIN), gpuId: 'gpu-3' }),
        incidentView('incident-4', { openedAt: iso(T0 + 3 * MIN), clusterId: 'cluster-c' }), // ties with 3: id breaks it
        incidentView('incident-5', { openedAt: iso(T0 + 5 * MIN), clusterId: 'cluster-b' }),
      ];
      const resolved3 = {
        ...inc[2]!,
        status: 'resolved' as const,
        activeAlertIds: [],
        resolvedAt: iso(T0 + 9 * MIN),
      };
      await s.apply(
        positioned(0, [
          ...inc.map((i) => incidentEvent('incident.opened', i)),
          incidentEvent('incident.resolved', resolved3),
        ]),
      );
      const incIds = async (q: Parameters<AlertHistoryRepository['incidents']>[0]) =>
        (await s.incidents(q)).incidents.map((i) => i.incidentId);

      expect(await incIds({ limit: 10 })).toEqual([
        'incident-5',
        'incident-4',
        'incident-3',
        'incident-2',
        'incident-1',
      ]);
      expect(await incIds({ limit: 10, status: 'resolved' })).toEqual(['incident-3']);
      expect(await incIds({ limit: 10, status: 'open' })).toEqual([
        'incident-5',
        'incident-4',
        'incident-2',
        'incident-1',
      ]);
      expect(await incIds({ limit: 10, clusters: ['cluster-b', 'cluster-c'] })).toEqual([
        'incident-5',
        'incident-4',
        'incident-2',
      ]);
      expect(await incIds({ limit: 10, clusters: [] })).toEqual([]);
      expect(await incIds({ limit: 10, cluster: 'cluster-a' })).toEqual(['incident-3', 'incident-1']);
      expect(await incIds({ limit: 10, clusters: ['cluster-a'], cluster: 'cluster-b' })).toEqual([]);
      expect(await incIds({ limit: 10, gpu: 'gpu-2' })).toEqual(['incident-2']);
      expect(await incIds({ limit: 10, gpu: 'gpu-1', status: 'open' })).toEqual([
        'incident-5',
        'incident-4',
        'incident-1',
      ]);
      expect(await s.incident('incident-3')).toEqual(resolved3);
      expect(await s.incident('incident-9')).toBeNull();

      const seen: string[] = [];
      let cursor: string | undefined;
      const sizes: number[] = [];
      do {
        const page = await s.incidents({ limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        sizes.push(page.incidents.length);
        seen.push(...page.incidents.map((i) => i.incidentId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined && sizes.length < 10);
      expect(sizes).toEqual([2, 2, 1]);
      expect(seen).toEqual(['incident-5', 'incident-4', 'incident-3', 'incident-2', 'incident-1']);
    });

    it('lists silences newest first, by state and by a cluster equality matcher', async () => {
      const { store: s } = await store();
      const sil = {
        onA: silenceView('silence-1', {
          startsAt: iso(T0 + 1 * MIN),
          matchers: [{ name: 'cluster', op: '=', value: 'cluster-a' }],
        }),
        onBAndGpu: silenceView('silence-2', {
          startsAt: iso(T0 + 2 * MIN),
          matchers: [
            { name: 'gpu', op: '=', value: 'gpu-1' },
            { name: 'cluster', op: '=', value: 'cluster-b' },
          ],
        }),
        notA: silenceView('silence-3', {
          startsAt: iso(T0 + 3 * MIN),
          matchers: [{ name: 'cluster', op: '!=', value: 'cluster-a' }],
        }),
        regexA: silenceView('silence-4', {
          startsAt: iso(T0 + 4 * MIN),
          matchers: [{ name: 'cluster', op: '=~', value: 'cluster-a' }],
        }),
        anyCluster: silenceView('silence-5', { startsAt: iso(T0 + 5 * MIN), state: 'pending' }),
        valueOnly: silenceView('silence-6', {
          startsAt: iso(T0 + 6 * MIN),
          matchers: [{ name: 'host', op: '=', value: 'cluster-a' }],
        }),
      };
      const expiredA = { ...sil.onA, state: 'expired' as const, expiredBy: 'ops@example.com' };
      await s.apply(
        positioned(0, [
          ...Object.values(sil).map((v) => silenceEvent('silence.created', v)),
          silenceEvent('silence.expired', expiredA),
        ]),
      );
      const silIds = async (q: Parameters<AlertHistoryRepository['silences']>[0]) =>
        (await s.silences(q)).map((x) => x.silenceId);

      expect(await silIds({})).toEqual([
        'silence-6',
        'silence-5',
        'silence-4',
        'silence-3',
        'silence-2',
        'silence-1',
      ]);
      expect(await silIds({ state: 'pending' })).toEqual(['silence-5']);
      expect(await silIds({ state: 'expired' })).toEqual(['silence-1']);
      expect(await silIds({ state: 'active' })).toEqual(['silence-6', 'silence-4', 'silence-3', 'silence-2']);
      // only `cluster=<one of them>`: not !=, not a regex, not another label with that value
      expect(await silIds({ clusters: ['cluster-a'] })).toEqual(['silence-1']);
      expect(await silIds({ clusters: ['cluster-a', 'cluster-b'] })).toEqual(['silence-2', 'silence-1']);
      expect(await silIds({ clusters: ['cluster-b'], state: 'active' })).toEqual(['silence-2']);
      expect(await silIds({ clusters: [] })).toEqual([]);
      expect(await s.silence('silence-1')).toEqual(expiredA);
      expect(await s.silence('silence-9')).toBeNull();
    });
  });
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
alertHistoryContract(
  'SQLite file',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vgpu-alert-history-'));
    dirs.push(dir);
    return { type: 'sqlite', file: join(dir, 'history.sqlite') };
  },
  { concurrentWriters: false },
);

const pgUrl = databaseUrl();
describeIf(pgUrl)('PostgreSQL', () => {
  // A fresh database per test, so the migration really runs from nothing and no test sees another's rows.
  const dbs: string[] = [];
  let created = 0;
  const admin = async <T>(f: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ connectionString: pgUrl });
    await c.connect();
    try {
      return await f(c);
    } finally {
      await c.end();
    }
  };
  // After the contract's own afterEach has closed the test's stores. Each drop waits for a checkpoint.
  afterEach(async () => {
    await admin(async (c) => {
      for (const db of dbs.splice(0)) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    });
  }, 30_000);
  alertHistoryContract(
    'PostgreSQL',
    async () => {
      const db = `vgpu_alerts_${process.pid}_${++created}`;
      await admin((c) => c.query(`CREATE DATABASE ${db}`));
      dbs.push(db);
      const u = new URL(pgUrl!);
      u.pathname = `/${db}`;
      return { type: 'postgres', url: u.toString() };
    },
    { concurrentWriters: true },
  );
});
