import type { INestApplication } from '@nestjs/common';
import { Streams, type DomainEvent } from '@vgpu-twin/contracts';
import { EmbeddedEventLog } from '@vgpu-twin/event-log';
import { streamSpecs } from '@vgpu-twin/service-kit';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../../../libs/event-log/src/testing/event-log-contract';
import { bootIngest, eventsIn, freePort } from '../../../ingest/src/testing/ingest-harness';
import { HostAgent } from './agent';

const DATA = join(__dirname, '../../../../../shared/data/telemetry');
const FIXTURES = join(__dirname, '../../../../libs/telemetry-formats/src/nvidia-smi/fixtures');
const L40S_UUID = 'GPU-00000000-0000-0000-0000-000000000000'; // nvidia-smi-query-gpu-l40s-load.csv L2 (masked upstream)
const L40S_BUS = '00000000:01:00.0'; // same line, pci.bus_id

/**
 * The project's `vgpu -q` fixture as an L40S host would print it: its first GPU block moved to the
 * L40S capture's bus id (so discovery joins it with the real `--query-gpu` sample) and the vGPU
 * types renamed from P40 to L40S profiles of the same sizes.
 */
function vgpuCapture(fixture: string): string {
  return readFileSync(join(FIXTURES, fixture), 'utf8')
    .replace('GPU 00000000:82:00.0', `GPU ${L40S_BUS}`)
    .replaceAll('GRID P40-', 'NVIDIA L40S-');
}

describe('vgpu-twin agent against a fake nvidia-smi', () => {
  let dir: string;
  let log: EmbeddedEventLog;
  let app: INestApplication | null = null;
  let agent: HostAgent | null = null;
  const lines: string[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vgpu-agent-'));
    log = new EmbeddedEventLog({ file: join(dir, 'log.sqlite') });
    await log.ensureStreams(streamSpecs({ KAFKA_TELEMETRY_PARTITIONS: 2 }));
    // the fake prints the real L40S --query-gpu capture and the project's vgpu -q fixtures
    copyFileSync(join(DATA, 'nvidia-smi-query-gpu-l40s-load.csv'), join(dir, 'gpu.csv'));
    writeFileSync(join(dir, 'vgpu.txt'), vgpuCapture('vgpu-q-2gpu-3vm.txt'));
    writeFileSync(
      join(dir, 'nvidia-smi'),
      [
        '#!/bin/sh',
        'case "$1" in',
        `  vgpu) cat '${join(dir, 'vgpu.txt')}' ;;`,
        `  --query-gpu=*) cat '${join(dir, 'gpu.csv')}' ;;`,
        '  *) echo "fake nvidia-smi: unsupported $*" >&2; exit 6 ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(join(dir, 'nvidia-smi'), 0o755);
    lines.length = 0;
  });
  afterEach(async () => {
    await agent?.stop();
    agent = null;
    await app?.close(); // closes its log too
    app = null;
    await log.close().catch(() => undefined); // when no ingest was booted on it
    rmSync(dir, { recursive: true, force: true });
  });

  const newAgent = (port: number, maxCaptures = 10_000) =>
    new HostAgent({
      ingest: `http://127.0.0.1:${port}`,
      nvidiaSmi: join(dir, 'nvidia-smi'),
      intervalMs: 150,
      metrics: [],
      host: 'l40s-host',
      cluster: 'lab',
      bufferDir: join(dir, 'buffer'),
      limits: { maxCaptures, maxBytes: 64 << 20 },
      log: (l) => lines.push(l),
    });
  const of = async <T extends DomainEvent['type']>(stream: string, type: T) =>
    (await eventsIn(log, stream)).filter((e): e is Extract<DomainEvent, { type: T }> => e.type === type);

  it('discovers the host, its GPUs and VMs; buffers while ingest is down and delivers every capture in order when it returns; a restart is no migration', async () => {
    const port = await freePort();
    ({ app } = await bootIngest(log, {}, port));
    agent = newAgent(port);
    agent.start();
    await eventually(
      async () => (await of(Streams.inventory, 'vm.placed')).length === 4,
      'four vGPUs placed',
      15_000,
    );

    const gpus = await of(Streams.inventory, 'gpu.registered');
    expect(gpus.map((g) => [g.data.gpuId, g.data.model, g.data.framebufferMib, g.data.busId])).toEqual([
      // joined with the real capture by bus id: its UUID and name; the catalog's 48 GB for an L40S
      [L40S_UUID, 'L40S', 48 * 1024, L40S_BUS],
      // no --query-gpu row for it: named by host and bus id, its model from the vGPU type (L40S-12Q)
      ['l40s-host/00000000:83:00.0', 'L40S', 48 * 1024, '00000000:83:00.0'],
    ]);
    expect(
      (await of(Streams.inventory, 'host.registered')).map((h) => [h.data.hostId, h.data.clusterId]),
    ).toEqual([['l40s-host', 'lab']]);
    const placed = (await of(Streams.inventory, 'vm.placed')).map((v) => [
      v.data.vmId,
      v.data.gpuId,
      v.data.profile,
    ]);
    expect(placed.slice(0, 2)).toEqual([
      ['render-01', L40S_UUID, 'L40S-6Q'], // vgpu-q-2gpu-3vm.txt: render-01 on GPU 82 (here 01), GRID P40-6Q
      ['render-02', L40S_UUID, 'L40S-6Q'],
    ]);
    expect(placed.slice(2).every(([vm]) => vm!.startsWith('train-01@'))).toBe(true); // train-01 holds two vGPUs

    // ingest goes away; the agent keeps capturing into its buffer
    await app.close();
    app = null;
    const downAt = Date.now();
    await eventually(async () => agent!.stats.buffered >= 6, 'three rounds of captures buffered', 10_000);
    // meanwhile render-01 and render-02 restart: new vGPU IDs, same VMs
    writeFileSync(join(dir, 'vgpu.txt'), vgpuCapture('vgpu-q-restart.txt'));
    await eventually(async () => agent!.stats.buffered >= 8, 'a round after the restart buffered', 10_000);
    expect(lines.some((l) => /ingest unreachable/.test(l))).toBe(true);

    // closing ingest closed its log (the module owns it): the restarted ingest opens the same file
    log = new EmbeddedEventLog({ file: join(dir, 'log.sqlite') });
    ({ app } = await bootIngest(log, {}, port));
    const upAt = Date.now();
    await eventually(async () => agent!.stats.buffered === 0, 'the buffer drained', 20_000);
    await agent.stop();
    const { ticks } = agent.stats;
    agent = null;

    // every capture arrived once: one render-01 sample per round, in capture order, the outage's among them
    const render = (await of(Streams.telemetry, 'telemetry.vm_sample')).filter(
      (s) => s.data.vmId === 'render-01',
    );
    const times = render.map((s) => Date.parse(s.ts));
    expect(new Set(times).size).toBe(ticks);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times.some((t) => t > downAt && t < upAt)).toBe(true);
    // the restart changed vGPU IDs only: nothing moved, nothing was removed
    expect(await of(Streams.inventory, 'vm.migrated')).toEqual([]);
    expect(await of(Streams.inventory, 'vm.removed')).toEqual([]);
    expect(lines.some((l) => /ingest is back/.test(l))).toBe(true);
  }, 60_000);

  it('past its bound drops the oldest captures, says so, and ingest shows the count at /v1/sources', async () => {
    const port = await freePort();
    agent = newAgent(port, 4);
    agent.start();
    await eventually(async () => agent!.stats.dropped >= 4, 'captures dropped past the bound of 4', 10_000);
    expect(lines.some((l) => /buffer full .*dropped/.test(l))).toBe(true);
    let base: string;
    ({ app, base } = await bootIngest(log, {}, port));
    await eventually(async () => agent!.stats.buffered === 0, 'the buffer drained', 10_000);
    await agent.stop();
    const dropped = agent.stats.dropped;
    agent = null;
    const sources = (await (await fetch(`${base}/v1/sources`)).json()) as {
      agents: { host: string; bufferDropped: number }[];
    };
    expect(sources.agents).toHaveLength(1);
    expect(sources.agents[0]!.host).toBe('l40s-host');
    expect(sources.agents[0]!.bufferDropped).toBe(dropped); // reported with each capture it drained
  }, 40_000);
});
