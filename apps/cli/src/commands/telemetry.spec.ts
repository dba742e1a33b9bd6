import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFormat, type TelemetryFormat } from '@vgpu-twin/telemetry-formats';
import { runCli, type CliRun } from '../testing/run-cli';
import { registerTelemetryCommands } from './telemetry';

/** Real captures (shared/data/telemetry/README.md), read in place: they are not copied into the repository. */
const DATA = join(__dirname, '../../../../../shared/data/telemetry');
/** The project's own `nvidia-smi vgpu -q` fixtures (no redistributable capture exists). */
const FIXTURES = join(__dirname, '../../../../libs/telemetry-formats/src/nvidia-smi/fixtures');
const sampleFile = (name: string) => join(DATA, name);

/** The `telemetry parse` contract: these keys first, in this order (more may follow). */
const CONTRACT_KEYS = [
  'kind',
  'gpuUuid',
  'gpuIndex',
  'busId',
  'model',
  'host',
  'vm',
  'vgpuId',
  'vgpuType',
  'metrics',
];
const METRIC_KEYS = [
  'gpuUtilPct',
  'memUtilPct',
  'fbUsedMib',
  'fbFreeMib',
  'fbTotalMib',
  'pcieRxMBps',
  'pcieTxMBps',
  'smClockMhz',
  'powerW',
  'tempC',
];

interface ReadingLine {
  kind: string;
  gpuUuid: string | null;
  gpuIndex: number | null;
  busId: string | null;
  model: string | null;
  host: string | null;
  vm: { name: string | null; uuid: string | null } | null;
  vgpuId: string | null;
  vgpuType: string | null;
  metrics: Record<string, number | null>;
  line: number;
  process: { pid: number | null; name: string | null } | null;
}

interface ParseRun extends CliRun {
  /** stdout, one JSON reading per line. */
  readonly readings: ReadingLine[];
  /** stderr, one message per line. */
  readonly errLines: string[];
}

/**
 * Runs `vgpu-twin telemetry parse …` in-process. The command reports "no readings" through
 * `process.exitCode` (the process's exit code once it ends), which runCli does not see: it is read
 * here and put back, so it cannot leak into Jest's own exit code.
 */
function parse(...args: string[]): ParseRun {
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const r = runCli(registerTelemetryCommands, ['telemetry', 'parse', ...args]);
    const exitCode = r.exitCode !== 0 ? r.exitCode : Number(process.exitCode ?? 0);
    const lines = (s: string) => s.split('\n').filter((l) => l !== '');
    return {
      ...r,
      exitCode,
      readings: lines(r.out).map((l) => JSON.parse(l) as ReadingLine),
      errLines: lines(r.err),
    };
  } finally {
    process.exitCode = before;
  }
}

/** The format each capture is in, from its README row (what printed it). */
const DETECTED: Record<string, TelemetryFormat> = {
  'dcgm-exporter-datadog-fixture-t4.prom': 'prometheus',
  'dcgm-exporter-legacy-1x-node-exporter.prom': 'prometheus',
  'dcgm-exporter-readme-2020-missing-comma.prom': 'prometheus', // invalid, but Prometheus text all the same
  'dcgm-exporter-readme-k8s.prom': 'prometheus',
  'dcgm-exporter-readme-quickstart.prom': 'prometheus',
  'nvidia-smi-dmon-h100-load.txt': 'dmon',
  'nvidia-smi-q-h100-load.txt': 'nvidia-smi-q',
  'nvidia-smi-q-vgpu-guest-grid-v100d-8c.txt': 'nvidia-smi-q', // `nvidia-smi -q` in a guest, not `vgpu -q` on a host
  'nvidia-smi-q-x-8x-h100.xml': 'nvidia-smi-xml',
  'nvidia-smi-q-x-aws-g4dn-t4-passthrough.xml': 'nvidia-smi-xml',
  'nvidia-smi-query-compute-apps-h100-load.csv': 'nvidia-smi-apps',
  'nvidia-smi-query-compute-apps-h200-idle-empty.csv': 'nvidia-smi-apps', // header only
  'nvidia-smi-query-gpu-h100-load.csv': 'nvidia-smi-csv',
  'nvidia-smi-query-gpu-l40s-load.csv': 'nvidia-smi-csv',
};
const REFUSED = 'dcgm-exporter-readme-2020-missing-comma.prom';
const EMPTY = 'nvidia-smi-query-compute-apps-h200-idle-empty.csv';

/** Every capture in the folder: all but the licence texts and the README. */
const samples = existsSync(DATA)
  ? readdirSync(DATA)
      .filter((f) => !f.startsWith('LICENSE') && f !== 'README.md')
      .sort()
  : [];
const readable = samples.filter((f) => f !== REFUSED && f !== EMPTY);

describe('vgpu-twin telemetry parse: the real captures', () => {
  it('finds the shared captures, one table row for each', () => {
    expect(existsSync(join(DATA, 'README.md'))).toBe(true);
    // a new capture in the folder needs its row in DETECTED (and so its own check below)
    expect(samples).toEqual(Object.keys(DETECTED).sort());
  });

  it.each(readable)('reads %s (--format auto) to readings with exit code 0', (file) => {
    const r = parse('--format', 'auto', sampleFile(file));
    expect(r.exitCode).toBe(0);
    expect(r.readings.length).toBeGreaterThanOrEqual(1);
    for (const line of r.out.trimEnd().split('\n')) {
      const j = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(j).slice(0, CONTRACT_KEYS.length)).toEqual(CONTRACT_KEYS);
      const metrics = j['metrics'] as Record<string, unknown>;
      expect(Object.keys(metrics).sort()).toEqual([...METRIC_KEYS].sort());
      for (const v of Object.values(metrics)) expect(v === null || typeof v === 'number').toBe(true);
    }
    // whatever it had to say went to stderr as FILE:LINE: message
    for (const l of r.errLines) expect(l).toMatch(new RegExp(`^${escape(sampleFile(file))}:\\d+: \\S`));
  });

  it(`refuses ${REFUSED} naming line 8, with exit code 1 and nothing on stdout`, () => {
    const file = sampleFile(REFUSED);
    const r = parse(file);
    expect(r.exitCode).toBe(1);
    expect(r.out).toBe('');
    // L8: DCGM_FI_DEV_SM_CLOCK{gpu="0" UUID=…}: no comma between the labels
    const line8 = r.errLines.find((l) => l.startsWith(`${file}:8: `));
    expect(line8).toMatch(/refused/);
    expect(r.errLines.at(-1)).toBe(`${file}: not valid prometheus text: nothing was read`);
  });

  it(`says there are no readings in ${EMPTY} (a header only), with exit code 1 and no stdout line`, () => {
    const file = sampleFile(EMPTY);
    const r = parse(file);
    expect(r.exitCode).toBe(1);
    expect(r.readings).toHaveLength(0);
    expect(r.out).toBe('');
    expect(r.errLines).toEqual([
      `${file}: no readings in it (read as nvidia-smi-apps, detected); try --format`,
    ]);
  });

  it.each(Object.entries(DETECTED))('detects %s as %s', (file, format) => {
    expect(detectFormat(readFileSync(sampleFile(file), 'utf8'))).toBe(format);
  });

  it.each([
    ['vgpu-q-2gpu-3vm.txt', 'nvidia-smi-vgpu'],
    ['vgpu-q-restart.txt', 'nvidia-smi-vgpu'],
    ['vgpu-q-empty.txt', 'nvidia-smi-vgpu'], // `Active vGPUs : 0` still names the format
  ])('detects the project fixture %s as %s', (file, format) => {
    expect(detectFormat(readFileSync(join(FIXTURES, file), 'utf8'))).toBe(format);
  });
});

describe('vgpu-twin telemetry parse: values, per format', () => {
  const only = (r: ParseRun): ReadingLine => {
    expect(r.exitCode).toBe(0);
    expect(r.readings).toHaveLength(1);
    return r.readings[0]!;
  };

  it('nvidia-smi --query-gpu CSV (L40S): line 2, units stripped, [N/A] as null', () => {
    const r = only(parse(sampleFile('nvidia-smi-query-gpu-l40s-load.csv')));
    expect(r).toMatchObject({
      kind: 'gpu',
      gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', // column 8 `uuid` (masked upstream)
      gpuIndex: 0, // column 30 `index`
      busId: '00000000:01:00.0',
      model: 'NVIDIA L40S', // column 6 `name`
      host: null, // column 202 `hostname` = [N/A]
      vm: null,
      line: 2,
    });
    expect(r.metrics).toEqual({
      gpuUtilPct: 9, // column 72 `utilization.gpu [%]` = `9 %`
      memUtilPct: 2, // column 73 `utilization.memory [%]` = `2 %`
      fbUsedMib: 1235, // column 68 `memory.used [MiB]` = `1235 MiB`
      fbFreeMib: 44225, // column 69 `memory.free [MiB]`
      fbTotalMib: 46068, // column 66 `memory.total [MiB]` = `46068 MiB`
      pcieRxMBps: null, // --query-gpu has no PCIe throughput field
      pcieTxMBps: null,
      smClockMhz: 2520, // column 166 `clocks.current.sm [MHz]`
      powerW: 110.23, // column 149 `power.draw [W]`
      tempC: 54, // column 145 `temperature.gpu`
    });
  });

  it('nvidia-smi --query-gpu CSV (H100): line 2', () => {
    const r = only(parse(sampleFile('nvidia-smi-query-gpu-h100-load.csv')));
    expect(r.metrics).toMatchObject({
      gpuUtilPct: 100, // column 71 `utilization.gpu [%]` = `100 %`
      fbUsedMib: 19818, // column 67 `memory.used [MiB]`
      fbTotalMib: 81559, // column 65 `memory.total [MiB]`
      powerW: 631.95, // column 146 `power.draw [W]`
    });
  });

  it('--host names the host of readings whose source names none, and leaves a source-named host alone', () => {
    // the L40S CSV's `hostname` column is [N/A]
    expect(only(parse('--host', 'node-7', sampleFile('nvidia-smi-query-gpu-l40s-load.csv'))).host).toBe(
      'node-7',
    );
    const datadog = parse('--host', 'node-7', sampleFile('dcgm-exporter-datadog-fixture-t4.prom'));
    expect(datadog.readings[0]!.host).toBe('424773df46e0'); // L3 label Hostname="424773df46e0"
  });

  describe('dcgm-exporter quickstart (README L16–26)', () => {
    const quickstart = readFileSync(sampleFile('dcgm-exporter-readme-quickstart.prom'), 'utf8');
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'telemetry-parse-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    /** The capture with line 10 rewritten (the other lines, and so the line numbers, kept). */
    const withLine10 = (name: string, line10: string): string => {
      const lines = quickstart.split('\n');
      expect(lines[9]).toMatch(/^DCGM_FI_DEV_MEMORY_TEMP\{/);
      lines[9] = line10;
      const file = join(dir, name);
      writeFileSync(file, lines.join('\n'));
      return file;
    };

    it('reads L8 DCGM_FI_DEV_SM_CLOCK 139 for GPU 0, and skips the `...` lines 7 and 11 with a note', () => {
      const file = sampleFile('dcgm-exporter-readme-quickstart.prom');
      const r = parse(file);
      const g = only(r);
      expect(g).toMatchObject({
        gpuUuid: 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52', // L8 label UUID
        gpuIndex: 0, // L8 label gpu="0"
        line: 8,
      });
      expect(g.metrics.smClockMhz).toBe(139); // L8 `… 139`
      // L10 is the memory temperature (a blank here), which the twin does not read: tempC is the GPU's
      expect(g.metrics.tempC).toBeNull();
      expect(r.errLines.map((l) => l.slice(file.length).split(':')[1])).toEqual(['7', '11']);
    });

    it('reads the L10 blank sentinel 9223372036854775794 as null, where a real value on L10 is read', () => {
      // L10 renamed to the GPU temperature the twin reads, keeping DCGM's int64 "not supported" value
      const blank = parse(
        withLine10(
          'blank.prom',
          'DCGM_FI_DEV_GPU_TEMP{gpu="0", UUID="GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52"} 9223372036854775794',
        ),
      );
      expect(only(blank).metrics.tempC).toBeNull();
      expect(blank.errLines.some((l) => /:10: /.test(l))).toBe(false); // no value, but not a problem either
      const real = parse(
        withLine10(
          'real.prom',
          'DCGM_FI_DEV_GPU_TEMP{gpu="0", UUID="GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52"} 71',
        ),
      );
      expect(only(real).metrics.tempC).toBe(71); // the same line with a value: so the null above is the sentinel's
    });
  });

  it('dcgm-exporter 1.x (node-exporter textfile): old dcgm_* names and a lowercase uuid label', () => {
    const r = only(parse(sampleFile('dcgm-exporter-legacy-1x-node-exporter.prom')));
    expect(r.gpuUuid).toBe('GPU-8f640a3c-7e9a-608d-02a3-f4372d72b323'); // L3 label uuid
    expect(r.metrics).toMatchObject({
      tempC: 34, // L3 dcgm_gpu_temp
      gpuUtilPct: 0, // L6 dcgm_gpu_utilization
      powerW: 31.737, // L9 dcgm_power_usage
      smClockMhz: 135, // L12 dcgm_sm_clock
    });
  });

  it('dcgm-exporter k8s: empty pod labels name no pod', () => {
    const r = only(parse(sampleFile('dcgm-exporter-readme-k8s.prom')));
    expect(r.metrics.smClockMhz).toBe(139); // L8 DCGM_FI_DEV_SM_CLOCK{…,pod=""} 139
  });

  it('Datadog fixture: two T4 scrapes and an A10G read; the dummy block without labels goes to stderr from line 74', () => {
    const file = sampleFile('dcgm-exporter-datadog-fixture-t4.prom');
    const r = parse(file);
    expect(r.exitCode).toBe(0);
    expect(r.readings.map((g) => [g.gpuUuid, g.model, g.host, g.line])).toEqual([
      ['GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e', 'Tesla T4', '424773df46e0', 3], // driver 460 scrape, from L3
      ['GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5', 'Tesla T4', '551bdf382151', 51], // driver 470 scrape, from L51
      ['GPU-abc', 'NVIDIA A10G', 'ip-11111', 116], // L116, with pod labels
    ]);
    expect(r.readings[0]!.metrics).toMatchObject({
      smClockMhz: 300, // L3 DCGM_FI_DEV_SM_CLOCK 300
      tempC: 25, // L9 DCGM_FI_DEV_GPU_TEMP 25
      powerW: 8.969, // L12 DCGM_FI_DEV_POWER_USAGE 8.969000
      fbFreeMib: 15109, // L36 DCGM_FI_DEV_FB_FREE 15109
      fbUsedMib: 0, // L39 DCGM_FI_DEV_FB_USED 0
    });
    expect(r.readings[1]!.metrics.fbTotalMib).toBe(15109); // L60 DCGM_FI_DEV_FB_TOTAL 15109
    // L71 marks the dummy block; its first sample, L74, has no labels at all
    expect(r.errLines[0]).toBe(
      `${file}:74: DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS: no GPU identity label (UUID/uuid/gpu); the sample is not read`,
    );
    // one sample every 3 lines (HELP, TYPE, sample) from L74 to L113: (113 − 74) / 3 + 1 = 14
    expect(r.errLines.map((l) => Number(l.slice(file.length + 1).split(':')[0]))).toEqual(
      Array.from({ length: 14 }, (_, i) => 74 + 3 * i),
    );
  });

  it('nvidia-smi dmon: one reading per data row, L3–L7', () => {
    const r = parse(sampleFile('nvidia-smi-dmon-h100-load.txt'));
    expect(r.exitCode).toBe(0);
    expect(r.readings.map((g) => g.line)).toEqual([3, 4, 5, 6, 7]);
    expect(r.readings[0]).toMatchObject({ gpuIndex: 0, gpuUuid: null }); // L3 `gpu Idx` 0; dmon names no UUID
    expect(r.readings[0]!.metrics).toMatchObject({
      powerW: 631, // L3 pwr
      tempC: 63, // L3 gtemp
      gpuUtilPct: 100, // L3 sm
      memUtilPct: 10, // L3 mem
      smClockMhz: 1980, // L3 pclk
      fbUsedMib: null, // dmon's default columns have no framebuffer
    });
    expect(r.readings[4]!.metrics.powerW).toBe(636); // L7 pwr
  });

  it('nvidia-smi -q text (H100)', () => {
    const r = only(parse(sampleFile('nvidia-smi-q-h100-load.txt')));
    expect(r).toMatchObject({ busId: '00000000:00:09.0', model: 'NVIDIA H100 80GB HBM3', line: 9 }); // L9, L10
    expect(r.metrics).toMatchObject({
      fbTotalMib: 81559, // L112 FB Memory Usage / Total (not L117, BAR1)
      fbUsedMib: 19818, // L114 FB Memory Usage / Used
      tempC: 59, // L185 GPU Current Temp
      powerW: 629.45, // L194 Average Power Draw
      smClockMhz: 1980, // L219 Clocks / SM
    });
  });

  it('nvidia-smi -q text in a vGPU guest: the vGPU type, and N/A power and temperature as null', () => {
    const r = only(parse(sampleFile('nvidia-smi-q-vgpu-guest-grid-v100d-8c.txt')));
    expect(r).toMatchObject({ model: 'GRID V100D-8C', vgpuType: 'GRID V100D-8C', busId: '00000000:02:00.0' }); // L9, L47 VGPU, L8
    expect(r.metrics).toMatchObject({ fbTotalMib: 8192, fbUsedMib: 0, powerW: null, tempC: null }); // L88, L90; N/A
  });

  it('nvidia-smi -q -x XML: eight H100s, and a T4 passed through to a VM', () => {
    const h100 = parse(sampleFile('nvidia-smi-q-x-8x-h100.xml'));
    expect(h100.exitCode).toBe(0);
    expect(h100.readings).toHaveLength(8); // eight <gpu> elements
    expect(h100.readings[0]).toMatchObject({ busId: '00000000:53:00.0', line: 8 }); // L8 <gpu id="00000000:53:00.0">
    expect(h100.readings[1]).toMatchObject({ busId: '00000000:64:00.0', line: 546 }); // L546
    const t4 = only(parse(sampleFile('nvidia-smi-q-x-aws-g4dn-t4-passthrough.xml')));
    expect(t4).toMatchObject({ model: 'Tesla T4', busId: '00000000:00:1E.0' }); // L9, L8
    expect(t4.metrics).toMatchObject({
      fbTotalMib: 15360, // L129 fb_memory_usage <total>
      gpuUtilPct: 0, // L146 <gpu_util>
      smClockMhz: 1590, // L246 clocks <sm_clock>
    });
  });

  it('nvidia-smi --query-compute-apps CSV: one reading per process, its memory as fbUsedMib', () => {
    const r = parse(sampleFile('nvidia-smi-query-compute-apps-h100-load.csv'));
    expect(r.exitCode).toBe(0);
    expect(r.readings.map((g) => [g.line, g.process, g.metrics.fbUsedMib])).toEqual([
      [2, { pid: 11327, name: '/root/tools/memhog' }, 2566], // L2 … 11327, /root/tools/memhog, 2566 MiB
      [3, { pid: 11328, name: '/root/tools/memhog' }, 1542], // L3
      [4, { pid: 11345, name: './gpu_burn' }, 15690], // L4
    ]);
  });
});

describe('vgpu-twin telemetry parse: the project’s nvidia-smi vgpu -q fixtures', () => {
  it('reads vgpu-q-2gpu-3vm.txt to 2 gpu and 4 vgpu readings, each vGPU with its VM', () => {
    const r = parse('--format', 'nvidia-smi-vgpu', join(FIXTURES, 'vgpu-q-2gpu-3vm.txt'));
    expect(r.exitCode).toBe(0);
    expect(
      r.readings.map((g) => [g.kind, g.busId, g.vm?.name ?? null, g.vgpuId, g.vgpuType, g.line]),
    ).toEqual([
      ['gpu', '00000000:82:00.0', null, null, null, 8], // L8 GPU 00000000:82:00.0
      ['vgpu', '00000000:82:00.0', 'render-01', '3251634178', 'GRID P40-6Q', 10], // L10–13
      ['vgpu', '00000000:82:00.0', 'render-02', '3251634179', 'GRID P40-6Q', 43], // L43–46
      ['gpu', '00000000:83:00.0', null, null, null, 76], // L76
      ['vgpu', '00000000:83:00.0', 'train-01', '3251634180', 'GRID P40-12Q', 78], // L78–81
      ['vgpu', '00000000:83:00.0', 'train-01', '3251634181', 'GRID P40-12Q', 111], // L111–114: train-01's second vGPU
    ]);
    expect(r.readings[1]!.vm).toEqual({ name: 'render-01', uuid: '4a2f6c1e-7b3d-4e8a-9c51-0d6e2f8a1b37' }); // L11–12
    expect(r.readings[1]!.metrics).toMatchObject({
      fbTotalMib: 6144, // L27
      fbUsedMib: 2241, // L28
      fbFreeMib: 3903, // L29
      gpuUtilPct: 37, // L31
      memUtilPct: 12, // L32
    });
    for (const l of r.out.trimEnd().split('\n'))
      expect(Object.keys(JSON.parse(l) as object).slice(0, CONTRACT_KEYS.length)).toEqual(CONTRACT_KEYS);
  });
});

describe('vgpu-twin telemetry parse: options and failures', () => {
  it('finds no readings in a CSV read as --format dmon: exit code 1, nothing on stdout', () => {
    const file = sampleFile('nvidia-smi-query-gpu-l40s-load.csv');
    const r = parse('--format', 'dmon', file);
    expect(r.exitCode).toBe(1);
    expect(r.out).toBe('');
    expect(r.errLines.at(-1)).toBe(`${file}: no readings in it (read as dmon); try --format`);
  });

  it('refuses --format yaml with exit code 2 (a bad option), naming the option and the value', () => {
    const r = parse('--format', 'yaml', sampleFile('nvidia-smi-query-gpu-l40s-load.csv'));
    expect(r.exitCode).toBe(2); // not 1: that is "no readings"
    expect(r.out).toBe('');
    expect(r.err).toMatch(/--format.*'yaml' is invalid.*Allowed choices are auto, prometheus, /);
  });

  it('says it cannot read a missing file, with a non-zero exit code', () => {
    const missing = sampleFile('no-such-capture.csv');
    const r = parse(missing);
    expect(r.exitCode).toBe(2); // failOption: the <file> argument is bad
    expect(r.out).toBe('');
    expect(r.err).toContain(`cannot read ${missing}: ENOENT`);
  });
  // `-` (stdin) is not tested: runCli has no way to feed the command's stdin (it reads fd 0).
});

/** A path as a literal inside a RegExp. */
function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
