import { parseQueryGpuCsv } from './query-gpu-csv';
import { invariantViolations, readSample } from './testing/samples';

const L40S = 'nvidia-smi-query-gpu-l40s-load.csv';
const H100 = 'nvidia-smi-query-gpu-h100-load.csv';

/**
 * `--format=csv,nounits` drops the unit from every value and keeps it in the header
 * (`memory.used [MiB]` over `1235`): derived from a units capture by cutting the ` MiB`, ` %`,
 * ` W`, ` MHz`, ` us` after each number on the data lines.
 */
function withoutValueUnits(csv: string): string {
  const [header, ...rows] = csv.split('\n');
  return [header, ...rows.map((r) => r.replace(/(\d) (?:MiB|%|W|MHz|us)(?=,|$)/g, '$1'))].join('\n');
}

/** Also without the units in the header (`memory.used`), as some wrappers print it. */
function withoutHeaderUnits(csv: string): string {
  const [header = '', ...rows] = csv.split('\n');
  return [header.replace(/ \[[^\]]*\]/g, ''), ...rows].join('\n');
}

describe('parseQueryGpuCsv on the real captures', () => {
  it('reads the L40S under load with no problems', () => {
    const text = readSample(L40S);
    const { readings, problems, refused } = parseQueryGpuCsv(text);
    expect(problems).toEqual([]);
    expect(refused).toBeUndefined();
    expect(readings).toHaveLength(1);
    const [r] = readings;
    expect(r).toMatchObject({
      kind: 'gpu',
      line: 2,
      gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', // L2 col 8 uuid
      gpuIndex: 0, // L2 col 30 index 0
      busId: '00000000:01:00.0', // L2 col 9 pci.bus_id
      model: 'NVIDIA L40S', // L2 col 6 name
      host: null, // L2 col 202 hostname [N/A]
      vm: null,
      process: null,
    });
    expect(r!.metrics).toEqual({
      gpuUtilPct: 9, // L2 col 72: utilization.gpu 9 %
      memUtilPct: 2, // L2 col 73: utilization.memory 2 %
      fbUsedMib: 1235, // L2 col 68: memory.used 1235 MiB
      fbFreeMib: 44225, // L2 col 69: memory.free 44225 MiB
      fbTotalMib: 46068, // L2 col 66: memory.total 46068 MiB
      pcieRxMBps: null, // --query-gpu has no throughput field
      pcieTxMBps: null,
      smClockMhz: 2520, // L2 col 166: clocks.current.sm 2520 MHz
      powerW: 110.23, // L2 col 149: power.draw 110.23 W (not col 151 power.draw.instant 112.38 W)
      tempC: 54, // L2 col 145: temperature.gpu 54
    });
    // L2 col 1: 2026/07/03 08:33:53.415, the host's local time, read as UTC
    expect(r!.timestampMs).toBe(Date.UTC(2026, 6, 3, 8, 33, 53, 415));
    // L2 col 2 driver_version 595.80; cols 53–60 clocks_event_reasons.* all "Not Active"
    expect(r!.labels).toEqual({ driverVersion: '595.80', clocksEventReasons: '' });
    expect(invariantViolations(text, { readings, problems })).toEqual([]);
  });

  it('reads the H100 under load with no problems', () => {
    const { readings, problems } = parseQueryGpuCsv(readSample(H100));
    expect(problems).toEqual([]);
    expect(readings).toHaveLength(1);
    expect(readings[0]).toMatchObject({
      busId: '00000000:00:09.0',
      model: 'NVIDIA H100 80GB HBM3',
      gpuIndex: 0,
    });
    expect(readings[0]!.metrics).toMatchObject({
      gpuUtilPct: 100, // L2 col 71: utilization.gpu 100 %
      memUtilPct: 11, // L2 col 72: utilization.memory 11 %
      fbUsedMib: 19818, // L2 col 67: memory.used 19818 MiB
      fbTotalMib: 81559, // L2 col 65: memory.total 81559 MiB
      smClockMhz: 1980, // L2 col 177: clocks.current.sm 1980 MHz
      powerW: 631.95, // L2 col 146: power.draw 631.95 W (= col 147 .average; col 148 .instant is 625.68 W)
      tempC: 59, // L2 col 142: temperature.gpu 59
    });
    expect(readings[0]!.timestampMs).toBe(Date.UTC(2026, 6, 14, 8, 12, 53, 353)); // L2 col 1
  });

  it.each([L40S, H100])('reads %s the same without units in the values (nounits)', (name) => {
    const text = readSample(name);
    const units = parseQueryGpuCsv(text);
    const nounits = parseQueryGpuCsv(withoutValueUnits(text));
    expect(withoutValueUnits(text)).not.toEqual(text);
    expect(nounits.problems).toEqual([]);
    expect(nounits.readings).toEqual(units.readings);
  });

  it.each([L40S, H100])('reads %s the same with no units in header or values', (name) => {
    const text = readSample(name);
    const bare = parseQueryGpuCsv(withoutHeaderUnits(withoutValueUnits(text)));
    expect(bare.problems).toEqual([]);
    expect(bare.readings).toEqual(parseQueryGpuCsv(text).readings);
  });

  it('refuses headerless output (noheader), naming line 1', () => {
    const noheader = readSample(L40S).split('\n').slice(1).join('\n');
    const { readings, problems, refused } = parseQueryGpuCsv(noheader);
    expect(refused).toBe(true);
    expect(readings).toEqual([]);
    expect(problems).toEqual([expect.objectContaining({ line: 1, field: 'header' })]);
  });

  it('accepts CRLF line ends', () => {
    const text = readSample(L40S);
    expect(parseQueryGpuCsv(text.replace(/\n/g, '\r\n')).readings).toEqual(parseQueryGpuCsv(text).readings);
  });
});

describe('parseQueryGpuCsv on small tables', () => {
  const header =
    'index, uuid, pci.bus_id, utilization.gpu [%], memory.used [MiB], power.draw [W], temperature.gpu';

  it('reads one reading per GPU row', () => {
    const text = [
      header,
      '0, GPU-a, 00000000:82:00.0, 40 %, 1024 MiB, 120.50 W, 61',
      '1, GPU-b, 0000:83:00.0, 0 %, 0 MiB, 31.02 W, 35',
    ].join('\n');
    const { readings, problems } = parseQueryGpuCsv(text, { host: 'host-7' });
    expect(problems).toEqual([]);
    expect(readings.map((r) => [r.line, r.gpuIndex, r.gpuUuid, r.busId, r.host])).toEqual([
      [2, 0, 'GPU-a', '00000000:82:00.0', 'host-7'],
      [3, 1, 'GPU-b', '00000000:83:00.0', 'host-7'], // 0000:83:00.0 normalised to the 8-digit domain
    ]);
    expect(readings[0]!.metrics).toMatchObject({ gpuUtilPct: 40, fbUsedMib: 1024, powerW: 120.5, tempC: 61 });
  });

  it('reads the bracketed notes as null, not as problems', () => {
    const text = [
      header,
      '0, GPU-a, 00000000:82:00.0, [Requested functionality has been deprecated], [N/A], [Function Not Found], [Not Supported]',
    ].join('\n');
    const { readings, problems } = parseQueryGpuCsv(text);
    expect(problems).toEqual([]);
    expect(readings[0]!.metrics).toMatchObject({
      gpuUtilPct: null,
      fbUsedMib: null,
      powerW: null,
      tempC: null,
    });
  });

  it('takes power.draw.average, then .instant, when power.draw has no value', () => {
    const text = [
      'index, power.draw [W], power.draw.average [W], power.draw.instant [W]',
      '0, [N/A], [N/A], 33.51 W',
    ].join('\n');
    expect(parseQueryGpuCsv(text).readings[0]!.metrics.powerW).toBe(33.51);
  });

  it('names line and field of a value that is not a number, and keeps the other rows and fields', () => {
    const text = [
      header,
      '0, GPU-a, 00000000:82:00.0, lots %, 12 GiB, 120.50 W, 61',
      '1, GPU-b, 00000000:83:00.0, 5 %, 10 MiB, 31.02 W, 35',
    ].join('\n');
    const { readings, problems } = parseQueryGpuCsv(text);
    expect(problems).toEqual([
      expect.objectContaining({ line: 2, field: 'utilization.gpu' }),
      expect.objectContaining({ line: 2, field: 'memory.used' }), // GiB is not the column's MiB
    ]);
    expect(readings).toHaveLength(2);
    expect(readings[0]!.metrics).toMatchObject({
      gpuUtilPct: null,
      fbUsedMib: null,
      powerW: 120.5,
      tempC: 61,
    });
    expect(readings[1]!.metrics.gpuUtilPct).toBe(5);
  });

  it('leaves out a row with the wrong number of fields, as a problem', () => {
    const text = [
      header,
      '0, GPU-a, 00000000:82:00.0, 40 %',
      '1, GPU-b, 00000000:83:00.0, 5 %, 10 MiB, 31.02 W, 35',
    ].join('\n');
    const { readings, problems } = parseQueryGpuCsv(text);
    expect(problems).toEqual([expect.objectContaining({ line: 2, field: 'row' })]);
    expect(readings.map((r) => r.gpuIndex)).toEqual([1]);
  });

  it('names a bad bus id, index and timestamp', () => {
    const text = ['timestamp, index, pci.bus_id', '2026/13/40 25:00:00.000, -1, slot 3'].join('\n');
    const { readings, problems } = parseQueryGpuCsv(text);
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [2, 'index'],
      [2, 'pci.bus_id'],
      [2, 'timestamp'],
    ]);
    expect(readings[0]).toMatchObject({ gpuIndex: null, busId: null, timestampMs: null });
  });

  it('takes the host from the hostname column when the caller names none', () => {
    const text = ['index, hostname', '0, gpu-node-3'].join('\n');
    expect(parseQueryGpuCsv(text).readings[0]!.host).toBe('gpu-node-3');
    expect(parseQueryGpuCsv(text, { host: 'h' }).readings[0]!.host).toBe('h');
  });

  it('lists the active clock event reasons (and the older throttle reasons)', () => {
    const text = [
      'index, clocks_throttle_reasons.active, clocks_throttle_reasons.sw_power_cap, clocks_throttle_reasons.hw_slowdown',
      '0, 0x0000000000000004, Active, Not Active',
    ].join('\n');
    expect(parseQueryGpuCsv(text).readings[0]!.labels['clocksEventReasons']).toBe('sw_power_cap');
  });

  it('reports an empty input', () => {
    expect(parseQueryGpuCsv('')).toMatchObject({
      readings: [],
      refused: true,
      problems: [{ line: 1, field: 'header' }],
    });
  });
});
