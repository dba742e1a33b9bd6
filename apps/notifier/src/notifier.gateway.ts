import { Inject } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { METRICS, type Metrics } from '@vgpu-twin/service-kit';
import { NOTIFIER_CONFIG } from './tokens';
import type { NotifierConfig } from './config';
import { NotifierProcessor } from './notifier-processor';
import type { Routed } from './read-model';

const ROOM = /^(cluster|host|gpu|vm):[^\s]{1,200}$/;

/**
 * socket.io: a client sends `subscribe` with rooms (`cluster:<id>`, `host:<id>`, `gpu:<id>`,
 * `vm:<id>`) and then receives `alert` (raised, resolved, suggestions), `twin` (predictions,
 * observations) and `inventory` events for them.
 */
/** Who may open the socket cross-origin: set once by NotifierModule.forRoot (security.ts's socketCorsOrigin). */
export const socketCors: { origin: boolean | string[] } = { origin: true };

@WebSocketGateway({
  cors: {
    origin: (origin: string | undefined, cb: (e: Error | null, allow?: boolean) => void) => {
      const allowed = socketCors.origin;
      cb(null, typeof allowed === 'boolean' ? allowed : origin !== undefined && allowed.includes(origin));
    },
  },
})
export class NotifierGateway implements OnGatewayInit {
  @WebSocketServer() server!: Server;

  constructor(
    private readonly processor: NotifierProcessor,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  afterInit(server: Server): void {
    const token = this.config.NOTIFIER_TOKEN;
    if (token) {
      server.use((socket, next) => {
        const presented =
          (socket.handshake.auth as { token?: unknown }).token ?? socket.handshake.query['token'];
        next(
          presented === token
            ? undefined
            : new Error('unauthorized: a valid token is required in the handshake (auth.token)'),
        );
      });
    }
    this.processor.attach({
      publish: (r: Routed) => {
        server.to(r.rooms).emit(r.channel, r.event);
        this.metrics.notifierPushes.inc({ event: r.channel });
      },
    });
    this.metrics.gauge('vgpu_twin_notifier_connected_clients', 'socket.io clients connected now', () =>
      server.engine ? server.engine.clientsCount : 0,
    );
  }

  @SubscribeMessage('subscribe')
  async subscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() body: unknown,
  ): Promise<{ rooms: string[] } | { error: string }> {
    const rooms = Array.isArray((body as { rooms?: unknown })?.rooms)
      ? (body as { rooms: unknown[] }).rooms
      : null;
    if (!rooms)
      return {
        error: 'subscribe expects {"rooms": ["cluster:<id>" | "host:<id>" | "gpu:<id>" | "vm:<id>", ...]}',
      };
    const bad = rooms.filter((r) => typeof r !== 'string' || !ROOM.test(r));
    if (bad.length > 0) return { error: `not a room: ${bad.map((b) => JSON.stringify(b)).join(', ')}` };
    await socket.join(rooms as string[]);
    return { rooms: rooms as string[] };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() body: { rooms?: string[] },
  ): Promise<{ rooms: string[] }> {
    const rooms = (body?.rooms ?? []).filter((r) => typeof r === 'string');
    for (const r of rooms) await socket.leave(r);
    return { rooms: [...socket.rooms].filter((r) => r !== socket.id) };
  }
}
