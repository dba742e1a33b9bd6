import { decimate } from './report-html';

describe('the report chart’s decimation', () => {
  // a day at 1 Hz across the chart's 840 px of width: ~103 points per pixel column
  const day = Array.from(
    { length: 86_400 },
    (_, s) => [50 + (s / 86_400) * 840, 100 + 50 * Math.sin(s / 300)] as const,
  );

  it('keeps at most the first, lowest, highest and last point of each pixel column, in time order', () => {
    const kept = decimate(day);
    expect(kept.length).toBeLessThanOrEqual(4 * 841); // 841 columns: 50 … 890 rounded
    expect(kept.length).toBeGreaterThan(840);
    const xs = kept.map(([x]) => x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(kept[0]).toBe(day[0]);
    expect(kept[kept.length - 1]).toBe(day[day.length - 1]);
  });

  it('loses no peak or dip', () => {
    const kept = decimate(day);
    const ys = (p: readonly (readonly [number, number])[]) => p.map(([, y]) => y);
    expect(Math.max(...ys(kept))).toBe(Math.max(...ys(day)));
    expect(Math.min(...ys(kept))).toBe(Math.min(...ys(day)));
  });

  it('leaves a short window alone: one point a column is drawn as it is', () => {
    const short = Array.from({ length: 200 }, (_, s) => [50 + s * 4, s % 7] as const);
    expect(decimate(short)).toEqual(short);
  });
});
