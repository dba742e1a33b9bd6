import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dcgmReadings, type DcgmOptions } from './dcgm';
import { parseExposition } from './exposition';

const TELEMETRY = join(__dirname, '../../../../../shared/data/telemetry');
const sample = (file: string) => readFileSync(join(TELEMETRY, file), 'utf8');

function readings(text: string, options?: DcgmOptions) {
  const exposition = parseExposition(text);
  expect(exposition.refused).toBe(false);
  return dcgmReadings(exposition.samples, options);
}

const UUID = 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52';

describe('dcgmReadings on the real samples', () => {
  it('reads the quickstart as one GPU', () => {
    const {
      readings: [r, ...more],
      problems,
    } = readings(sample('dcgm-exporter-readme-quickstart.prom'));
    expect(more).toEqual([]);
    expect(problems).toEqual([]);
    expect(r).toMatchObject({ kind: 'gpu', gpuUuid: UUID, gpuIndex: 0, line: 8, pods: [], labels: {} });
    expect(r?.metrics.smClockMhz).toBe(139); // L8: DCGM_FI_DEV_SM_CLOCK{gpu="0", UUID=…} 139
    expect(r?.metrics.tempC).toBeNull(); // the sample has no DCGM_FI_DEV_GPU_TEMP
  });

  it('reads the blank sentinel 9223372036854775794 as no value, without a problem', () => {
    // L10: DCGM_FI_DEV_MEMORY_TEMP{…} 9223372036854775794, renamed to a series the twin reads
    const text = sample('dcgm-exporter-readme-quickstart.prom').replaceAll('MEMORY_TEMP', 'GPU_TEMP');
    const {
      readings: [r],
      problems,
    } = readings(text);
    expect(text).toContain(
      'DCGM_FI_DEV_GPU_TEMP{gpu="0", UUID="GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52"} 9223372036854775794',
    );
    expect(r?.metrics.tempC).toBeNull();
    expect(r?.metrics.smClockMhz).toBe(139); // L8
    expect(problems).toEqual([]);
  });

  it('reads the k8s sample’s empty pod labels as no pods', () => {
    const {
      readings: [r],
    } = readings(sample('dcgm-exporter-readme-k8s.prom'));
    expect(r).toMatchObject({ gpuUuid: UUID, pods: [] }); // L8–10: container="",namespace="",pod=""
    expect(r?.metrics.smClockMhz).toBe(139); // L8: … 139
  });

  it('maps the 1.x dcgm_* names with their lowercase uuid label', () => {
    const {
      readings: [r, ...more],
      problems,
    } = readings(sample('dcgm-exporter-legacy-1x-node-exporter.prom'));
    expect(more).toEqual([]);
    expect(problems).toEqual([]);
    expect(r).toMatchObject({ gpuUuid: 'GPU-8f640a3c-7e9a-608d-02a3-f4372d72b323', gpuIndex: 0, line: 3 });
    expect(r?.metrics).toMatchObject({
      tempC: 34, // L3: dcgm_gpu_temp{…} 34
      gpuUtilPct: 0, // L6: dcgm_gpu_utilization{…} 0
      powerW: 31.737, // L9: dcgm_power_usage{…} 31.737
      smClockMhz: 135, // L12: dcgm_sm_clock{…} 135
      memUtilPct: null,
      fbTotalMib: null,
    });
  });

  describe('the Datadog fixture', () => {
    const outcome = dcgmReadings(parseExposition(sample('dcgm-exporter-datadog-fixture-t4.prom')).samples);
    const [t4a, t4b, a10g, ...more] = outcome.readings;

    it('has two T4 scrapes and one A10G', () => {
      expect(more).toEqual([]);
      expect([t4a, t4b, a10g].map((r) => [r?.gpuUuid, r?.model, r?.host, r?.line])).toEqual([
        ['GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e', 'Tesla T4', '424773df46e0', 3], // L3
        ['GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5', 'Tesla T4', '551bdf382151', 51], // L51
        ['GPU-abc', 'NVIDIA A10G', 'ip-11111', 116], // L116
      ]);
    });

    it('reads the driver-460 T4’s metrics, its framebuffer total as used + free', () => {
      expect(t4a?.metrics).toEqual({
        smClockMhz: 300, // L3: DCGM_FI_DEV_SM_CLOCK{…} 300
        tempC: 25, // L9: DCGM_FI_DEV_GPU_TEMP{…} 25
        powerW: 8.969, // L12: DCGM_FI_DEV_POWER_USAGE{…} 8.969000
        gpuUtilPct: 0, // L21: DCGM_FI_DEV_GPU_UTIL{…} 0
        memUtilPct: 0, // L24: DCGM_FI_DEV_MEM_COPY_UTIL{…} 0
        fbFreeMib: 15109, // L36: DCGM_FI_DEV_FB_FREE{…} 15109
        fbUsedMib: 0, // L39: DCGM_FI_DEV_FB_USED{…} 0
        fbTotalMib: 15109, // no FB_TOTAL, no FB_RESERVED: 0 used + 15109 free
        pcieRxMBps: null,
        pcieTxMBps: null,
      });
      expect(t4a?.labels).toEqual({
        device: 'nvidia0',
        modelName: 'Tesla T4',
        Hostname: '424773df46e0',
        DCGM_FI_DRIVER_VERSION: '460.106.00',
        DCGM_FI_PROCESS_NAME: '/usr/bin/dcgm-exporter',
      });
    });

    it('reads the driver-470 T4’s FB_TOTAL as given (its FB_RESERVED is not added)', () => {
      expect(t4b?.metrics.fbTotalMib).toBe(15109); // L60: DCGM_FI_DEV_FB_TOTAL{…} 15109
      expect(t4b?.labels.DCGM_FI_DRIVER_VERSION).toBe('470.182.03'); // L51: DCGM_FI_DRIVER_VERSION="470.182.03"
      expect(t4b?.labels.DCGM_FI_DEV_SERIAL).toBe('1565220008176');
    });

    it('names the A10G line’s pod', () => {
      // L116: …,container="ray-worker",namespace="ray-llm",pod="ray-1111111"} 0.000003
      expect(a10g?.pods).toEqual([{ namespace: 'ray-llm', pod: 'ray-1111111', container: 'ray-worker' }]);
      expect(a10g?.labels).not.toHaveProperty('pod');
    });

    it('names each dummy sample without labels as a problem and invents no reading for them', () => {
      // L74 DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS 0 … L113 DCGM_FI_PROF_PIPE_FP16_ACTIVE 0, every third line
      expect(outcome.problems.map((p) => p.line)).toEqual(Array.from({ length: 14 }, (_, i) => 74 + 3 * i));
      expect(outcome.problems[3]).toEqual({
        line: 83,
        field: 'DCGM_FI_PROF_PCIE_RX_BYTES',
        message: 'no GPU identity label (UUID/uuid/gpu); the sample is not read',
      });
    });
  });
});

const series = (name: string, labels: string, value: string | number) => `${name}{${labels}} ${value}`;

describe('dcgmReadings, the mapping', () => {
  it('reads a time-sliced GPU once: three pods, the device-wide value not summed', () => {
    const pods = ['c', 'a', 'b'].map((p) => `namespace="ml",pod="train-${p}",container="main"`);
    const text = [
      ...pods.map((p) => series('DCGM_FI_DEV_GPU_UTIL', `gpu="0",UUID="${UUID}",${p}`, 80)),
      ...pods.map((p) => series('DCGM_FI_DEV_FB_USED', `gpu="0",UUID="${UUID}",${p}`, 12000)),
    ].join('\n');
    const { readings: rs, problems } = readings(text);
    expect(problems).toEqual([]);
    expect(rs).toHaveLength(1);
    expect(rs[0]?.metrics.gpuUtilPct).toBe(80); // once, not 3 × 80
    expect(rs[0]?.metrics.fbUsedMib).toBe(12000);
    expect(rs[0]?.pods.map((p) => p.pod)).toEqual(['train-a', 'train-b', 'train-c']);
  });

  it('keeps the first of two values that disagree, naming the line and the series', () => {
    const text = [
      series('DCGM_FI_DEV_GPU_UTIL', `UUID="${UUID}",pod="a"`, 80),
      series('DCGM_FI_DEV_GPU_UTIL', `UUID="${UUID}",pod="a"`, 80),
      series('DCGM_FI_DEV_GPU_UTIL', `UUID="${UUID}",pod="b"`, 75),
    ].join('\n');
    const { readings: rs, problems } = readings(text);
    expect(rs[0]?.metrics.gpuUtilPct).toBe(80);
    expect(rs[0]?.pods).toHaveLength(2); // pod a named twice, once in pods
    expect(problems).toEqual([
      {
        line: 3,
        field: 'DCGM_FI_DEV_GPU_UTIL',
        message: expect.stringContaining('75 here but 80 on line 1'),
      },
    ]);
  });

  it('prefers the exported_* pod labels Prometheus writes when the target has its own pod label', () => {
    const labels = `UUID="${UUID}",pod="dcgm-exporter-x",namespace="gpu-operator",exported_pod="job-1",exported_namespace="ml",exported_container="c"`;
    const {
      readings: [r],
    } = readings(series('DCGM_FI_DEV_GPU_UTIL', labels, 5));
    expect(r?.pods).toEqual([{ namespace: 'ml', pod: 'job-1', container: 'c' }]);
  });

  it('reads 1.x pod_name / pod_namespace / container_name', () => {
    const labels = `gpu="0",uuid="${UUID}",pod_name="api-1",pod_namespace="prod",container_name="api"`;
    const {
      readings: [r],
    } = readings(series('dcgm_mem_copy_utilization', labels, 7));
    expect(r?.metrics.memUtilPct).toBe(7);
    expect(r?.pods).toEqual([{ namespace: 'prod', pod: 'api-1', container: 'api' }]);
  });

  it('reads one reading per MIG instance, beside the parent GPU', () => {
    const gpu = `gpu="0",UUID="${UUID}",device="nvidia0",modelName="NVIDIA A100-SXM4-40GB"`;
    const text = [
      series('DCGM_FI_DEV_GPU_TEMP', gpu, 41),
      series('DCGM_FI_DEV_FB_USED', `${gpu},GPU_I_PROFILE="1g.5gb",GPU_I_ID="7"`, 300),
      series('DCGM_FI_DEV_FB_USED', `${gpu},GPU_I_PROFILE="3g.20gb",GPU_I_ID="1"`, 9000),
      series('DCGM_FI_DEV_FB_FREE', `${gpu},GPU_I_PROFILE="1g.5gb",GPU_I_ID="7"`, 4500),
    ].join('\n');
    const { readings: rs, problems } = readings(text);
    expect(problems).toEqual([]);
    expect(rs.map((r) => [r.kind, r.gpuUuid, r.mig, r.metrics.fbUsedMib, r.metrics.fbTotalMib])).toEqual([
      ['gpu', UUID, null, null, null],
      ['mig', UUID, { gpuInstanceId: '7', profile: '1g.5gb' }, 300, 4800], // 300 used + 4500 free
      ['mig', UUID, { gpuInstanceId: '1', profile: '3g.20gb' }, 9000, null],
    ]);
    expect(rs[0]?.metrics.tempC).toBe(41);
    expect(rs[1]?.model).toBe('NVIDIA A100-SXM4-40GB');
  });

  it('adds FB_RESERVED to used + free when FB_TOTAL is absent', () => {
    const id = `UUID="${UUID}"`;
    const text = [
      series('DCGM_FI_DEV_FB_USED', id, 1000),
      series('DCGM_FI_DEV_FB_FREE', id, 79000),
      series('DCGM_FI_DEV_FB_RESERVED', id, 559),
    ].join('\n');
    expect(readings(text).readings[0]?.metrics.fbTotalMib).toBe(80559); // 1000 + 79000 + 559
  });

  it('reads PCIe bytes per second as MB/s whatever their TYPE, and NVML KB/s as 1024 bytes', () => {
    const id = `UUID="${UUID}"`;
    const text = [
      '# TYPE DCGM_FI_PROF_PCIE_RX_BYTES gauge',
      series('DCGM_FI_PROF_PCIE_RX_BYTES', id, 2.5e9),
      '# TYPE DCGM_FI_PROF_PCIE_TX_BYTES counter',
      series('DCGM_FI_PROF_PCIE_TX_BYTES', id, 1.2e8),
      series('DCGM_FI_DEV_PCIE_TX_THROUGHPUT', id, 5000), // not read: PROF_PCIE_TX_BYTES comes first
      series('dcgm_pcie_rx_throughput', `uuid="GPU-other"`, 1000),
    ].join('\n');
    const {
      readings: [r, old],
    } = readings(text);
    expect(r?.metrics.pcieRxMBps).toBe(2500); // 2.5e9 B/s / 1e6
    expect(r?.metrics.pcieTxMBps).toBe(120); // 1.2e8 B/s / 1e6, TYPE counter notwithstanding
    expect(old?.metrics.pcieRxMBps).toBeCloseTo(1.024); // 1000 KB/s × 1024 B / 1e6
  });

  it('falls back to the deprecated PCIe throughput when the profiling field is blank (as on MIG)', () => {
    const id = `UUID="${UUID}"`;
    const text = [
      series('DCGM_FI_PROF_PCIE_RX_BYTES', id, '9223372036854775794'),
      series('DCGM_FI_DEV_PCIE_RX_THROUGHPUT', id, 2000),
    ].join('\n');
    expect(readings(text).readings[0]?.metrics.pcieRxMBps).toBeCloseTo(2.048); // 2000 KB/s × 1024 / 1e6
  });

  it('reads no PCIe rate above 1 TB/s, naming the line', () => {
    const text = series('dcgm_pcie_tx_throughput', `gpu="0",uuid="${UUID}"`, 1027729013);
    const {
      readings: [r],
      problems,
    } = readings(text);
    expect(r?.metrics.pcieTxMBps).toBeNull(); // 1027729013 KB/s ≈ 1.05e6 MB/s
    expect(problems).toEqual([
      { line: 1, field: 'dcgm_pcie_tx_throughput', message: expect.stringContaining('no PCIe rate') },
    ]);
  });

  it('reads NaN and the int32 and FP64 blanks as no value', () => {
    const id = `UUID="${UUID}"`;
    const text = [
      series('DCGM_FI_DEV_GPU_UTIL', id, 'NaN'),
      series('DCGM_FI_DEV_POWER_USAGE', id, 140737488355328), // DCGM_FP64_BLANK = 2^47
      series('DCGM_FI_DEV_SM_CLOCK', id, 2147483632), // DCGM_INT32_BLANK
      series('DCGM_FI_DEV_GPU_TEMP', id, '+Inf'),
    ].join('\n');
    const {
      readings: [r],
      problems,
    } = readings(text);
    expect(r?.metrics).toMatchObject({ gpuUtilPct: null, powerW: null, smClockMhz: null, tempC: null });
    expect(problems).toEqual([]);
  });

  it('takes the UUID label named in the options, the lowercase hostname, a bus id and the host option', () => {
    const text = [
      series(
        'DCGM_FI_DEV_GPU_UTIL',
        `gpu="3",gpu_uuid="GPU-x",hostname="node-7",pci_bus_id="0000:3b:00.0"`,
        1,
      ),
      series('DCGM_FI_DEV_GPU_UTIL', `gpu="4",gpu_uuid="GPU-y"`, 2),
    ].join('\n');
    const { readings: rs } = readings(text, { uuidLabel: 'gpu_uuid', host: 'fallback-host' });
    expect(rs.map((r) => [r.gpuUuid, r.gpuIndex, r.host, r.busId])).toEqual([
      ['GPU-x', 3, 'node-7', '00000000:3B:00.0'],
      ['GPU-y', 4, 'fallback-host', null],
    ]);
    expect(rs[0]?.labels).toEqual({ hostname: 'node-7', pci_bus_id: '0000:3b:00.0' });
  });

  it('names a label that is no bus id, once per GPU', () => {
    const text = [1, 2].map((v) =>
      series('DCGM_FI_DEV_GPU_UTIL', `UUID="${UUID}",pci_bus_id="slot-4",pod="p${v}"`, v),
    );
    const {
      readings: [r],
      problems,
    } = readings(text.join('\n'));
    expect(r?.busId).toBeNull();
    expect(problems).toEqual([
      { line: 1, field: 'pci_bus_id', message: 'not a PCI bus id: "slot-4"' },
      { line: 2, field: 'DCGM_FI_DEV_GPU_UTIL', message: expect.stringContaining('2 here but 1 on line 1') },
    ]);
  });

  it('identifies a GPU by its index alone, per host', () => {
    const text = [
      series('DCGM_FI_DEV_GPU_UTIL', `gpu="0",Hostname="a"`, 10),
      series('DCGM_FI_DEV_GPU_UTIL', `gpu="0",Hostname="b"`, 20),
      series('DCGM_FI_DEV_GPU_TEMP', `gpu="0",Hostname="a"`, 50),
    ].join('\n');
    const { readings: rs } = readings(text);
    expect(rs.map((r) => [r.host, r.gpuUuid, r.gpuIndex, r.metrics.gpuUtilPct, r.metrics.tempC])).toEqual([
      ['a', null, 0, 10, 50],
      ['b', null, 0, 20, null],
    ]);
  });

  it('names a gpu label that is no index when there is no UUID', () => {
    const { readings: rs, problems } = readings(series('DCGM_FI_DEV_GPU_UTIL', `gpu="all"`, 1));
    expect(rs).toEqual([]);
    expect(problems).toEqual([
      {
        line: 1,
        field: 'DCGM_FI_DEV_GPU_UTIL',
        message: expect.stringContaining('gpu="all" is not a GPU index'),
      },
    ]);
  });

  it('takes the newest sample timestamp as the reading’s', () => {
    const text = [
      series('DCGM_FI_DEV_GPU_UTIL', `UUID="${UUID}"`, '1 1712345678000'),
      series('DCGM_FI_DEV_GPU_TEMP', `UUID="${UUID}"`, '40 1712345679500'),
      series('DCGM_FI_DEV_SM_CLOCK', `UUID="${UUID}"`, 1410),
    ].join('\n');
    expect(readings(text).readings[0]?.timestampMs).toBe(1712345679500);
  });

  it('ignores the exporter’s own series', () => {
    const text = ['go_goroutines 12', 'promhttp_metric_handler_requests_total{code="200"} 3'].join('\n');
    expect(readings(text)).toEqual({ readings: [], problems: [] });
  });
});
