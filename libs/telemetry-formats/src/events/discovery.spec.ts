import type { InventoryEvent } from '@vgpu-twin/contracts';
import type { Reading } from '../reading';
import { discoverInventory, profileOf, UNPROFILED_WORKLOAD, type DiscoveryInput } from './discovery';
import { applyToIndex, emptyIndex, type InventoryIndex } from './inventory-index';
import { EMPTY_MAPPING, type TelemetryMapping } from './mapping';
import { AT, contractViolations, mapping, reading, type ReadingFields } from './testing';

// Made-up identifiers in the forms nvidia-smi prints them.
const HOST = 'host-a';
const CLUSTER = 'cluster-1';
const BUS_82 = '00000000:82:00.0';
const BUS_83 = '00000000:83:00.0';
const UUID_82 = 'GPU-5D3C8E21-6F4A-4B7E-9A12-3C4D5E6F7A81';
const UUID_83 = 'GPU-5D3C8E21-6F4A-4B7E-9A12-3C4D5E6F7A82';

const RENDER_01 = { name: 'render-01', uuid: '4a2f6c1e-7b3d-4e8a-9c51-0d6e2f8a1b37' };
const RENDER_02 = { name: 'render-02', uuid: 'c81d5b27-2e94-4f0a-b6d3-5a7e9c1f3d08' };
const TRAIN_01 = { name: 'train-01', uuid: '0b9e3a7c-5d21-4f68-8e4a-2c7d1f9b6e53' };

/** A `GPU <bus id>` block of `nvidia-smi vgpu -q`: only its bus id (the parser's `gpu` reading). */
const gpuBlock = (busId: string, line: number) => reading('gpu', line, { host: HOST, busId });

/** A `vGPU ID` block: its VM, vGPU type and framebuffer (`FB Memory Usage` / `Total`). */
const vgpuBlock = (
  vm: { name: string | null; uuid: string | null },
  busId: string,
  line: number,
  fields: ReadingFields = {},
) =>
  reading('vgpu', line, {
    host: HOST,
    busId,
    vgpuId: String(3251634178 + line),
    vgpuType: 'GRID V100-8Q',
    vm,
    metrics: { fbTotalMib: 8192, fbUsedMib: 1024 },
    ...fields,
  });

/** `--query-gpu` readings of the host: UUID, product name and framebuffer per bus id. */
const queryGpu = (
  busId: string,
  uuid: string,
  line: number,
  name = 'Tesla V100-PCIE-16GB',
  fbTotalMib: number | null = 16160,
) => reading('gpu', line, { busId, gpuUuid: uuid, model: name, metrics: { fbTotalMib } });

/** host-a: two V100s; render-01 and render-02 on bus 82, train-01 on bus 83 (all GRID V100-8Q). */
const hostA = (vgpu?: Reading[]): DiscoveryInput => ({
  host: HOST,
  clusterId: CLUSTER,
  vgpu: vgpu ?? [
    gpuBlock(BUS_82, 6),
    vgpuBlock(RENDER_01, BUS_82, 8),
    vgpuBlock(RENDER_02, BUS_82, 30),
    gpuBlock(BUS_83, 52),
    vgpuBlock(TRAIN_01, BUS_83, 54),
  ],
  gpus: [queryGpu(BUS_82, UUID_82, 2), queryGpu(BUS_83, UUID_83, 3)],
  atMs: AT,
  source: 'agent:host-a',
});

function applied(events: readonly InventoryEvent[], index: InventoryIndex = emptyIndex()): InventoryIndex {
  for (const e of events) applyToIndex(index, e);
  return index;
}

/** The index after host-a's first discovery. */
function afterFirstDiscovery(m: TelemetryMapping = EMPTY_MAPPING): InventoryIndex {
  return applied(discoverInventory(emptyIndex(), m, hostA()).events);
}

describe('discoverInventory: a host seen for the first time', () => {
  it('registers the host, its two GPUs and places its three VMs', () => {
    // given an empty inventory and host-a's vgpu -q with its --query-gpu readings

    // when
    const { events, problems, warnings } = discoverInventory(emptyIndex(), EMPTY_MAPPING, hostA());

    // then
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(events.map((e) => e.type)).toEqual([
      'host.registered',
      'gpu.registered',
      'gpu.registered',
      'vm.placed',
      'vm.placed',
      'vm.placed',
    ]);
    expect(events[0]).toEqual({
      id: expect.any(String),
      type: 'host.registered',
      version: 1,
      ts: '2026-07-17T09:14:05.000Z', // input.atMs
      source: 'agent:host-a',
      data: { hostId: HOST, clusterId: CLUSTER, homogeneousProfiles: true },
    });
    expect(events.slice(1, 3).map((e) => e.data)).toEqual([
      {
        gpuId: UUID_82, // no mapping, not in the inventory: its UUID, from --query-gpu (vgpu -q prints none)
        hostId: HOST,
        model: 'V100-16GB', // the catalogue's model for 'Tesla V100-PCIE-16GB'
        framebufferMib: 16384, // the catalogue's 16 GB × 1024, not the 16160 MiB the board reports
        policy: 'best_effort', // the driver's default; vgpu -q does not print it
        timeSliceMs: 1, // about 1 ms (DESIGN.md)
        uuid: UUID_82,
        busId: BUS_82,
      },
      expect.objectContaining({ gpuId: UUID_83, model: 'V100-16GB', uuid: UUID_83, busId: BUS_83 }),
    ]);
    expect(events.slice(3).map((e) => e.data)).toEqual([
      // profile: 'GRID V100-8Q' without its 'GRID '; framebuffer: the vGPU's FB Memory Usage Total
      {
        vmId: 'render-01',
        gpuId: UUID_82,
        profile: 'V100-8Q',
        framebufferMib: 8192,
        workload: UNPROFILED_WORKLOAD,
      },
      {
        vmId: 'render-02',
        gpuId: UUID_82,
        profile: 'V100-8Q',
        framebufferMib: 8192,
        workload: UNPROFILED_WORKLOAD,
      },
      {
        vmId: 'train-01',
        gpuId: UUID_83,
        profile: 'V100-8Q',
        framebufferMib: 8192,
        workload: UNPROFILED_WORKLOAD,
      },
    ]);
    expect(contractViolations(events)).toEqual([]);
  });

  it('names the GPU as the mapping says', () => {
    // given a mapping naming GPU 82 by UUID (lower case) and GPU 83 by host and bus id
    const m = mapping({
      gpus: [
        { uuid: UUID_82.toLowerCase(), gpuId: 'rack7-gpu0' },
        { host: HOST, busId: BUS_83, gpuId: 'rack7-gpu1' },
      ],
    });

    // when
    const { events } = discoverInventory(emptyIndex(), m, hostA());

    // then
    expect(events.flatMap((e) => (e.type === 'gpu.registered' ? [e.data.gpuId] : []))).toEqual([
      'rack7-gpu0',
      'rack7-gpu1',
    ]);
    expect(events.flatMap((e) => (e.type === 'vm.placed' ? [[e.data.vmId, e.data.gpuId]] : []))).toEqual([
      ['render-01', 'rack7-gpu0'],
      ['render-02', 'rack7-gpu0'],
      ['train-01', 'rack7-gpu1'],
    ]);
  });

  it('takes the framebuffer from the vGPU’s reading, and from the catalogue’s profile when the reading has none', () => {
    // given render-01 reporting an FB total off the catalogue (to tell the sources apart) and render-02 reporting none
    const input = hostA([
      gpuBlock(BUS_82, 6),
      vgpuBlock(RENDER_01, BUS_82, 8, { metrics: { fbTotalMib: 8000 } }),
      vgpuBlock(RENDER_02, BUS_82, 30, { metrics: { fbTotalMib: null } }),
    ]);

    // when
    const { events, problems } = discoverInventory(emptyIndex(), EMPTY_MAPPING, input);

    // then
    expect(problems).toEqual([]);
    expect(events.flatMap((e) => (e.type === 'vm.placed' ? [e.data.framebufferMib] : []))).toEqual([
      8000, // the reading's
      8192, // the catalogue's V100-8Q of the V100-16GB just registered: 8 GB × 1024
    ]);
  });

  it('places each vGPU of a VM with two as its own twin VM, <vm>@<bus id>', () => {
    // given train-01 with one vGPU on each GPU
    const input = hostA([
      gpuBlock(BUS_82, 6),
      vgpuBlock(TRAIN_01, BUS_82, 8),
      gpuBlock(BUS_83, 30),
      vgpuBlock(TRAIN_01, BUS_83, 32),
    ]);

    // when
    const { events } = discoverInventory(emptyIndex(), EMPTY_MAPPING, input);

    // then
    expect(events.flatMap((e) => (e.type === 'vm.placed' ? [[e.data.vmId, e.data.gpuId]] : []))).toEqual([
      [`train-01@${BUS_82}`, UUID_82],
      [`train-01@${BUS_83}`, UUID_83],
    ]);
  });
});

describe('discoverInventory: a host the inventory holds', () => {
  it('finds nothing to do when the host shows what the inventory holds', () => {
    // given the inventory after host-a's first discovery
    const index = afterFirstDiscovery();

    // when the same capture is discovered again
    const again = discoverInventory(index, EMPTY_MAPPING, hostA());

    // then
    expect(again).toEqual({ events: [], problems: [], warnings: [] });
  });

  it('finds nothing to do when a VM restarted (same name and UUID, a new vGPU ID)', () => {
    // given the inventory after the first discovery, and render-01 back with a new vGPU ID
    const index = afterFirstDiscovery();
    const input = hostA();
    const restarted = input.vgpu.map((r) =>
      r.vm?.name === 'render-01' ? { ...r, vgpuId: '3251634190' } : r,
    );
    expect(restarted.map((r) => r.vgpuId)).not.toEqual(input.vgpu.map((r) => r.vgpuId)); // the capture did change

    // when
    const { events, problems } = discoverInventory(index, EMPTY_MAPPING, { ...input, vgpu: restarted });

    // then
    expect(problems).toEqual([]);
    expect(events).toEqual([]);
  });

  it('migrates a VM that is now on the other GPU', () => {
    // given the inventory after the first discovery, then render-02 shown on bus 83
    const index = afterFirstDiscovery();
    const input = hostA([
      gpuBlock(BUS_82, 6),
      vgpuBlock(RENDER_01, BUS_82, 8),
      gpuBlock(BUS_83, 30),
      vgpuBlock(TRAIN_01, BUS_83, 32),
      vgpuBlock(RENDER_02, BUS_83, 54),
    ]);

    // when
    const { events, problems } = discoverInventory(index, EMPTY_MAPPING, input);

    // then
    expect(problems).toEqual([]);
    expect(events).toEqual([
      {
        id: expect.any(String),
        type: 'vm.migrated',
        version: 1,
        ts: '2026-07-17T09:14:05.000Z',
        source: 'agent:host-a',
        data: {
          vmId: 'render-02',
          fromGpuId: UUID_82,
          toGpuId: UUID_83,
          profile: 'V100-8Q',
          framebufferMib: 8192,
        },
      },
    ]);
    expect(contractViolations(events)).toEqual([]);
  });

  it('removes a VM the host no longer shows', () => {
    // given the inventory after the first discovery, then render-02 gone
    const index = afterFirstDiscovery();
    const input = hostA();
    const without = input.vgpu.filter((r) => r.vm?.name !== 'render-02');

    // when
    const { events, problems } = discoverInventory(index, EMPTY_MAPPING, { ...input, vgpu: without });

    // then
    expect(problems).toEqual([]);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['vm.removed', { vmId: 'render-02', gpuId: UUID_82 }],
    ]);
    expect(contractViolations(events)).toEqual([]);
  });

  it('leaves alone the VMs of another host', () => {
    // given the inventory holding host-a, and host-b's first capture (bus 82 too, other UUIDs)
    const index = afterFirstDiscovery();
    const hostB: DiscoveryInput = {
      ...hostA([reading('gpu', 6, { host: 'host-b', busId: BUS_82 })]),
      host: 'host-b',
      gpus: [queryGpu(BUS_82, 'GPU-00000000-0000-0000-0000-0000000000B2', 2)],
    };

    // when
    const { events } = discoverInventory(index, EMPTY_MAPPING, hostB);

    // then: host-b and its GPU registered, no vm.removed for host-a's VMs
    expect(events.map((e) => e.type)).toEqual(['host.registered', 'gpu.registered']);
  });
});

describe('discoverInventory: GPUs and vGPUs it cannot take as they are', () => {
  it('registers an unknown model with a reported framebuffer, with a warning naming it', () => {
    // given an A40 (not in libs/scheduler's catalogue), its --query-gpu reporting 46068 MiB
    const input: DiscoveryInput = {
      ...hostA([
        gpuBlock(BUS_82, 6),
        vgpuBlock(RENDER_01, BUS_82, 8, { vgpuType: 'NVIDIA A40-12Q', metrics: { fbTotalMib: 12288 } }),
      ]),
      gpus: [queryGpu(BUS_82, UUID_82, 2, 'NVIDIA A40', 46068)],
    };

    // when
    const { events, problems, warnings } = discoverInventory(emptyIndex(), EMPTY_MAPPING, input);

    // then
    expect(problems).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining("'NVIDIA A40'")]);
    expect(warnings[0]).toContain(UUID_82);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['host.registered', expect.anything()],
      [
        'gpu.registered',
        expect.objectContaining({ gpuId: UUID_82, model: 'NVIDIA A40', framebufferMib: 46068 }),
      ], // the reported size
      [
        'vm.placed',
        expect.objectContaining({ vmId: 'render-01', profile: 'A40-12Q', framebufferMib: 12288 }),
      ],
    ]);
    expect(contractViolations(events)).toEqual([]);
  });

  it('names a problem for an unknown model with no framebuffer, and does not place its VMs', () => {
    // given the A40 again, its --query-gpu without memory.total; train-01 on a known V100 beside it
    const input: DiscoveryInput = {
      ...hostA([
        gpuBlock(BUS_82, 6),
        vgpuBlock(RENDER_01, BUS_82, 8, { vgpuType: 'NVIDIA A40-12Q' }),
        gpuBlock(BUS_83, 30),
        vgpuBlock(TRAIN_01, BUS_83, 32),
      ]),
      gpus: [queryGpu(BUS_82, UUID_82, 2, 'NVIDIA A40', null), queryGpu(BUS_83, UUID_83, 3)],
    };

    // when
    const { events, problems } = discoverInventory(emptyIndex(), EMPTY_MAPPING, input);

    // then
    expect(problems).toEqual([{ line: 6, message: expect.stringContaining(BUS_82) }]); // the GPU block's line
    expect(
      events.map((e) => [
        e.type,
        e.type === 'host.registered' ? e.data.hostId : 'gpuId' in e.data && e.data.gpuId,
      ]),
    ).toEqual([
      ['host.registered', HOST],
      ['gpu.registered', UUID_83],
      ['vm.placed', UUID_83], // train-01 only: render-01's GPU is not registered
    ]);
  });

  it('cannot register a V100 without its --query-gpu: the vGPU type names the family, not the board', () => {
    // given host-a's vgpu -q alone: 'V100' is the 16 GB or the 32 GB board
    const { events, problems } = discoverInventory(emptyIndex(), EMPTY_MAPPING, { ...hostA(), gpus: [] });

    // then
    expect(events.map((e) => e.type)).toEqual(['host.registered']);
    expect(problems.map((p) => p.line)).toEqual([6, 52]); // the two GPU blocks' lines
  });

  it('names the field of a vGPU type that is no profile name, and places the other VMs', () => {
    // given render-02's vGPU Name cut short in the capture
    const input = hostA([
      gpuBlock(BUS_82, 6),
      vgpuBlock(RENDER_01, BUS_82, 8),
      vgpuBlock(RENDER_02, BUS_82, 30, { vgpuType: 'GRID V100-8' }),
    ]);

    // when
    const { events, problems } = discoverInventory(emptyIndex(), EMPTY_MAPPING, input);

    // then
    expect(problems).toEqual([
      { line: 30, field: 'vGPU Name', message: expect.stringContaining("'GRID V100-8'") },
    ]);
    expect(events.flatMap((e) => (e.type === 'vm.placed' ? [e.data.vmId] : []))).toEqual(['render-01']);
  });

  it('names the line of a vGPU with no VM name or UUID', () => {
    // given a vGPU block whose VM fields were N/A
    const input = hostA([gpuBlock(BUS_82, 6), vgpuBlock({ name: null, uuid: null }, BUS_82, 8)]);

    // when
    const { events, problems } = discoverInventory(emptyIndex(), EMPTY_MAPPING, input);

    // then
    expect(problems).toEqual([{ line: 8, message: expect.stringContaining('no VM name or UUID') }]);
    expect(events.map((e) => e.type)).toEqual(['host.registered', 'gpu.registered']);
  });
});

describe('discoverInventory: the mapping’s workloads', () => {
  it('carries a mapped workload and SLO into vm.placed; a VM no entry names is unprofiled', () => {
    // given a mapping naming the train VMs' workload and SLO, and renaming render-02
    const m = mapping({
      vms: [
        { match: { vmName: 'train-.*' }, workload: 'resnet50-train', sloSlowdown: 1.5 },
        { match: { vmUuid: RENDER_02.uuid }, vm: 'twin-render-02' },
      ],
    });

    // when
    const { events } = discoverInventory(emptyIndex(), m, hostA());

    // then
    expect(events.flatMap((e) => (e.type === 'vm.placed' ? [e.data] : []))).toEqual([
      expect.objectContaining({ vmId: 'render-01', workload: UNPROFILED_WORKLOAD }), // no entry matches
      expect.objectContaining({ vmId: 'twin-render-02', workload: UNPROFILED_WORKLOAD }), // named, no workload
      expect.objectContaining({ vmId: 'train-01', workload: 'resnet50-train', sloSlowdown: 1.5 }),
    ]);
    const unprofiled = events.find((e) => e.type === 'vm.placed' && e.data.vmId === 'render-01');
    expect(unprofiled?.data).not.toHaveProperty('sloSlowdown'); // the twin's configured default applies
    expect(contractViolations(events)).toEqual([]);
  });

  it('finds nothing to do for renamed VMs on the next capture', () => {
    // given the inventory after a discovery with render-02 renamed by the mapping
    const m = mapping({ vms: [{ match: { vmUuid: RENDER_02.uuid }, vm: 'twin-render-02' }] });
    const index = afterFirstDiscovery(m);

    // when
    const again = discoverInventory(index, m, hostA());

    // then
    expect(again.events).toEqual([]);
  });
});

describe('discoverInventory: ids', () => {
  it('gives the same capture at the same time the same ids, distinct per event', () => {
    // when host-a's capture is discovered twice against an empty inventory
    const first = discoverInventory(emptyIndex(), EMPTY_MAPPING, hostA()).events.map((e) => e.id);
    const second = discoverInventory(emptyIndex(), EMPTY_MAPPING, hostA()).events.map((e) => e.id);

    // then
    expect(second).toEqual(first);
    expect(new Set(first).size).toBe(6); // host, two GPUs, three VMs
  });
});

describe('profileOf', () => {
  it.each([
    ['GRID V100-8Q', 'V100-8Q'],
    ['NVIDIA A100-4C', 'A100-4C'],
    ['GRID V100D-32Q', 'V100D-32Q'],
    ['  GRID T4-16Q ', 'T4-16Q'],
  ])('reads %j as profile %j', (type, profile) => {
    expect(profileOf(type)).toBe(profile);
  });

  it.each([[null], [''], ['GRID V100-8'], ['V100 8Q']])('reads %j as no profile', (type) => {
    expect(profileOf(type)).toBeNull();
  });
});
