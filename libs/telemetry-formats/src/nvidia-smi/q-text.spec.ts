import { parseNvidiaSmiQ } from './q-text';
import { invariantViolations, readSample } from './testing/samples';

const H100 = 'nvidia-smi-q-h100-load.txt';
const GUEST = 'nvidia-smi-q-vgpu-guest-grid-v100d-8c.txt';

describe('parseNvidiaSmiQ on the real captures', () => {
  it('reads the H100 under load with no problems', () => {
    const text = readSample(H100);
    const { readings, problems } = parseNvidiaSmiQ(text, { host: 'h100-a' });
    expect(problems).toEqual([]);
    expect(readings).toHaveLength(1);
    expect(readings[0]).toMatchObject({
      kind: 'gpu',
      line: 9, // L9 GPU 00000000:00:09.0
      busId: '00000000:00:09.0', // L71 PCI/Bus Id
      gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', // L27
      model: 'NVIDIA H100 80GB HBM3', // L10
      gpuIndex: null, // -q prints no index; L29 Minor Number 0 goes to labels
      host: 'h100-a',
      vgpuType: null,
      timestampMs: Date.UTC(2026, 6, 14, 8, 12, 53), // L4 Tue Jul 14 08:12:53 2026, read as UTC
      labels: {
        driverVersion: '590.48.01', // L5
        minorNumber: '0', // L29
        virtualizationMode: 'Pass-Through', // L57
        clocksEventReasons: '', // L94–103: every Clocks Event Reason Not Active
      },
    });
    expect(readings[0]!.metrics).toEqual({
      gpuUtilPct: 100, // L126 Utilization/GPU 100 %
      memUtilPct: 11, // L127 Utilization/Memory 11 %
      fbTotalMib: 81559, // L112 FB Memory Usage/Total
      fbUsedMib: 19818, // L114
      fbFreeMib: 61263, // L115
      pcieRxMBps: expect.closeTo(6.346, 9), // L89 Rx Throughput 6346 KB/s ÷ 1000
      pcieTxMBps: expect.closeTo(3.092, 9), // L88 Tx Throughput 3092 KB/s ÷ 1000
      smClockMhz: 1980, // L219 Clocks/SM (not L232 Max Clocks/SM)
      powerW: 629.45, // L194 Average Power Draw (L195 Instantaneous 588.39 W; L202 is the memory's)
      tempC: 59, // L185 GPU Current Temp 59 C
    });
    expect(invariantViolations(text, { readings, problems })).toEqual([]);
  });

  it('reads the vGPU guest as the device the guest sees, licence in the labels', () => {
    const { readings, problems } = parseNvidiaSmiQ(readSample(GUEST));
    expect(problems).toEqual([]);
    expect(readings).toHaveLength(1);
    expect(readings[0]).toMatchObject({
      kind: 'gpu',
      line: 8, // L8 GPU 00000000:02:00.0
      busId: '00000000:02:00.0', // L62 PCI/Bus Id
      gpuUuid: 'GPU-57abc772-1dd3-11b2-8fae-e31710b8f307', // L25
      model: 'GRID V100D-8C', // L9
      vgpuType: 'GRID V100D-8C', // the guest's device is its vGPU type
      vm: null, // a guest cannot see its VM's name or its vGPU id
      vgpuId: null,
      timestampMs: Date.UTC(2024, 11, 19, 7, 31, 27), // L3 Thu Dec 19 07:31:27 2024
      labels: {
        driverVersion: '535.216.01', // L4
        minorNumber: '0', // L26
        virtualizationMode: 'VGPU', // L47
        vgpuLicensedProduct: 'NVIDIA Virtual Compute Server', // L50
        vgpuLicenseStatus: 'Licensed (Expiry: 2025-3-19 7:29:4 GMT)', // L51
      },
    });
    expect(readings[0]!.metrics).toEqual({
      gpuUtilPct: 0, // L102 Utilization/Gpu 0 % (Gpu, not GPU, in this driver)
      memUtilPct: 0, // L103
      fbTotalMib: 8192, // L88
      fbUsedMib: 0, // L90
      fbFreeMib: 7631, // L91
      pcieRxMBps: null, // L80 Rx Throughput N/A
      pcieTxMBps: null, // L79
      smClockMhz: 1230, // L188 Clocks/SM 1230 MHz
      powerW: null, // L173 GPU Power Readings/Power Draw N/A
      tempC: null, // L164 GPU Current Temp N/A
    });
  });
});

describe('parseNvidiaSmiQ across drivers', () => {
  /**
   * Older drivers: `Clocks Throttle Reasons` for `Clocks Event Reasons`, `Power Readings` with a
   * single `Power Draw`, and a narrower key column (the colon at column 38, not 55).
   */
  function asOlderDriver(text: string): string {
    return text
      .replace('Clocks Event Reasons\n', 'Clocks Throttle Reasons\n')
      .replace('    GPU Power Readings\n', '    Power Readings\n')
      .replace(
        /Average Power Draw( +): 629\.45 W\n.*Instantaneous Power Draw.*\n/,
        'Power Draw$1: 629.45 W\n',
      )
      .replace(/^(.{38,}?) {2,}: /gm, (_, key: string) => `${key.trimEnd().padEnd(37)} : `);
  }

  it('reads the older key names and column width the same', () => {
    const text = readSample(H100);
    const older = asOlderDriver(text);
    expect(older).toContain('Clocks Throttle Reasons');
    expect(older).toContain('    Power Readings\n        Power Draw');
    const now = parseNvidiaSmiQ(text);
    const then = parseNvidiaSmiQ(older);
    expect(then.problems).toEqual([]);
    expect(then.readings[0]!.metrics).toEqual(now.readings[0]!.metrics);
    expect(then.readings[0]!.labels).toEqual(now.readings[0]!.labels);
  });

  it('lists the active clock event reasons, nested ones included', () => {
    const text = readSample(H100)
      .replace(/(SW Power Cap +): Not Active/, '$1: Active')
      .replace(/(HW Thermal Slowdown +): Not Active/, '$1: Active');
    // L97 SW Power Cap; L99 HW Thermal Slowdown, nested under L98 HW Slowdown
    expect(parseNvidiaSmiQ(text).readings[0]!.labels['clocksEventReasons']).toBe(
      'sw_power_cap,hw_thermal_slowdown',
    );
  });

  it('names the line and field of a value that is not a number', () => {
    const text = readSample(H100).replace(/(Used +): 19818 MiB/, '$1: 19.8 GiB');
    const { readings, problems } = parseNvidiaSmiQ(text);
    expect(problems).toEqual([expect.objectContaining({ line: 114, field: 'FB Memory Usage/Used' })]);
    expect(readings[0]!.metrics).toMatchObject({ fbUsedMib: null, fbTotalMib: 81559 });
  });

  it('reports a capture cut before its GPU block', () => {
    const text = readSample(H100).split('\n').slice(0, 8).join('\n'); // up to L8 Attached GPUs : 1
    const { readings, problems } = parseNvidiaSmiQ(text);
    expect(readings).toEqual([]);
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [1, 'GPU'],
      [8, 'Attached GPUs'],
    ]);
  });

  it('reads each GPU of a two-GPU host', () => {
    const text = readSample(H100);
    const block = text.slice(text.indexOf('GPU 00000000:00:09.0'));
    const two =
      text.replace('Attached GPUs                                          : 1', 'Attached GPUs : 2') +
      block.replace(/00000000:00:09\.0/g, '00000000:00:0A.0');
    const { readings, problems } = parseNvidiaSmiQ(two);
    expect(problems).toEqual([]);
    expect(readings.map((r) => r.busId)).toEqual(['00000000:00:09.0', '00000000:00:0A.0']);
  });
});
