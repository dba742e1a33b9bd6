import { parseComputeAppsCsv } from './compute-apps-csv';
import { invariantViolations, readSample } from './testing/samples';

const LOAD = 'nvidia-smi-query-compute-apps-h100-load.csv';
const IDLE = 'nvidia-smi-query-compute-apps-h200-idle-empty.csv';

describe('parseComputeAppsCsv', () => {
  it('reads one reading per process from the H100 under load', () => {
    const text = readSample(LOAD);
    const { readings, problems } = parseComputeAppsCsv(text, { host: 'h100-a' });
    expect(problems).toEqual([]);
    expect(readings.map((r) => [r.line, r.process, r.metrics.fbUsedMib])).toEqual([
      [2, { pid: 11327, name: '/root/tools/memhog' }, 2566], // L2: 11327, /root/tools/memhog, 2566 MiB
      [3, { pid: 11328, name: '/root/tools/memhog' }, 1542], // L3: 11328, /root/tools/memhog, 1542 MiB
      [4, { pid: 11345, name: './gpu_burn' }, 15690], // L4: 11345, ./gpu_burn, 15690 MiB
    ]);
    for (const r of readings) {
      expect(r).toMatchObject({
        kind: 'gpu',
        gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', // gpu_uuid
        busId: '00000000:00:09.0', // gpu_bus_id
        model: 'NVIDIA H100 80GB HBM3', // gpu_name
        host: 'h100-a',
        gpuIndex: null,
        timestampMs: Date.UTC(2026, 6, 14, 8, 12, 53, 500), // 2026/07/14 08:12:53.500 read as UTC
      });
      // Only the process's own memory: the other nine metrics are the GPU's and absent here.
      const { fbUsedMib: _own, ...gpuWide } = r.metrics;
      expect(Object.values(gpuWide)).toEqual(Array(9).fill(null));
    }
    expect(invariantViolations(text, { readings, problems })).toEqual([]);
  });

  it('reads the idle GPU (header only) as no readings and no problems', () => {
    // nvidia-smi-query-compute-apps-h200-idle-empty.csv L1: the header, nothing else
    expect(parseComputeAppsCsv(readSample(IDLE))).toEqual({ readings: [], problems: [] });
  });

  it('reads nounits output (no MiB after the numbers) the same', () => {
    const text = readSample(LOAD);
    const nounits = text.replace(/(\d) MiB$/gm, '$1');
    expect(nounits).not.toEqual(text);
    expect(parseComputeAppsCsv(nounits)).toEqual(parseComputeAppsCsv(text));
  });

  it('reads [N/A] memory (Windows WDDM) as null and names a bad pid', () => {
    const text = [
      'pid, process_name, used_gpu_memory [MiB]',
      '4242, C:\\app.exe, [N/A]',
      'x1, python3, 512 MiB',
      '77, python3, 5l2 MiB',
    ].join('\n');
    const { readings, problems } = parseComputeAppsCsv(text);
    expect(readings.map((r) => [r.process?.pid, r.metrics.fbUsedMib])).toEqual([
      [4242, null],
      [null, 512],
      [77, null],
    ]);
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [3, 'pid'],
      [4, 'used_gpu_memory'],
    ]);
  });

  it('refuses headerless output', () => {
    const noheader = readSample(LOAD).split('\n').slice(1).join('\n');
    expect(parseComputeAppsCsv(noheader)).toMatchObject({
      readings: [],
      refused: true,
      problems: [{ line: 1, field: 'header' }],
    });
  });
});
