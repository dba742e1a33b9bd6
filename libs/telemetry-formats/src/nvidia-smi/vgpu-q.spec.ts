import { type Reading } from '../reading';
import { invariantViolations, readFixture } from './testing/samples';
import { parseNvidiaSmiVgpuQ } from './vgpu-q';

// Hand-written fixtures (no real capture exists): see fixtures/README.md.
const FULL = 'vgpu-q-2gpu-3vm.txt';
const RESTART = 'vgpu-q-restart.txt';
const EMPTY = 'vgpu-q-empty.txt';

const summary = (r: Reading) => [r.kind, r.line, r.busId, r.vgpuId, r.vm?.name ?? null, r.vgpuType];

describe('parseNvidiaSmiVgpuQ', () => {
  it('reads each physical GPU, then each of its vGPUs', () => {
    const text = readFixture(FULL);
    const { readings, problems } = parseNvidiaSmiVgpuQ(text, { host: 'kvm-3' });
    expect(problems).toEqual([]);
    expect(readings.map(summary)).toEqual([
      ['gpu', 8, '00000000:82:00.0', null, null, null], // L8 GPU 00000000:82:00.0
      ['vgpu', 10, '00000000:82:00.0', '3251634178', 'render-01', 'GRID P40-6Q'], // L10 vGPU ID, L13 vGPU Name
      ['vgpu', 43, '00000000:82:00.0', '3251634179', 'render-02', 'GRID P40-6Q'],
      ['gpu', 76, '00000000:83:00.0', null, null, null],
      ['vgpu', 78, '00000000:83:00.0', '3251634180', 'train-01', 'GRID P40-12Q'],
      ['vgpu', 111, '00000000:83:00.0', '3251634181', 'train-01', 'GRID P40-12Q'],
    ]);
    expect(readings.every((r) => r.host === 'kvm-3')).toBe(true);
    expect(readings.every((r) => r.timestampMs === Date.UTC(2026, 6, 17, 9, 14, 5))).toBe(true); // L4
    expect(invariantViolations(text, { readings, problems })).toEqual([]);
  });

  it('reads a vGPU: its VM, type, framebuffer and utilisation', () => {
    const render01 = parseNvidiaSmiVgpuQ(readFixture(FULL)).readings[1]!;
    expect(render01).toMatchObject({
      kind: 'vgpu',
      vm: { name: 'render-01', uuid: '4a2f6c1e-7b3d-4e8a-9c51-0d6e2f8a1b37' }, // L12 VM Name, L11 VM UUID
      gpuUuid: null, // vgpu -q names the physical GPU by bus id only
      model: null,
      labels: {
        vgpuTypeId: '50', // L14 vGPU Type
        vgpuUuid: '8d0c4f6a-2b1e-11f1-9a3c-5e4d3c2b1a09', // L15
        mdevUuid: '9f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f', // L16
        guestDriverVersion: '535.216.01', // L17
        licenseStatus: 'Licensed (Expiry: 2026-10-1 0:0:0 GMT)', // L18
        guestBusId: '00000000:02:00.0', // L25 PCI/Bus Id, the guest's view; L19 GPU Instance ID N/A is left out
        driverVersion: '535.216.01', // L5, the host's
      },
    });
    expect(render01.metrics).toEqual({
      fbTotalMib: 6144, // L27 FB Memory Usage/Total: the P40-6Q's 6 GiB
      fbUsedMib: 2241, // L28
      fbFreeMib: 3903, // L29: 6144 − 2241
      gpuUtilPct: 37, // L31 Utilization/Gpu
      memUtilPct: 12, // L32 Utilization/Memory
      pcieRxMBps: null,
      pcieTxMBps: null,
      smClockMhz: null,
      powerW: null,
      tempC: null,
    });
  });

  it('reads one VM owning two vGPUs on one GPU as two readings of that VM', () => {
    const train = parseNvidiaSmiVgpuQ(readFixture(FULL)).readings.filter((r) => r.vm?.name === 'train-01');
    expect(train.map((r) => [r.vgpuId, r.vm?.uuid, r.labels['guestBusId'], r.metrics.fbTotalMib])).toEqual([
      ['3251634180', 'e5a3917c-6d28-4b1f-a0c4-8f2b6d9e7a15', '00000000:02:00.0', 12288], // L78
      ['3251634181', 'e5a3917c-6d28-4b1f-a0c4-8f2b6d9e7a15', '00000000:03:00.0', 12288], // L111
    ]);
  });

  it('gives the GPU its Active vGPUs count', () => {
    const gpus = parseNvidiaSmiVgpuQ(readFixture(FULL)).readings.filter((r) => r.kind === 'gpu');
    expect(gpus.map((r) => r.labels['activeVgpus'])).toEqual(['2', '2']); // L9, L77
    expect(gpus.every((r) => Object.values(r.metrics).every((v) => v === null))).toBe(true);
  });

  it('reads a restarted VM as the same VM with a new vGPU ID', () => {
    const before = parseNvidiaSmiVgpuQ(readFixture(FULL)).readings;
    const after = parseNvidiaSmiVgpuQ(readFixture(RESTART));
    expect(after.problems).toEqual([]);
    const render01 = (rs: Reading[]) => rs.find((r) => r.vm?.name === 'render-01')!;
    expect(render01(before).vgpuId).toBe('3251634178');
    expect(render01(after.readings)).toMatchObject({
      vgpuId: '3251634190', // vgpu-q-restart.txt L43
      vm: { uuid: render01(before).vm!.uuid },
      metrics: { fbUsedMib: 0, gpuUtilPct: 0 },
    });
    // The guest driver has not loaded yet: zero vGPU UUID, no driver version, licence N/A.
    expect(render01(after.readings).labels).toMatchObject({
      vgpuUuid: '00000000-0000-0000-0000-000000000000',
    });
    expect(render01(after.readings).labels).not.toHaveProperty('guestDriverVersion');
    expect(render01(after.readings).labels).not.toHaveProperty('licenseStatus');
    const ids = (rs: Reading[]) => rs.filter((r) => r.kind === 'vgpu').map((r) => r.vgpuId);
    expect(ids(after.readings)).toEqual(['3251634179', '3251634190', '3251634180', '3251634181']);
  });

  it('still reports the physical GPUs when no vGPU is active', () => {
    const { readings, problems } = parseNvidiaSmiVgpuQ(readFixture(EMPTY));
    expect(problems).toEqual([]);
    expect(readings.map((r) => [r.kind, r.line, r.busId, r.labels['activeVgpus']])).toEqual([
      ['gpu', 8, '00000000:82:00.0', '0'], // L8, L9 Active vGPUs : 0
      ['gpu', 10, '00000000:83:00.0', '0'], // L10, L11
    ]);
  });

  it('reports a vGPU count that the blocks do not match (a cut capture)', () => {
    const cut = readFixture(FULL).split('\n').slice(0, 110).join('\n'); // ends before L111, train-01's second vGPU
    const { readings, problems } = parseNvidiaSmiVgpuQ(cut);
    expect(problems.map((p) => [p.line, p.field])).toEqual([[77, 'Active vGPUs']]);
    expect(readings.filter((r) => r.kind === 'vgpu')).toHaveLength(3);
  });

  it('reads vGPU fields that lost their indentation under vGPU ID the same', () => {
    const text = readFixture(FULL);
    const flat = text.replace(/^ {8}/gm, '    ');
    expect(flat).not.toEqual(text);
    expect(parseNvidiaSmiVgpuQ(flat).readings).toEqual(parseNvidiaSmiVgpuQ(text).readings);
  });

  it('names a value that is not a number', () => {
    const text = readFixture(FULL).replace(
      'Used                      : 2241 MiB',
      'Used                      : lots',
    );
    const { readings, problems } = parseNvidiaSmiVgpuQ(text);
    expect(problems).toEqual([expect.objectContaining({ line: 28, field: 'FB Memory Usage/Used' })]);
    expect(readings[1]!.metrics).toMatchObject({ fbUsedMib: null, fbTotalMib: 6144 });
  });

  it('reports input with no GPU block', () => {
    expect(parseNvidiaSmiVgpuQ('No devices were found\n')).toMatchObject({
      readings: [],
      problems: [{ line: 1, field: 'GPU' }],
    });
  });
});
