import { IllegalStateError, ValidationError } from '@vgpu-twin/contracts';
import { DEFAULT_CUSUM } from './cusum';
import { pageHinkleyConfig } from './page-hinkley';
import {
  createDriftMonitor,
  DEFAULT_DRIFT_MONITOR,
  driftMonitorConfig,
  updateDriftMonitor,
  type DriftMonitorConfig,
  type DriftMonitorState,
  type DriftTransition,
} from './monitor';
import { feed, noise, thrown, withChange } from './testing/series';

const DAY = 86_400; // samples at 1 Hz
const SIGMA = 0.15; // 5% noise on a 3× slowdown
const PH = driftMonitorConfig({ kind: 'page-hinkley', config: pageHinkleyConfig() });
const CUSUM = DEFAULT_DRIFT_MONITOR;
const constant = (n: number, x: number): number[] => Array<number>(n).fill(x);

const run = (xs: readonly number[], config: DriftMonitorConfig, state = createDriftMonitor(config)) =>
  feed(xs, (x) => updateDriftMonitor(state, x, config));
const kinds = (hits: { at: number; out: DriftTransition }[]) =>
  hits.map((h) =>
    h.out.type === 'raised' ? `${h.at} raised ${h.out.signal.direction}` : `${h.at} resolved`,
  );

describe('drift monitor', () => {
  // 100 samples at 0 (normal), 100 at +0.3 (slower than predicted), 100 at 0 again.
  const episode = [...constant(100, 0), ...constant(100, 0.3), ...constant(100, 0)];
  // Resolution, the same for both detectors: the band's mean starts at the alarm's level 0.3 and
  // decays ×0.9 a sample once the residual is 0: 0.3·0.9¹³ = 0.076 > band 0.075, 0.3·0.9¹⁴ = 0.069
  // ≤ 0.075, so the 14th zero (index 213) is the first in band and the 43rd (index 242) the 30th.
  it('given CUSUM, when a drift persists then ends, then it raises once and resolves after 30 samples in band', () => {
    const hits = run(episode, CUSUM);
    // CUSUM fires on the 9th +0.3 sample (2 / 0.225 = 8.9), index 108, and again every 9 samples: one alert.
    expect(kinds(hits)).toEqual(['108 raised slower', '242 resolved']);
    const resolved = hits[1]!.out;
    expect(resolved.type === 'resolved' && resolved.activeSamples).toBe(134); // 242 − 108
    expect(resolved.type === 'resolved' && resolved.inBandSamples).toBe(30);
  });

  it('given Page-Hinkley, when a drift persists then ends, then the return (a "faster" change from its new baseline) resolves instead of raising', () => {
    const hits = run(episode, PH);
    // U += 0.3 − x̄ − 0.075 with x̄ = 0.3j/(100 + j) crosses λ = 2 on the 10th +0.3 sample, index 109.
    // The return to 0 fires "faster" with a level of 0, inside the band: ignored; the band resolves at 242.
    expect(kinds(hits)).toEqual(['109 raised slower', '242 resolved']);
    const raised = hits[0]!.out;
    expect(raised.type === 'raised' && raised.signal.level).toBeCloseTo(0.3); // the 10 changed samples' mean
  });

  it.each([
    ['CUSUM', CUSUM],
    ['Page-Hinkley', PH],
  ])(
    'given %s, when the VM goes from slower to faster than predicted, then the new alert supersedes the old',
    (_, config) => {
      const hits = run([...constant(100, 0), ...constant(100, 0.3), ...constant(100, -0.3)], config);
      expect(
        hits.map((h) => (h.out.type === 'raised' ? [h.out.signal.direction, h.out.supersedes] : 'resolved')),
      ).toEqual([
        ['slower', null],
        ['faster', 'slower'],
      ]);
    },
  );

  it.each([
    ['CUSUM', CUSUM],
    ['Page-Hinkley', PH],
  ])(
    'given %s and a day of stationary noise σ = 0.15 (seed 7), when fed, then no alert is raised',
    (_, config) => {
      expect(run(noise(DAY, SIGMA, 7), config)).toEqual([]);
    },
  );

  it.each([
    ['CUSUM', CUSUM],
    ['Page-Hinkley', PH],
  ])(
    'given %s and noise σ = 0.15, when a +0.3 drift lasts 10 minutes, then one alert is raised and resolved without flapping',
    (_, config) => {
      const xs = withChange(noise(1800, SIGMA, 8), 600, (j) => (j < 600 ? 0.3 : 0));
      const hits = run(xs, config);
      expect(hits.map((h) => h.out.type)).toEqual(['raised', 'resolved']);
      expect(hits[0]!.at - 600).toBeLessThan(30); // ≈ 9 samples expected (2 / 0.225)
      // Resolution needs 30 samples with the mean in the band (43 without noise, see above).
      expect(hits[1]!.at - 1200).toBeGreaterThanOrEqual(30 - 1);
      expect(hits[1]!.at - 1200).toBeLessThan(300);
    },
  );

  it('given a detector firing for a change smaller than the band, when fed, then no alert is raised', () => {
    // A sensitive Page-Hinkley (δ = 0.01, λ = 0.5) notices a +0.05 shift, but 0.05 ≤ band 0.075 is normal.
    const config = driftMonitorConfig({
      kind: 'page-hinkley',
      config: pageHinkleyConfig({ delta: 0.01, lambda: 0.5 }),
    });
    const state = createDriftMonitor(config);
    expect(run([...constant(100, 0), ...constant(100, 0.05)], config, state)).toEqual([]);
    expect(state.detector.n).toBeLessThan(100); // it did fire (and reset) — the monitor chose not to raise
  });

  it('given a snapshot through JSON mid-alert, when both copies continue, then they say exactly the same', () => {
    const xs = withChange(noise(2400, SIGMA, 9), 600, (j) => (j < 900 ? 0.3 : 0));
    const original = createDriftMonitor(CUSUM);
    expect(run(xs.slice(0, 1000), CUSUM, original).length).toBe(1); // raised at ~609, still active at 1000
    const restored = JSON.parse(JSON.stringify(original)) as DriftMonitorState;
    const a = run(xs.slice(1000), CUSUM, original);
    const b = run(xs.slice(1000), CUSUM, restored);
    expect(a.map((h) => h.out.type)).toEqual(['resolved']);
    expect(b).toEqual(a);
    expect(restored).toEqual(original);
  });

  it('given a state made for another detector, when updated, then it refuses', () => {
    const state = createDriftMonitor(PH);
    expect(() => updateDriftMonitor(state, 0, CUSUM)).toThrow(IllegalStateError);
  });

  it('given a bad configuration, when validated, then it names every bad key', () => {
    const error = thrown(() => driftMonitorConfig(CUSUM.detector, { alpha: 0, samples: 0 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['normal.alpha', 'normal.samples']);
    expect(() => driftMonitorConfig({ kind: 'cusum', config: { ...DEFAULT_CUSUM, h: -1 } })).toThrow(
      ValidationError,
    );
  });
});
