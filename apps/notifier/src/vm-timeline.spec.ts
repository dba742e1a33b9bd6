import { VmTimeline } from './vm-timeline';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const sec = (s: number) => T0 + s * 1000;
/** 60 s of event time in 1 s buckets, so the arithmetic below stays small. */
const limits = { windowMs: 60_000, bucketMs: 1000, maxMarkers: 3 };

describe('VmTimeline', () => {
  it('given a prediction then observations, the prediction holds as a step until the next one', () => {
    const tl = new VmTimeline(limits);
    // when
    tl.predict(sec(0), 1.8, sec(0));
    tl.observe(sec(2), 1.7, sec(2));
    tl.observe(sec(3), 1.9, sec(3));
    tl.predict(sec(4), 1.2, sec(4)); // e.g. the aggressor moved away
    tl.observe(sec(5), 1.25, sec(5));
    // then
    expect(tl.view(sec(5))).toEqual({
      t: [sec(0), sec(2), sec(3), sec(4), sec(5)],
      predicted: [1.8, 1.8, 1.8, 1.2, 1.2], // 1.8 from t=0 until the new prediction at t=4
      observed: [null, 1.7, 1.9, null, 1.25], // observed only where an observation was made
    });
  });

  it('given several events in one second, keeps one point per second: the last value wins', () => {
    const tl = new VmTimeline(limits);
    tl.observe(sec(10) + 100, 1.4, sec(10));
    tl.observe(sec(10) + 900, 1.6, sec(10));
    tl.predict(sec(10) + 500, 1.5, sec(10));
    expect(tl.view(sec(10))).toEqual({
      t: [sec(10)], // 10.1 s, 10.5 s and 10.9 s all fall in the bucket starting at 10 s
      predicted: [1.5],
      observed: [1.6], // 1.6 at 10.9 s replaced 1.4 at 10.1 s
    });
  });

  it('given a late event, puts it in its place rather than at the end', () => {
    const tl = new VmTimeline(limits);
    tl.observe(sec(1), 1.1, sec(1));
    tl.observe(sec(3), 1.3, sec(3));
    tl.observe(sec(2), 1.2, sec(3)); // arrives after t=3
    expect(tl.view(sec(3)).t).toEqual([sec(1), sec(2), sec(3)]);
    expect(tl.view(sec(3)).observed).toEqual([1.1, 1.2, 1.3]);
  });

  it('when event time moves past the window, drops old points but keeps the prediction in force at its start', () => {
    const tl = new VmTimeline(limits);
    tl.predict(sec(0), 2.0, sec(0));
    for (let s = 0; s <= 100; s++) tl.observe(sec(s), 1 + s / 100, sec(s));
    const view = tl.view(sec(100));
    // window: (100 − 60) s = 40 s … 100 s, one point per second: 61 points
    expect(view.t).toHaveLength(61);
    expect(view.t[0]).toBe(sec(40));
    expect(view.observed[0]).toBeCloseTo(1.4); // 1 + 40/100, observed at t=40
    expect(view.predicted.every((p) => p === 2.0)).toBe(true); // made at t=0, still in force
  });

  it('given a prediction older than the window and no other point, shows it at the window start', () => {
    const tl = new VmTimeline(limits);
    tl.predict(sec(0), 1.6, sec(0));
    expect(tl.view(sec(90))).toEqual({
      t: [sec(30)], // 90 − 60: the first second inside the window
      predicted: [1.6],
      observed: [null],
    });
  });

  it('keeps memory bounded: at most one prediction and one observation per second of the window, plus the carried one', () => {
    const tl = new VmTimeline(limits);
    for (let ms = 0; ms <= 600_000; ms += 250) {
      tl.predict(T0 + ms, 1.5, T0 + ms);
      tl.observe(T0 + ms, 1.5, T0 + ms);
    }
    const internals = tl as unknown as { predictions: unknown[]; observations: unknown[] };
    expect(internals.predictions.length).toBeLessThanOrEqual(62); // 60 s window + its end bucket + the carried one
    expect(internals.observations.length).toBeLessThanOrEqual(61); // 60 s window + its end bucket
  });

  it('given more alerts than the cap, keeps the newest markers within the window', () => {
    const tl = new VmTimeline(limits);
    for (let i = 1; i <= 5; i++)
      tl.mark(
        {
          t: sec(i),
          ts: new Date(sec(i)).toISOString(),
          state: 'raised',
          kind: 'interference',
          alertId: `a${i}`,
        },
        sec(i),
      );
    expect(tl.markers(sec(5)).map((m) => m.alertId)).toEqual(['a3', 'a4', 'a5']); // cap 3: a1, a2 dropped
    expect(tl.markers(sec(64)).map((m) => m.alertId)).toEqual(['a4', 'a5']); // window from 4 s: a3 at 3 s has left
  });
});
