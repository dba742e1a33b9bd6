import { count, duration, Progress, progressLine } from './progress';

describe('progress', () => {
  it('shows done/total, percent, rate and ETA', () => {
    // 43.2M of 86.4M in 100 s: 50%, 432k/s, the other 43.2M in another 100 s
    const line = progressLine('replay:', 43_200_000, 86_400_000, 0, 100_000);
    expect(line).toMatch(/ 50% 43\.2M\/86\.4M records · 432k\/s · ETA 1m40s$/);
    expect(progressLine('replay:', 10, 10, 0, 2000)).toMatch(/100% 10\/10 records · 5\/s · done in 2s$/);
  });
  it('formats counts and durations', () => {
    expect([count(999), count(1234), count(86_400), count(86_400_000)]).toEqual([
      '999',
      '1.2k',
      '86k',
      '86.4M',
    ]);
    expect([duration(59), duration(151), duration(3 * 3600 + 120)]).toEqual(['59s', '2m31s', '3h02m']);
  });
  it('writes a line every 5% when not on a terminal, and redraws at most every 200 ms on one', () => {
    let t = 0;
    const lines: [string, boolean][] = [];
    const plain = new Progress(
      'p',
      (l, r) => lines.push([l, r]),
      false,
      () => t,
    );
    for (let i = 0; i <= 100; i++) plain.update(i, 100);
    expect(lines.map(([l]) => / (\d+)%/.exec(l)![1])).toEqual([
      '0',
      '5',
      '10',
      '15',
      '20',
      '25',
      '30',
      '35',
      '40',
      '45',
      '50',
      '55',
      '60',
      '65',
      '70',
      '75',
      '80',
      '85',
      '90',
      '95',
      '100',
    ]);
    lines.length = 0;
    const tty = new Progress(
      'p',
      (l, r) => lines.push([l, r]),
      true,
      () => t,
    );
    for (let i = 0; i < 10; i++) {
      t += 100; // 10 updates 100 ms apart over 1 s: every other one drawn
      tty.update(i, 100);
    }
    expect(lines).toHaveLength(5);
    expect(lines.every(([, redraw]) => redraw)).toBe(true);
  });
});
