import { parseDmon } from './dmon';
import { invariantViolations, readSample } from './testing/samples';

const SAMPLE = 'nvidia-smi-dmon-h100-load.txt';

describe('parseDmon', () => {
  it('reads each row of the H100 under load', () => {
    const text = readSample(SAMPLE);
    const { readings, problems } = parseDmon(text, { host: 'h100-a' });
    expect(problems).toEqual([]);
    // L3–L7, columns gpu pwr gtemp … sm mem … pclk
    expect(
      readings.map((r) => [r.line, r.gpuIndex, r.metrics.powerW, r.metrics.tempC, r.metrics.memUtilPct]),
    ).toEqual([
      [3, 0, 631, 63, 10],
      [4, 0, 634, 63, 10],
      [5, 0, 633, 64, 9],
      [6, 0, 634, 64, 9],
      [7, 0, 636, 65, 9],
    ]);
    expect(readings[0]).toMatchObject({
      kind: 'gpu',
      host: 'h100-a',
      timestampMs: null,
      busId: null,
      gpuUuid: null,
    });
    // L3: 0 631 63 57 100 10 0 0 0 0 2619 1980 — mtemp 57 and mclk 2619 have no place in a reading
    expect(readings[0]!.metrics).toEqual({
      gpuUtilPct: 100, // sm
      memUtilPct: 10, // mem
      powerW: 631, // pwr
      tempC: 63, // gtemp
      smClockMhz: 1980, // pclk
      fbUsedMib: null, // no fb column without -s m
      fbFreeMib: null,
      fbTotalMib: null,
      pcieRxMBps: null, // no rxpci/txpci without -s t
      pcieTxMBps: null,
    });
    expect(invariantViolations(text, { readings, problems })).toEqual([]);
  });

  it('reads "-" as no value, a repeated header with other columns, and several GPUs', () => {
    const text = [
      '# gpu    pwr  gtemp     sm    mem   pclk ',
      '# Idx      W      C      %      %    MHz ',
      '    0     70     41      3      1   1410 ',
      '    1      -      -      0      0    210 ',
      '# gpu     sm    mem     fb  rxpci  txpci ',
      '# Idx      %      %     MB   MB/s   MB/s ',
      '    0     97     64  30215   5230    512 ',
      '    1      0      0      0      -      - ',
    ].join('\n');
    const { readings, problems } = parseDmon(text);
    expect(problems).toEqual([]);
    expect(readings.map((r) => [r.line, r.gpuIndex])).toEqual([
      [3, 0],
      [4, 1],
      [7, 0],
      [8, 1],
    ]);
    expect(readings[1]!.metrics).toMatchObject({ powerW: null, tempC: null, gpuUtilPct: 0, smClockMhz: 210 });
    expect(readings[2]!.metrics).toMatchObject({
      gpuUtilPct: 97,
      fbUsedMib: 30215,
      pcieRxMBps: 5230,
      pcieTxMBps: 512,
    });
    expect(readings[3]!.metrics).toMatchObject({ pcieRxMBps: null, pcieTxMBps: null, powerW: null });
  });

  it('takes the time from -o DT columns, read as UTC', () => {
    const text = [
      '#Date       Time        gpu    pwr ',
      '#YYYYMMDD   HH:MM:SS    Idx      W ',
      ' 20260714   08:12:53      0    631 ',
    ].join('\n');
    const { readings, problems } = parseDmon(text);
    expect(problems).toEqual([]);
    expect(readings[0]).toMatchObject({ timestampMs: Date.UTC(2026, 6, 14, 8, 12, 53), gpuIndex: 0 });
    expect(readings[0]!.metrics.powerW).toBe(631);
  });

  it('names line and column of a bad value, and leaves out rows that do not fit the header', () => {
    const text = readSample(SAMPLE).split('\n');
    text[3] = text[3]!.replace('634', '6x4'); // L4 pwr
    text[4] = '    0    633     64'; // L5 cut short
    const { readings, problems } = parseDmon(text.join('\n'));
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [4, 'pwr'],
      [5, 'row'],
    ]);
    expect(readings.map((r) => [r.line, r.metrics.powerW])).toEqual([
      [3, 631],
      [4, null],
      [6, 634],
      [7, 636],
    ]);
  });

  it('reports data before any header', () => {
    const { readings, problems } = parseDmon('    0    631     63\n');
    expect(readings).toEqual([]);
    expect(problems).toEqual([expect.objectContaining({ line: 1, field: 'header' })]);
  });
});
