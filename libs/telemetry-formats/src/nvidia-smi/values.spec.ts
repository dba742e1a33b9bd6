import { type Problem } from '../reading';
import {
  clockReasonName,
  isSmiNoValue,
  KBPS_AS_MBPS,
  lineLocator,
  MIB,
  PERCENT,
  readNumber,
  readSmiTime,
  WATTS,
} from './values';

describe('readNumber', () => {
  const read = (text: string, units = MIB) => {
    const problems: Problem[] = [];
    return { value: readNumber(text, units, { line: 3, field: 'f' }, problems), problems };
  };

  it.each([
    ['1234 MiB', MIB, 1234],
    ['1234', MIB, 1234],
    ['631.95 W', WATTS, 631.95],
    ['100 %', PERCENT, 100],
    ['100%', PERCENT, 100], // EDPp Multiplier prints no space
    ['-8', MIB, -8],
    ['6346 KB/s', KBPS_AS_MBPS, 6.346], // ÷ 1000
    ['1.5 GB/s', KBPS_AS_MBPS, 1500],
  ])('reads %j as %d', (text, units, expected) => {
    expect(read(text, units)).toEqual({ value: expect.closeTo(expected, 9), problems: [] });
  });

  it.each([
    '[N/A]',
    'N/A',
    '[Requested functionality has been deprecated]',
    'Requested functionality has been deprecated',
    '-',
    '',
    'Not Supported',
    'Unknown Error',
  ])('reads the note %j as null, not a problem', (text) =>
    expect(read(text)).toEqual({ value: null, problems: [] }),
  );

  it.each(['1e309', '12 GiB', 'NaN', 'Infinity', '0x1F', '1.2.3', 'lots', '12 MiB extra'])(
    'reads %j as null and a problem naming line and field',
    (text) =>
      expect(read(text)).toEqual({
        value: null,
        problems: [expect.objectContaining({ line: 3, field: 'f' })],
      }),
  );
});

describe('readSmiTime', () => {
  it('reads both nvidia-smi time formats as UTC', () => {
    expect(readSmiTime('2026/07/03 08:33:53.415')).toBe(Date.UTC(2026, 6, 3, 8, 33, 53, 415));
    expect(readSmiTime('2026/07/03 08:33:53')).toBe(Date.UTC(2026, 6, 3, 8, 33, 53));
    expect(readSmiTime('Tue Jul 14 08:12:53 2026')).toBe(Date.UTC(2026, 6, 14, 8, 12, 53));
    expect(readSmiTime('Thu Dec  9 07:31:27 2024')).toBe(Date.UTC(2024, 11, 9, 7, 31, 27)); // ctime pads the day
  });

  it.each([
    '2026/06/31 00:00:00',
    '2026/13/01 00:00:00',
    '2026/07/03 24:00:00',
    'Tue Foo 14 08:12:53 2026',
    'yesterday',
  ])('refuses %j', (text) => expect(readSmiTime(text)).toBeNull());
});

describe('small helpers', () => {
  it('tells notes from values', () => {
    expect(isSmiNoValue('Not Active')).toBe(false);
    expect(isSmiNoValue('NaN')).toBe(false);
    expect(isSmiNoValue('N/A (Expiry: N/A)')).toBe(true);
  });

  it('maps offsets to 1-based lines', () => {
    const lineOf = lineLocator('a\nbc\n\nd');
    expect([0, 1, 2, 4, 5, 6].map(lineOf)).toEqual([1, 1, 2, 2, 3, 4]);
  });

  it('names -q clock reasons as the CSV and XML do', () => {
    expect(
      ['Idle', 'SW Power Cap', 'HW Thermal Slowdown', 'Display Clock Setting'].map(clockReasonName),
    ).toEqual(['gpu_idle', 'sw_power_cap', 'hw_thermal_slowdown', 'display_clocks_setting']);
  });
});
