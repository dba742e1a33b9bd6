import { ValidationError } from '@vgpu-twin/contracts';
import { createCusum, DEFAULT_CUSUM, updateCusum } from './cusum';
import {
  createPageHinkley,
  DEFAULT_PAGE_HINKLEY,
  pageHinkleyConfig,
  updatePageHinkley,
  type PageHinkleyState,
} from './page-hinkley';
import { feed, noise, thrown, withChange } from './testing/series';

const DAY = 86_400; // samples at 1 Hz
const SIGMA = 0.15; // 5% noise on a 3× slowdown: the noisiest residual the defaults are calibrated for
const WARMUP = 600;

const run = (
  xs: readonly number[],
  state: PageHinkleyState = createPageHinkley(),
  config = DEFAULT_PAGE_HINKLEY,
) => feed(xs, (x) => updatePageHinkley(state, x, config));

describe('Page-Hinkley', () => {
  it('given 100 zeros then +0.5, when it accumulates, then it fires at the arithmetic sample with an exact level and start', () => {
    const hits = run([...Array<number>(100).fill(0), ...Array<number>(10).fill(0.5)]);
    // d = x − x̄ after j changed samples = 0.5 − 0.5j/(100 + j); U += d − δ (δ = 0.075):
    // j=1: 0.4200, j=2: 0.8352, j=3: 1.2457, j=4: 1.6515 (≤ λ = 2), j=5: 2.0526 > λ → fires on the 5th.
    expect(hits.map((h) => h.at)).toEqual([104]);
    const s = hits[0]!.out;
    expect(s.direction).toBe('slower');
    expect(s.statistic).toBeCloseTo(2.0526, 3);
    expect(s.changeSamples).toBe(5); // U was 0 through the zeros
    expect(s.level).toBeCloseTo(0.5); // the mean of the 5 changed samples
    expect(s.reference).toBe(0); // the mean of the 100 before
    expect(s.magnitude).toBeCloseTo(0.5);
    expect(s.samples).toBe(105);
  });

  it('given noise σ = 0.15, when the residual steps up by +0.3, then it says "slower" within 30 samples', () => {
    const xs = withChange(noise(WARMUP + 200, SIGMA, 1), WARMUP, () => 0.3);
    const first = run(xs)[0]!;
    expect(first.at).toBeGreaterThanOrEqual(WARMUP);
    expect(first.out.direction).toBe('slower');
    expect(first.at - WARMUP + 1).toBeLessThanOrEqual(30); // λ / (shift − δ) = 2 / 0.225 ≈ 9 expected
    expect(first.out.magnitude).toBeGreaterThan(0.15); // 0.3 ± one σ
    expect(first.out.magnitude).toBeLessThan(0.45);
  });

  it('given noise σ = 0.15, when the residual steps down by −0.3, then it says "faster"', () => {
    const xs = withChange(noise(WARMUP + 200, SIGMA, 2), WARMUP, () => -0.3);
    const first = run(xs)[0]!;
    expect(first.at).toBeGreaterThanOrEqual(WARMUP);
    expect(first.out.direction).toBe('faster');
    expect(first.at - WARMUP + 1).toBeLessThanOrEqual(30); // 2 / 0.225 ≈ 9 expected
    expect(first.out.level).toBeLessThan(-0.15); // −0.3 ± one σ
  });

  it('given noise σ = 0.15, when the residual ramps by +0.5 over 600 s, then it says "slower" before the ramp ends', () => {
    const xs = withChange(noise(WARMUP + 900, SIGMA, 3), WARMUP, (j) => (0.5 * Math.min(j + 1, 600)) / 600);
    const first = run(xs)[0]!;
    expect(first.at).toBeGreaterThanOrEqual(WARMUP);
    expect(first.out.direction).toBe('slower');
    // Noise-free: r = 0.5j/600 passes δ = 0.075 at j = 90; Σ(r − δ) ≈ (J − 90)²/2400 = 2 → J ≈ 159
    // (the running mean, raised by the ramp, delays it a little: the bench's median is ~150–160).
    expect(first.at - WARMUP + 1).toBeGreaterThan(90);
    expect(first.at - WARMUP + 1).toBeLessThan(600);
  });

  it('given a day of stationary noise σ = 0.15 (seed 42), when fed, then it raises no false alarm', () => {
    // Calibrated like CUSUM (δ = 0.5σ, λ ≈ 13σ): the bench measured 2 in 1,000 h.
    expect(run(noise(DAY, SIGMA, 42))).toEqual([]);
  });

  it('given a bias from the first sample, when fed, then Page-Hinkley stays silent where CUSUM fires', () => {
    // Relative to its running mean, a constant +0.3 is no change; CUSUM, anchored at 0, sees 0.225 a sample.
    const xs = withChange(noise(2000, SIGMA, 4), 0, () => 0.3);
    expect(run(xs)).toEqual([]);
    const cusum = createCusum();
    expect(feed(xs, (x) => updateCusum(cusum, x, DEFAULT_CUSUM)).length).toBeGreaterThan(0);
  });

  it('given it fired, when the new level persists, then it has reset, adopted the level and stays silent', () => {
    const state = createPageHinkley();
    const hits = run([...Array<number>(100).fill(0), ...Array<number>(500).fill(0.5)], state);
    expect(hits.map((h) => h.at)).toEqual([104]); // see the first test; then 495 samples at the new baseline
    expect(state.n).toBe(495); // counted from the reset
    expect(state.sum / state.n).toBeCloseTo(0.5); // the new baseline
  });

  it('given a burn-in of 30, when the shift comes at once after a reset, then no alarm comes before 30 samples', () => {
    const hits = run([...Array<number>(10).fill(0), ...Array<number>(40).fill(1)]);
    // Without burn-in: U = (1 − 1/11 − 0.075) + (1 − 2/12 − 0.075) = 1.592 after the 2nd changed sample,
    // + (1 − 3/13 − 0.075) = 2.287 > λ = 2 after the 3rd, i.e. sample 13; the burn-in holds it to sample 30.
    expect(hits[0]!.at).toBe(29);
  });

  it('given non-finite residuals, when fed, then they are counted and ignored', () => {
    const state = createPageHinkley();
    expect(run([NaN, Infinity, 0.1], state)).toEqual([]);
    expect(state.skipped).toBe(2);
    expect(state.sum).toBe(0.1);
  });

  it('given a snapshot through JSON, when both copies continue, then they say exactly the same', () => {
    const xs = withChange(noise(3000, SIGMA, 5), 1500, () => -0.3);
    const original = createPageHinkley();
    run(xs.slice(0, 1000), original);
    const restored = JSON.parse(JSON.stringify(original)) as PageHinkleyState;
    const a = run(xs.slice(1000), original);
    const b = run(xs.slice(1000), restored);
    expect(a.length).toBeGreaterThan(0); // the step at 1500 makes the comparison meaningful
    expect(b).toEqual(a);
    expect(restored).toEqual(original);
  });

  it('given a bad configuration, when validated, then it names every bad key', () => {
    const error = thrown(() => pageHinkleyConfig({ delta: -0.1, alpha: 1.5, minSamples: 2.5 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['delta', 'alpha', 'minSamples']);
  });
});
