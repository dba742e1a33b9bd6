import { invariantViolations, readSample } from './testing/samples';
import { parseNvidiaSmiXml } from './xml';

const H100X8 = 'nvidia-smi-q-x-8x-h100.xml';
const T4 = 'nvidia-smi-q-x-aws-g4dn-t4-passthrough.xml';

describe('parseNvidiaSmiXml on the real captures', () => {
  it('reads the 8×H100 host as eight GPUs with no problems', () => {
    const text = readSample(H100X8);
    const { readings, problems } = parseNvidiaSmiXml(text);
    expect(problems).toEqual([]);
    // L8, L546, … : <gpu id="…">, one every 538 lines
    expect(readings.map((r) => [r.line, r.busId])).toEqual([
      [8, '00000000:53:00.0'],
      [546, '00000000:64:00.0'],
      [1084, '00000000:75:00.0'],
      [1622, '00000000:86:00.0'],
      [2160, '00000000:97:00.0'],
      [2698, '00000000:A8:00.0'],
      [3236, '00000000:B9:00.0'],
      [3774, '00000000:CA:00.0'],
    ]);
    const [first] = readings;
    expect(first).toMatchObject({
      kind: 'gpu',
      gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', // L31
      model: 'NVIDIA H100 80GB HBM3', // L9
      gpuIndex: null, // no index in -q -x; L33 minor_number 0 is kept as a label
      timestampMs: Date.UTC(2026, 7, 21, 8, 54, 1), // L4 Fri Aug 21 08:54:01 2026, read as UTC
      labels: {
        driverVersion: '580.105.08', // L5
        minorNumber: '0', // L33
        virtualizationMode: 'Pass-Through', // L65
        migMode: 'Disabled', // L18
        clocksEventReasons: 'gpu_idle', // L110 clocks_event_reason_gpu_idle Active, the rest Not Active
      },
    });
    expect(first!.metrics).toEqual({
      gpuUtilPct: 0, // L146 gpu_util 0 %
      memUtilPct: 0, // L147 memory_util 0 %
      fbTotalMib: 81559, // L129 total 81559 MiB
      fbUsedMib: 0, // L131 used 0 MiB
      fbFreeMib: 81080, // L132 free 81080 MiB
      pcieRxMBps: expect.closeTo(0.578, 9), // L103 rx_util 578 KB/s ÷ 1000
      pcieTxMBps: expect.closeTo(0.502, 9), // L102 tx_util 502 KB/s ÷ 1000
      smClockMhz: 345, // L267 clocks/sm_clock 345 MHz (not L284 max_clocks/sm_clock 1980 MHz)
      powerW: 68.57, // L238 average_power_draw 68.57 W (L239 instant 68.92 W; L247 is the memory's)
      tempC: 29, // L223 gpu_temp 29 C
    });
    expect(readings[2]!.metrics.powerW).toBe(67.45); // L1314, GPU 75:00.0's average_power_draw
    expect(invariantViolations(text, { readings, problems })).toEqual([]);
  });

  it('reads the passed-through T4, whose average power is N/A, from the instant power', () => {
    const { readings, problems } = parseNvidiaSmiXml(readSample(T4));
    expect(problems).toEqual([]);
    expect(readings).toHaveLength(1);
    expect(readings[0]).toMatchObject({ line: 8, busId: '00000000:00:1E.0', model: 'Tesla T4' });
    expect(readings[0]!.metrics).toMatchObject({
      fbTotalMib: 15360, // L129
      fbUsedMib: 0, // L131
      fbFreeMib: 14913, // L132
      pcieRxMBps: expect.closeTo(0.292, 9), // L103 292 KB/s
      smClockMhz: 1590, // L246
      powerW: 33.51, // L216 average_power_draw N/A, L217 instant_power_draw 33.51 W
      tempC: 33, // L201
    });
    expect(readings[0]!.labels['virtualizationMode']).toBe('Pass-Through');
  });
});

describe('parseNvidiaSmiXml on damaged and other documents', () => {
  it('keeps the seven well-formed GPUs when one is broken, naming the broken line', () => {
    const text = readSample(H100X8);
    const third = text.indexOf('<gpu id="00000000:75:00.0">');
    const broken = text.slice(0, third) + text.slice(third).replace('</pci>', '</pcx>');
    const { readings, problems } = parseNvidiaSmiXml(broken);
    expect(problems).toEqual([
      expect.objectContaining({ line: 1182, field: 'xml' }), // L1182: GPU 75:00.0's </pci>, now </pcx>
    ]);
    expect(readings.map((r) => r.busId)).not.toContain('00000000:75:00.0');
    expect(readings).toHaveLength(7);
  });

  it('reports a document cut short, with no reading from the cut GPU', () => {
    const text = readSample(T4);
    const cut = text.slice(0, text.indexOf('<temperature>'));
    const { readings, problems } = parseNvidiaSmiXml(cut);
    expect(readings).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe('xml');
    expect(invariantViolations(cut, { readings, problems })).toEqual([]);
  });

  it('reports text that is not XML at line 1', () => {
    expect(parseNvidiaSmiXml('No devices were found')).toMatchObject({
      readings: [],
      problems: [{ line: 1, field: 'xml' }],
    });
    expect(parseNvidiaSmiXml('<html><body/></html>').problems).toEqual([
      expect.objectContaining({ line: 1, field: 'nvidia_smi_log' }),
    ]);
  });

  it('names the line and field of a value that is not a number', () => {
    const text = readSample(T4).replace('<gpu_temp>33 C</gpu_temp>', '<gpu_temp>hot</gpu_temp>');
    const { readings, problems } = parseNvidiaSmiXml(text);
    expect(problems).toEqual([expect.objectContaining({ line: 201, field: 'temperature/gpu_temp' })]);
    expect(readings[0]!.metrics).toMatchObject({ tempC: null, smClockMhz: 1590 });
  });

  it('reads power_readings/power_draw of older drivers', () => {
    const text = readSample(T4).replace(
      /<gpu_power_readings>[\s\S]*?<\/gpu_power_readings>/,
      '<power_readings>\n<power_state>P0</power_state>\n<power_draw>25.07 W</power_draw>\n</power_readings>',
    );
    expect(parseNvidiaSmiXml(text).readings[0]!.metrics.powerW).toBe(25.07);
  });

  it('reads a GPU seen inside a vGPU guest as kind gpu with its vGPU type', () => {
    const text = readSample(T4)
      .replace(
        '<virtualization_mode>Pass-Through</virtualization_mode>',
        '<virtualization_mode>VGPU</virtualization_mode>',
      )
      .replace('<product_name>Tesla T4</product_name>', '<product_name>GRID T4-8C</product_name>');
    expect(parseNvidiaSmiXml(text).readings[0]).toMatchObject({
      kind: 'gpu',
      model: 'GRID T4-8C',
      vgpuType: 'GRID T4-8C',
    });
  });

  it('reads each MIG device as a mig reading of its GPU', () => {
    // The <mig_device> layout of drivers 470 and later, cut to the elements read.
    const text = `<?xml version="1.0" ?>
<nvidia_smi_log>
	<attached_gpus>1</attached_gpus>
	<gpu id="00000000:10:00.0">
		<product_name>NVIDIA A100-SXM4-40GB</product_name>
		<mig_mode>
			<current_mig>Enabled</current_mig>
		</mig_mode>
		<mig_devices>
			<mig_device>
				<index>0</index>
				<gpu_instance_id>1</gpu_instance_id>
				<compute_instance_id>0</compute_instance_id>
				<fb_memory_usage>
					<total>20096 MiB</total>
					<used>107 MiB</used>
					<free>19989 MiB</free>
				</fb_memory_usage>
			</mig_device>
			<mig_device>
				<index>1</index>
				<gpu_instance_id>5</gpu_instance_id>
				<compute_instance_id>0</compute_instance_id>
				<fb_memory_usage>
					<total>9984 MiB</total>
					<used>N/A</used>
					<free>N/A</free>
				</fb_memory_usage>
			</mig_device>
		</mig_devices>
		<uuid>GPU-4f1e</uuid>
		<fb_memory_usage>
			<total>40960 MiB</total>
			<used>N/A</used>
			<free>N/A</free>
		</fb_memory_usage>
	</gpu>
</nvidia_smi_log>
`;
    const { readings, problems } = parseNvidiaSmiXml(text);
    expect(problems).toEqual([]);
    expect(
      readings.map((r) => [
        r.kind,
        r.line,
        r.busId,
        r.gpuUuid,
        r.mig,
        r.metrics.fbTotalMib,
        r.metrics.fbUsedMib,
      ]),
    ).toEqual([
      ['gpu', 4, '00000000:10:00.0', 'GPU-4f1e', null, 40960, null],
      ['mig', 10, '00000000:10:00.0', 'GPU-4f1e', { gpuInstanceId: '1', profile: null }, 20096, 107],
      ['mig', 20, '00000000:10:00.0', 'GPU-4f1e', { gpuInstanceId: '5', profile: null }, 9984, null],
    ]);
    expect(readings[1]!.labels).toMatchObject({ migIndex: '0', computeInstanceId: '0' });
    expect(readings[0]!.labels['migMode']).toBe('Enabled');
  });

  it('reports an attached_gpus count the document does not hold', () => {
    const text = readSample(T4).replace(
      '<attached_gpus>1</attached_gpus>',
      '<attached_gpus>2</attached_gpus>',
    );
    expect(parseNvidiaSmiXml(text).problems).toEqual([
      expect.objectContaining({ line: 7, field: 'attached_gpus' }),
    ]);
  });
});
