import type { Reading } from '../reading';
import { emptyIndex } from './inventory-index';
import { EMPTY_MAPPING } from './mapping';
import {
  AT,
  contractViolations,
  gpuRegistered,
  indexOf,
  mapping,
  reading,
  vmPlaced,
  type ReadingFields,
} from './testing';
import { readingsToEvents, type ConvertContext } from './to-events';

// Made-up identifiers in the forms nvidia-smi and dcgm-exporter print them.
const HOST = 'host-a';
const UUID_82 = 'GPU-5D3C8E21-6F4A-4B7E-9A12-3C4D5E6F7A81';
const UUID_83 = 'GPU-5D3C8E21-6F4A-4B7E-9A12-3C4D5E6F7A82';
const BUS_82 = '00000000:82:00.0';
const BUS_83 = '00000000:83:00.0';

/** The inventory of host-a: two V100s registered under the twin's own ids, with their UUIDs and bus ids. */
const inventory = () =>
  indexOf([
    gpuRegistered({ gpuId: 'gpu-a0', hostId: HOST, uuid: UUID_82, busId: BUS_82 }),
    gpuRegistered({ gpuId: 'gpu-a1', hostId: HOST, uuid: UUID_83, busId: BUS_83 }),
  ]);

const ctx = (over: Partial<ConvertContext> = {}): ConvertContext => ({
  index: inventory(),
  mapping: EMPTY_MAPPING,
  atMs: AT,
  host: null,
  source: 'import',
  ...over,
});

/** A dcgm-exporter device reading of GPU 82 (no bus id: dcgm-exporter names a GPU by UUID). */
const dcgmGpu = (fields: ReadingFields = {}, line = 3): Reading =>
  reading('gpu', line, {
    gpuUuid: UUID_82,
    metrics: { gpuUtilPct: 37, memUtilPct: 12, fbUsedMib: 2241, fbTotalMib: 16384, powerW: 61.5, tempC: 40 },
    ...fields,
  });

/** `nvidia-smi vgpu -q`'s block of one vGPU (see ../nvidia-smi/fixtures/vgpu-q-2gpu-3vm.txt). */
const vgpu = (vm: { name: string | null; uuid: string | null }, fields: ReadingFields = {}, line = 8) =>
  reading('vgpu', line, {
    host: HOST,
    busId: BUS_82,
    vgpuId: '3251634178',
    vgpuType: 'GRID V100-8Q',
    vm,
    metrics: { fbTotalMib: 8192, fbUsedMib: 2241, fbFreeMib: 5951, gpuUtilPct: 37, memUtilPct: 12 },
    ...fields,
  });

const RENDER_01 = { name: 'render-01', uuid: '4a2f6c1e-7b3d-4e8a-9c51-0d6e2f8a1b37' };
const TRAIN_01 = { name: 'train-01', uuid: '0b9e3a7c-5d21-4f68-8e4a-2c7d1f9b6e53' };

const pod = (name: string) => ({ namespace: 'ml', pod: name, container: 'trainer' });

describe('readingsToEvents: a physical GPU', () => {
  it('is one gpu_sample v2 of the GPU the inventory knows by its UUID, in any case, with nulls kept', () => {
    // given the inventory's GPU 82 and a dcgm-exporter reading printing its UUID in lower case
    const r = dcgmGpu({ gpuUuid: UUID_82.toLowerCase() });

    // when
    const { events, problems } = readingsToEvents([r], ctx());

    // then
    expect(problems).toEqual([]);
    expect(events).toEqual([
      {
        id: expect.any(String),
        type: 'telemetry.gpu_sample',
        version: 2,
        ts: '2026-07-17T09:14:05.000Z', // ctx.atMs: the reading has no time of its own
        source: 'import',
        data: {
          gpuId: 'gpu-a0', // the inventory's id for UUID_82, not the UUID
          hostId: HOST, // from the inventory: the reading names no host
          gpuUtilPct: 37,
          memUtilPct: 12,
          fbUsedMib: 2241,
          fbTotalMib: 16384,
          pcieRxMBps: null, // not in the reading: null, never a guessed 0
          pcieTxMBps: null,
          smClockMhz: null,
          powerW: 61.5,
          temperatureC: 40, // the reading's tempC
        },
      },
    ]);
    expect(contractViolations(events)).toEqual([]);
  });

  it('finds the GPU by host and bus id when the reading has no UUID (the host from the context)', () => {
    // given an nvidia-smi reading of bus 83 with no UUID, posted for host-a
    const r = reading('gpu', 2, { busId: BUS_83, metrics: { gpuUtilPct: 5 } });

    // when
    const { events, problems } = readingsToEvents([r], ctx({ host: HOST }));

    // then
    expect(problems).toEqual([]);
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({ gpuId: 'gpu-a1', hostId: HOST, gpuUtilPct: 5, memUtilPct: null }),
    ]);
  });

  it('takes the mapping over the inventory: by UUID (any case), and by host and bus id (any case)', () => {
    // given a mapping naming GPU 82 by UUID and GPU 83 by host and lower-case bus id
    const m = mapping({
      gpus: [
        { uuid: UUID_82.toLowerCase(), gpuId: 'rack7-gpu0', hostId: 'rack7-node1' },
        { host: HOST, busId: BUS_83.toLowerCase(), gpuId: 'rack7-gpu1' },
      ],
    });
    const readings = [
      dcgmGpu({}, 3),
      reading('gpu', 4, { host: HOST, busId: BUS_83, metrics: { gpuUtilPct: 5 } }),
    ];

    // when
    const { events, problems } = readingsToEvents(readings, ctx({ mapping: m }));

    // then
    expect(problems).toEqual([]);
    expect(
      events.map((e) => [e.data.gpuId, e.type === 'telemetry.gpu_sample' ? e.data.hostId : null]),
    ).toEqual([
      ['rack7-gpu0', 'rack7-node1'], // the mapping's gpuId and hostId: the inventory has no rack7-gpu0
      ['rack7-gpu1', HOST], // the mapping names no hostId: the reading's host
    ]);
    expect(contractViolations(events)).toEqual([]);
  });

  it('names a GPU neither the inventory nor the mapping knows by its UUID, else by <host>/<bus id>', () => {
    // given an empty inventory
    const readings = [dcgmGpu({ host: HOST }, 3), reading('gpu', 4, { host: HOST, busId: BUS_83 })];

    // when
    const { events, problems } = readingsToEvents(readings, ctx({ index: emptyIndex() }));

    // then
    expect(problems).toEqual([]);
    expect(events.map((e) => e.data.gpuId)).toEqual([UUID_82, `${HOST}/${BUS_83}`]);
  });

  it('dates the sample by the reading’s own time when it has one', () => {
    // given a reading stamped 10 s after the capture was posted
    const r = dcgmGpu({ timestampMs: AT + 10_000 });

    // when
    const { events } = readingsToEvents([r], ctx());

    // then
    expect(events.map((e) => e.ts)).toEqual(['2026-07-17T09:14:15.000Z']); // AT + 10 s
  });

  it('reads the same GPU at the same instant once', () => {
    // given the same device twice in one input (two exporters scraped into one file)
    const { events } = readingsToEvents([dcgmGpu({}, 3), dcgmGpu({}, 9)], ctx());

    // then
    expect(events).toHaveLength(1);
  });
});

describe('readingsToEvents: pods on a GPU (dcgm-exporter on Kubernetes)', () => {
  const threeVms = mapping({
    vms: [
      { match: { pod: 'train-0' }, vm: 'vm-train-0' },
      { match: { pod: 'train-1' }, vm: 'vm-train-1' },
      { match: { pod: 'train-2' }, vm: 'vm-train-2' },
    ],
  });

  it('gives a time-sliced GPU exactly one gpu_sample and no vm_sample, even when its pods are mapped', () => {
    // given one reading of a GPU three mapped pods share (the device-wide values were read once)
    const r = dcgmGpu({ pods: [pod('train-0'), pod('train-1'), pod('train-2')] });

    // when
    const { events, problems } = readingsToEvents([r], ctx({ mapping: threeVms }));

    // then: the device's numbers are no VM's; neither copied to each nor split
    expect(problems).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['telemetry.gpu_sample']);
    expect(events[0]!.data).toMatchObject({ gpuId: 'gpu-a0', gpuUtilPct: 37 }); // read once, not 3 × 37
  });

  it('gives a GPU one mapped pod holds alone its gpu_sample and that VM’s vm_sample with the device’s numbers', () => {
    // given one pod on GPU 82, mapped to vm-train-1
    const r = dcgmGpu({ pods: [pod('train-1')] });

    // when
    const { events, problems } = readingsToEvents([r], ctx({ mapping: threeVms }));

    // then
    expect(problems).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['telemetry.gpu_sample', 'telemetry.vm_sample']);
    expect(events[1]!.data).toEqual({
      vmId: 'vm-train-1', // the mapping's vm for pod train-1
      gpuId: 'gpu-a0',
      gpuUtilPct: 37, // the device's numbers: the pod has the GPU to itself
      memUtilPct: 12,
      fbUsedMib: 2241,
      pcieRxMBps: null,
      pcieTxMBps: null,
      vcpuUtilPct: null, // dcgm-exporter knows nothing of the VM's CPUs
      vmMemUtilPct: null,
      progressRate: null, // progress comes from the workload's own metric (ProgressTracker)
    });
    expect(contractViolations(events)).toEqual([]);
  });

  it('gives a GPU one unmapped pod holds only its gpu_sample', () => {
    // given a pod no mapping entry matches
    const r = dcgmGpu({ pods: [pod('notebook-7')] });

    // when
    const { events } = readingsToEvents([r], ctx({ mapping: threeVms }));

    // then
    expect(events.map((e) => e.type)).toEqual(['telemetry.gpu_sample']);
  });

  it('gives a MIG instance one mapped pod holds only that VM’s vm_sample, on the parent GPU', () => {
    // given a 1g.10gb instance of GPU 83 (dcgm-exporter labels it with the parent's UUID) held by train-2
    const r = reading('mig', 5, {
      gpuUuid: UUID_83,
      mig: { gpuInstanceId: '7', profile: '1g.10gb' },
      pods: [pod('train-2')],
      metrics: { gpuUtilPct: 88, fbUsedMib: 9000 },
    });

    // when
    const { events, problems } = readingsToEvents([r], ctx({ mapping: threeVms }));

    // then: an instance is no physical GPU, so no gpu_sample
    expect(problems).toEqual([]);
    expect(events.map((e) => [e.type, e.data.gpuId])).toEqual([['telemetry.vm_sample', 'gpu-a1']]);
    expect(events[0]!.data).toMatchObject({
      vmId: 'vm-train-2',
      gpuUtilPct: 88,
      fbUsedMib: 9000,
      memUtilPct: null,
    });
    expect(contractViolations(events)).toEqual([]);
  });
});

describe('readingsToEvents: vGPUs (nvidia-smi vgpu -q)', () => {
  it('is the VM’s vm_sample, on the GPU where the inventory places the VM', () => {
    // given render-01 placed on gpu-a1, and its vGPU reading naming no bus id
    const index = indexOf([
      gpuRegistered({ gpuId: 'gpu-a1', hostId: HOST, uuid: UUID_83, busId: BUS_83 }),
      vmPlaced({ vmId: 'render-01', gpuId: 'gpu-a1' }),
    ]);
    const r = vgpu(RENDER_01, { busId: null });

    // when
    const { events, problems } = readingsToEvents([r], ctx({ index }));

    // then
    expect(problems).toEqual([]);
    expect(events).toEqual([
      {
        id: expect.any(String),
        type: 'telemetry.vm_sample',
        version: 2,
        ts: '2026-07-17T09:14:05.000Z',
        source: 'import',
        data: {
          vmId: 'render-01', // the VM Name
          gpuId: 'gpu-a1', // where the inventory places render-01
          gpuUtilPct: 37,
          memUtilPct: 12,
          fbUsedMib: 2241,
          pcieRxMBps: null, // vgpu -q prints no PCIe or vCPU numbers
          pcieTxMBps: null,
          vcpuUtilPct: null,
          vmMemUtilPct: null,
          progressRate: null,
        },
      },
    ]);
    expect(contractViolations(events)).toEqual([]);
  });

  it('finds the GPU of a VM the inventory does not place yet by the vGPU’s host and bus id', () => {
    // given render-01 unknown to the inventory, its vGPU on bus 82 of host-a
    const { events, problems } = readingsToEvents([vgpu(RENDER_01)], ctx());

    // then
    expect(problems).toEqual([]);
    expect(events.map((e) => e.data.gpuId)).toEqual(['gpu-a0']); // bus 82 of host-a in the inventory
  });

  it('names the VM as the mapping says, by vmName or by vmUuid', () => {
    // given a mapping naming render-01 by name and train-01 by UUID
    const m = mapping({
      vms: [
        { match: { vmName: 'render-0[1-9]' }, vm: 'twin-render-01' },
        { match: { vmUuid: TRAIN_01.uuid }, vm: 'twin-train-01' },
      ],
    });
    const readings = [vgpu(RENDER_01, {}, 8), vgpu(TRAIN_01, { busId: BUS_83, vgpuId: '3251634180' }, 40)];

    // when
    const { events, problems } = readingsToEvents(readings, ctx({ mapping: m }));

    // then
    expect(problems).toEqual([]);
    expect(events.map((e) => e.type === 'telemetry.vm_sample' && [e.data.vmId, e.data.gpuId])).toEqual([
      ['twin-render-01', 'gpu-a0'],
      ['twin-train-01', 'gpu-a1'],
    ]);
  });

  it('makes each vGPU of a VM with two its own twin VM, <vm>@<bus id>', () => {
    // given train-01 with one vGPU on each GPU (same VM UUID, as in vgpu-q-2gpu-3vm.txt)
    const readings = [
      vgpu(TRAIN_01, { busId: BUS_82, vgpuId: '3251634180', metrics: { gpuUtilPct: 70 } }, 8),
      vgpu(TRAIN_01, { busId: BUS_83, vgpuId: '3251634181', metrics: { gpuUtilPct: 65 } }, 40),
    ];

    // when
    const { events, problems } = readingsToEvents(readings, ctx());

    // then
    expect(problems).toEqual([]);
    expect(
      events.map((e) => e.type === 'telemetry.vm_sample' && [e.data.vmId, e.data.gpuId, e.data.gpuUtilPct]),
    ).toEqual([
      [`train-01@${BUS_82}`, 'gpu-a0', 70],
      [`train-01@${BUS_83}`, 'gpu-a1', 65],
    ]);
    expect(contractViolations(events)).toEqual([]);
  });

  it('names the vGPU’s line when it has no VM name or UUID', () => {
    // given a vGPU block whose VM fields were N/A
    const { events, problems } = readingsToEvents([vgpu({ name: null, uuid: null }, {}, 12)], ctx());

    // then
    expect(events).toEqual([]);
    expect(problems).toEqual([{ line: 12, message: expect.stringContaining('no VM name or UUID') }]);
  });

  it('names the vGPU’s line when neither the inventory nor a bus id tells its GPU', () => {
    // given render-01, not placed, its vGPU without a bus id
    const { events, problems } = readingsToEvents([vgpu(RENDER_01, { busId: null }, 14)], ctx());

    // then
    expect(events).toEqual([]);
    expect(problems).toEqual([{ line: 14, message: expect.stringContaining('render-01') }]);
  });
});

describe('readingsToEvents: what cannot become an event', () => {
  it('drops an out-of-range value to null and names the reading’s line and the field', () => {
    // given a utilisation past 100 % and a negative framebuffer (a driver glitch), and a cold GPU below 0 °C
    const r = dcgmGpu({ metrics: { gpuUtilPct: 101, memUtilPct: 12, fbUsedMib: -1, tempC: -3 } }, 21);

    // when
    const { events, problems } = readingsToEvents([r], ctx());

    // then
    expect(events[0]!.data).toMatchObject({
      gpuUtilPct: null,
      memUtilPct: 12,
      fbUsedMib: null,
      temperatureC: -3,
    });
    expect(problems).toEqual([
      { line: 21, field: 'gpuUtilPct', message: expect.stringContaining('101') },
      { line: 21, field: 'fbUsedMib', message: expect.stringContaining('-1') },
    ]);
    expect(contractViolations(events)).toEqual([]);
  });

  it('names the line of a reading with no identity: no UUID, no host, no bus id', () => {
    // given a GPU reading a source printed by index only
    const r = reading('gpu', 17, { gpuIndex: 0, metrics: { gpuUtilPct: 5 } });

    // when
    const { events, problems } = readingsToEvents([r], ctx());

    // then
    expect(events).toEqual([]);
    expect(problems).toEqual([{ line: 17, message: expect.stringContaining('cannot tell which GPU') }]);
  });

  it('names the line of a GPU with a UUID but no host anywhere', () => {
    // given a GPU the inventory does not know, and no host in the reading or the context
    const { events, problems } = readingsToEvents([dcgmGpu({}, 19)], ctx({ index: emptyIndex() }));

    // then
    expect(events).toEqual([]);
    expect(problems).toEqual([{ line: 19, message: expect.stringContaining('no host') }]);
  });

  it('skips a process reading (--query-compute-apps): no telemetry the twin reads', () => {
    // given a process's memory on GPU 82
    const r = dcgmGpu({ process: { pid: 4242, name: 'python' }, metrics: { fbUsedMib: 1200 } });

    // then
    expect(readingsToEvents([r], ctx())).toEqual({ events: [], problems: [] });
  });
});

describe('readingsToEvents: ids', () => {
  it('gives the same input the same ids, distinct per event, and every event passes its contract', () => {
    // given a mixed capture: a GPU one mapped pod holds, a MIG instance, a VM with two vGPUs, a VM whose name has spaces
    const m = mapping({
      vms: [
        { match: { pod: 'train-1' }, vm: 'vm-train-1' },
        { match: { pod: 'train-2' }, vm: 'vm-train-2' },
      ],
    });
    const readings = [
      dcgmGpu({ pods: [pod('train-1')] }, 3),
      reading('mig', 5, {
        gpuUuid: UUID_83,
        mig: { gpuInstanceId: '7', profile: '1g.10gb' },
        pods: [pod('train-2')],
      }),
      vgpu(TRAIN_01, { busId: BUS_82 }, 8),
      vgpu(TRAIN_01, { busId: BUS_83 }, 40),
      vgpu({ name: 'Render Box (Ünïcode)', uuid: null }, {}, 70),
    ];

    // when converted twice
    const first = readingsToEvents(readings, ctx({ mapping: m }));
    const second = readingsToEvents(readings, ctx({ mapping: m }));

    // then
    const ids = first.events.map((e) => e.id);
    expect(ids).toHaveLength(6); // gpu + vm sample of GPU 82, the MIG VM, two train-01 vGPUs, the render box
    expect(new Set(ids).size).toBe(6);
    expect(second.events.map((e) => e.id)).toEqual(ids);
    expect(contractViolations(first.events)).toEqual([]);
  });

  it('keeps an id within the contract when the VM name has spaces, unicode or runs past the id limit', () => {
    // given VM names a host may print: spaces and unicode, and one of 190 characters (ids stop at 200)
    const readings = [
      vgpu({ name: 'Render Box (Ünïcode)', uuid: null }, { busId: BUS_82 }, 8),
      vgpu({ name: 'x'.repeat(190), uuid: null }, { busId: BUS_83 }, 40),
    ];

    // when
    const { events, problems } = readingsToEvents(readings, ctx());

    // then
    expect(problems).toEqual([]);
    expect(events.map((e) => e.type === 'telemetry.vm_sample' && e.data.vmId)).toEqual([
      'Render Box (Ünïcode)',
      'x'.repeat(190),
    ]); // names kept as they are
    expect(events[1]!.id.length).toBeLessThanOrEqual(200); // 'rd:vm:' + 190 + ':' + 13-digit ms would be 210
    expect(contractViolations(events)).toEqual([]);
  });
});
