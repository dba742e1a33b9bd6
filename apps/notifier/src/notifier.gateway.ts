import { Inject } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { Streams, type DomainEvent, type LifecycleEvent } from '@vgpu-twin/contracts';
import { EVENT_LOG, METRICS, type Metrics } from '@vgpu-twin/service-kit';
import type { EventLog } from '@vgpu-twin/event-log';
import { accessOf, canSee, EVERYONE, notifierTokens, type Access } from './auth';
import { NotifierProcessor } from './notifier-processor';
import type { NotifierConfig } from './config';
import { NOTIFIER_CONFIG } from './tokens';
import type { Routed } from './read-model';
import { alertRooms, lifecycleRooms, LifecycleView, silenceClusters } from './lifecycle/view';
import { PushRing, readGap, type Pushed } from './lifecycle/push-history';

const ROOM = /^(cluster|host|gpu|vm):[^\s]{1,200}$/;

/** Who may open the socket cross-origin: set once by NotifierModule.forRoot (security.ts's socketCorsOrigin). */
export const socketCors: { origin: boolean | string[] } = { origin: true };

/**
 * socket.io's server options, completed by NotifierModule.forRoot before the server exists:
 * connection-state recovery for short gaps (the server keeps what a dropped client missed for
 * NOTIFIER_RECOVERY_MS and replays it on reconnect, rooms included; the token is checked again).
 */
export const socketOptions: Partial<ServerOptions> = {
  cors: {
    origin: (origin: string | undefined, cb: (e: Error | null, allow?: boolean) => void) => {
      const allowed = socketCors.origin;
      cb(null, typeof allowed === 'boolean' ? allowed : origin !== undefined && allowed.includes(origin));
    },
  },
  connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: false },
};

interface SubscribeBody {
  rooms?: unknown;
  resume?: { alerts?: unknown; lifecycle?: unknown };
}

/**
 * socket.io for dashboards and client programs. A client sends `subscribe` with rooms
 * (`cluster:<id>`, `host:<id>`, `gpu:<id>`, `vm:<id>`, only of its token's clusters) and gets a
 * `snapshot` of their open alerts, incidents and silences, then live `lifecycle` events (the
 * alert lifecycle), `alert` (the twin's alerts and suggestions), `twin` and `inventory`. Every
 * `lifecycle` and `alert` event comes with its position `{stream, offset}`; a client back after a
 * gap longer than connection-state recovery covers subscribes with `resume` (its last offsets)
 * instead, and gets what it missed, exactly once, in order, before the live events.
 */
@WebSocketGateway(socketOptions)
export class NotifierGateway implements OnGatewayInit, OnGatewayConnection {
  @WebSocketServer() server!: Server;
  private readonly rings: { alerts: PushRing; lifecycle: PushRing };

  constructor(
    private readonly processor: NotifierProcessor,
    private readonly view: LifecycleView,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(METRICS) private readonly metrics: Metrics,
    @Inject(NOTIFIER_CONFIG) config: NotifierConfig,
  ) {
    this.rings = {
      alerts: new PushRing(Streams.alerts, config.NOTIFIER_RESUME_BUFFER),
      lifecycle: new PushRing(Streams.lifecycle, config.NOTIFIER_RESUME_BUFFER),
    };
  }

  afterInit(server: Server): void {
    if (notifierTokens.table !== null) {
      server.use((socket, next) => {
        const presented =
          (socket.handshake.auth as { token?: unknown }).token ?? socket.handshake.query['token'];
        const access = accessOf(notifierTokens.table, presented);
        if (!access)
          return next(new Error('unauthorized: a valid token is required in the handshake (auth.token)'));
        (socket.data as { access?: Access }).access = access;
        next();
      });
    }
    this.processor.attach({
      publish: (r: Routed, position) => {
        server.to(r.rooms).emit(r.channel, r.event, r.channel === 'alert' ? position : undefined);
        if (r.channel === 'alert')
          this.rings.alerts.add({ channel: 'alert', rooms: r.rooms, event: r.event, position });
        this.metrics.notifierPushes.inc({ event: r.channel });
      },
      applied: (stream, next) => {
        if (stream === Streams.alerts) this.rings.alerts.advanceTo(next);
      },
    });
    this.view.onPush((p) => {
      this.rings.lifecycle.add({
        channel: 'lifecycle',
        rooms: p.rooms,
        event: p.event,
        position: p.position,
      });
      if (p.rooms.length > 0) {
        server.to(p.rooms as string[]).emit('lifecycle', p.event, p.position);
        this.metrics.notifierPushes.inc({ event: 'lifecycle' });
      }
    });
    this.metrics.gauge('vgpu_twin_notifier_connected_clients', 'socket.io clients connected now', () =>
      server.engine ? server.engine.clientsCount : 0,
    );
  }

  handleConnection(socket: Socket): void {
    const data = socket.data as { access?: Access };
    data.access ??= EVERYONE; // no tokens configured: open, as before tokens existed
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown) {
    const b = (body ?? {}) as SubscribeBody;
    const rooms = Array.isArray(b.rooms) ? b.rooms : null;
    if (!rooms)
      return {
        error:
          'subscribe expects {"rooms": ["cluster:<id>" | "host:<id>" | "gpu:<id>" | "vm:<id>", ...], "resume"?: {"alerts": n, "lifecycle": n}}',
      };
    const bad = rooms.filter((r) => typeof r !== 'string' || !ROOM.test(r));
    if (bad.length > 0) return { error: `not a room: ${bad.map((x) => JSON.stringify(x)).join(', ')}` };
    const access = (socket.data as { access: Access }).access;
    const forbidden = (rooms as string[]).filter((r) => {
      const cluster = this.processor.model.clusterOfRoom(r);
      return cluster === null ? !access.all : !canSee(access, cluster);
    });
    if (forbidden.length > 0)
      return { error: `forbidden: this token does not give access to ${forbidden.join(', ')}` };
    const wanted = new Set(rooms as string[]);
    const resume = b.resume;
    if (resume !== undefined) {
      const from = {
        alerts: offsetOf(resume.alerts),
        lifecycle: offsetOf(resume.lifecycle),
      };
      if (from.alerts === undefined && from.lifecycle === undefined)
        return { error: 'resume expects {"alerts": <last offset seen>, "lifecycle": <last offset seen>}' };
      await this.replay(socket, wanted, from);
    } else {
      socket.emit('snapshot', this.snapshot(wanted));
      await socket.join([...wanted]);
    }
    return { rooms: [...wanted], positions: this.positions() };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: { rooms?: string[] }) {
    const rooms = (body?.rooms ?? []).filter((r) => typeof r === 'string');
    for (const r of rooms) await socket.leave(r);
    return { rooms: [...socket.rooms].filter((r) => r !== socket.id) };
  }

  /** The last offsets pushed or applied: what a client resumes from if it has seen nothing newer. */
  private positions(): { alerts: number; lifecycle: number } {
    this.rings.lifecycle.advanceTo(this.view.position + 1);
    return { alerts: this.rings.alerts.last, lifecycle: this.rings.lifecycle.last };
  }

  private snapshot(rooms: ReadonlySet<string>) {
    const inRooms = (rs: readonly string[]) => rs.some((r) => rooms.has(r));
    const clusters = () => this.processor.model.clusterIds();
    return {
      alerts: this.view.openAlerts().filter((a) => inRooms(alertRooms(a))),
      incidents: this.view
        .openIncidents()
        .filter((i) => inRooms([`cluster:${i.clusterId}`, `host:${i.hostId}`, `gpu:${i.gpuId}`])),
      silences: this.view
        .liveSilences()
        .filter((s) => inRooms(silenceClusters(s, clusters).map((c) => `cluster:${c}`))),
      positions: this.positions(),
    };
  }

  /**
   * What the client missed after its positions: from the log up to where the rings start, then
   * the rings; the rest of the rings and the join happen in one synchronous step, so every later
   * push reaches the client live, and none twice.
   */
  private async replay(
    socket: Socket,
    rooms: ReadonlySet<string>,
    from: { alerts?: number; lifecycle?: number },
  ) {
    const routeAlert = (event: DomainEvent, offset: number): Pushed | null => {
      const rs = this.alertRoomsOf(event);
      return rs ? { channel: 'alert', rooms: rs, event, position: { stream: Streams.alerts, offset } } : null;
    };
    const routeLifecycle = (event: DomainEvent, offset: number): Pushed | null => {
      const rs = this.lifecycleRoomsOf(event);
      return rs
        ? { channel: 'lifecycle', rooms: rs, event, position: { stream: Streams.lifecycle, offset } }
        : null;
    };
    const next = {
      alerts: (from.alerts ?? Number.MAX_SAFE_INTEGER - 1) + 1,
      lifecycle: (from.lifecycle ?? Number.MAX_SAFE_INTEGER - 1) + 1,
    };
    const missed: Pushed[] = [];
    this.rings.lifecycle.advanceTo(this.view.position + 1);
    for (;;) {
      const a = await readGap(this.log, this.rings.alerts, next.alerts, routeAlert);
      const l = await readGap(this.log, this.rings.lifecycle, next.lifecycle, routeLifecycle);
      missed.push(...a.missed, ...l.missed);
      next.alerts = a.next;
      next.lifecycle = l.next;
      if (next.alerts >= this.rings.alerts.first && next.lifecycle >= this.rings.lifecycle.first) break;
    }
    const inRooms = (p: Pushed) => p.rooms.some((r) => rooms.has(r));
    const fromRings = [
      ...this.rings.alerts.since(next.alerts),
      ...this.rings.lifecycle.since(next.lifecycle),
    ];
    for (const p of [...missed, ...fromRings].filter(inRooms)) socket.emit(p.channel, p.event, p.position);
    void socket.join([...rooms]); // synchronous with the default in-memory adapter
  }

  private alertRoomsOf(event: DomainEvent): string[] | null {
    if (event.type === 'alert.raised' || event.type === 'alert.resolved')
      return this.processor.model.roomsFor(event.data.gpuId, event.data.vmId);
    if (event.type === 'placement.suggested')
      return this.processor.model.roomsFor(event.data.fromGpuId, event.data.vmId);
    return null; // operators' commands are not pushed
  }

  private lifecycleRoomsOf(event: DomainEvent): string[] | null {
    const rooms = lifecycleRooms(event as LifecycleEvent, () => this.processor.model.clusterIds());
    return rooms.length > 0 ? rooms : null;
  }
}

function offsetOf(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isInteger(x) && x >= -1 ? x : undefined;
}
