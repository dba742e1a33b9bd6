import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import {
  fixtures,
  partitionKey,
  streamOf,
  type AlertKind,
  type AlertRaised,
  type AlertResolved,
  type DomainEvent,
} from '@vgpu-twin/contracts';
import type { EventLog } from '@vgpu-twin/event-log';
import { bootService, listeningPort, loadConfig } from '@vgpu-twin/service-kit';
import { io, type Socket } from 'socket.io-client';
import { NotifierConfigSchema } from '../config';
import { NotifierModule } from '../notifier.module';

/** A notifier as apps/notifier/src/main.ts boots it, on port 0, with `env` over the defaults. */
export async function bootNotifier(
  dir: string,
  env: Record<string, string>,
): Promise<{ app: INestApplication; url: string }> {
  const full = {
    EVENT_LOG: 'embedded',
    VGPU_TWIN_DATA_DIR: dir,
    NOTIFIER_PORT: '0',
    LOG_LEVEL: 'warn',
    ...env,
  };
  const config = loadConfig(NotifierConfigSchema, full);
  const app = await bootService(
    {
      name: 'Notifier',
      port: config.NOTIFIER_PORT,
      modules: () => [NotifierModule.forRoot(config, dir)],
      banner: (u) => `notifier on ${u}/`,
      shutdownHooks: false,
    },
    full,
  );
  return { app, url: `http://127.0.0.1:${listeningPort(app)}` };
}

export const T0 = Date.parse('2026-03-01T00:00:00.000Z');
export const at = (s: number) => new Date(T0 + s * 1000).toISOString();

let seq = 0;
const envelope = (s: number) => ({
  id: `h-${++seq}-${s}`,
  ts: at(s),
  source: 'harness',
  version: 1 as const,
});

/** cluster-a: host-1 with gpu-1 (vm-1, vm-2, vm-3) and gpu-2 (vm-4); cluster-b: host-2 with gpu-9 (vm-9). */
export function inventory(): DomainEvent[] {
  const host = (hostId: string, clusterId: string): DomainEvent => ({
    ...fixtures['host.registered'],
    ...envelope(0),
    data: { ...fixtures['host.registered'].data, hostId, clusterId },
  });
  const gpu = (gpuId: string, hostId: string): DomainEvent => ({
    ...fixtures['gpu.registered'],
    ...envelope(0),
    data: { ...fixtures['gpu.registered'].data, gpuId, hostId },
  });
  const vm = (vmId: string, gpuId: string, workload: string): DomainEvent => ({
    ...fixtures['vm.placed'],
    ...envelope(0),
    data: { ...fixtures['vm.placed'].data, vmId, gpuId, workload },
  });
  return [
    host('host-1', 'cluster-a'),
    host('host-2', 'cluster-b'),
    gpu('gpu-1', 'host-1'),
    gpu('gpu-2', 'host-1'),
    gpu('gpu-9', 'host-2'),
    vm('vm-1', 'gpu-1', 'resnet50-train'),
    vm('vm-2', 'gpu-1', 'a3c'),
    vm('vm-3', 'gpu-1', 'bert-infer'),
    vm('vm-4', 'gpu-2', 'resnet50-train'),
    vm('vm-9', 'gpu-9', 'a3c'),
  ];
}

const where: Record<string, { gpuId: string; hostId: string; clusterId: string }> = {
  'vm-1': { gpuId: 'gpu-1', hostId: 'host-1', clusterId: 'cluster-a' },
  'vm-2': { gpuId: 'gpu-1', hostId: 'host-1', clusterId: 'cluster-a' },
  'vm-3': { gpuId: 'gpu-1', hostId: 'host-1', clusterId: 'cluster-a' },
  'vm-4': { gpuId: 'gpu-2', hostId: 'host-1', clusterId: 'cluster-a' },
  'vm-9': { gpuId: 'gpu-9', hostId: 'host-2', clusterId: 'cluster-b' },
};

/** The twin's alert.raised for a VM of inventory(), at second `s`. */
export function raised(
  alertId: string,
  kind: AlertKind,
  vmId: string,
  s: number,
  aggressor: string | null = 'vm-3',
): AlertRaised {
  const f = fixtures['alert.raised'];
  return {
    ...f,
    ...envelope(s),
    type: 'alert.raised',
    data: { ...f.data, alertId, kind, vmId, ...where[vmId]!, aggressorVmId: aggressor },
  };
}
export function resolved(alertId: string, kind: AlertKind, vmId: string, s: number): AlertResolved {
  const f = fixtures['alert.resolved'];
  return {
    ...f,
    ...envelope(s),
    type: 'alert.resolved',
    data: { ...f.data, alertId, kind, vmId, ...where[vmId]! },
  };
}

/** Appends events to their streams, as the twin and ingest would. */
export async function append(log: EventLog, events: readonly DomainEvent[]): Promise<void> {
  for (const e of events)
    await log.append(streamOf(e.type), [
      { key: partitionKey(e), value: JSON.stringify(e), timestamp: Date.parse(e.ts) },
    ]);
}

export async function until<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function api<T = unknown>(
  url: string,
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** A socket.io client that records what it receives, by channel, with positions. */
export interface Client {
  readonly socket: Socket;
  readonly received: {
    channel: string;
    event: DomainEvent & { id: string };
    position?: { stream: string; offset: number };
  }[];
  readonly snapshots: unknown[];
  subscribe(rooms: string[], resume?: { alerts?: number; lifecycle?: number }): Promise<unknown>;
  close(): void;
}

export async function connect(url: string, token?: string): Promise<Client> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    ...(token ? { auth: { token } } : {}),
  });
  const received: Client['received'] = [];
  const snapshots: unknown[] = [];
  for (const channel of ['lifecycle', 'alert'])
    socket.on(channel, (event: DomainEvent, position?: { stream: string; offset: number }) =>
      received.push({ channel, event, ...(position ? { position } : {}) }),
    );
  socket.on('snapshot', (s: unknown) => snapshots.push(s));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (e) => reject(e));
  });
  return {
    socket,
    received,
    snapshots,
    subscribe: (rooms, resume) => socket.emitWithAck('subscribe', { rooms, ...(resume ? { resume } : {}) }),
    close: () => socket.close(),
  };
}
