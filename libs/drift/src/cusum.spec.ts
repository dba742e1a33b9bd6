import { ValidationError } from '@vgpu-twin/contracts';
import { createCusum, cusumConfig, DEFAULT_CUSUM, updateCusum, type CusumState } from './cusum';
import { feed, noise, thrown, withChange } from './testing/series';

const DAY = 86_400; // samples at 1 Hz
const SIGMA = 0.15; // 5% noise on a 3× slowdown: the noisiest residual the defaults are calibrated for
const WARMUP = 600;

const run = (xs: readonly number[], state: CusumState = createCusum(), config = DEFAULT_CUSUM) =>
  feed(xs, (x) => updateCusum(state, x, config));

describe('CUSUM', () => {
  it('given a constant residual of +0.3, when it accumulates, then it fires at the arithmetic sample', () => {
    const hits = run(Array<number>(9).fill(0.3));
    // S⁺ grows by 0.3 − k = 0.225 a sample: 1.8 after 8 (≤ h = 2), 2.025 after 9 → fires on the 9th.
    expect(hits.map((h) => h.at)).toEqual([8]);
    const s = hits[0]!.out;
    expect(s.direction).toBe('slower');
    expect(s.statistic).toBeCloseTo(2.025); // 9 × 0.225
    expect(s.level).toBeCloseTo(0.3); // k + S/N = 0.075 + 2.025/9
    expect(s.magnitude).toBeCloseTo(0.3); // level − target 0
    expect(s.changeSamples).toBe(9); // S⁺ was 0 before the first sample
    expect(s.samples).toBe(9);
  });

  it('given noise σ = 0.15, when the residual steps up by +0.3, then it says "slower" within 30 samples with the right size and start', () => {
    const xs = withChange(noise(WARMUP + 200, SIGMA, 1), WARMUP, () => 0.3);
    const hits = run(xs);
    expect(hits.length).toBeGreaterThan(0);
    const first = hits[0]!;
    const delay = first.at - WARMUP + 1;
    expect(first.at).toBeGreaterThanOrEqual(WARMUP); // no false alarm before the change
    expect(first.out.direction).toBe('slower');
    expect(delay).toBeLessThanOrEqual(30); // h / (shift − k) = 2 / 0.225 ≈ 9 expected; 30 is the brief's bound
    expect(first.out.magnitude).toBeGreaterThan(0.15); // the step is 0.3; ±0.15 = one σ of noise
    expect(first.out.magnitude).toBeLessThan(0.45);
    expect(Math.abs(first.out.changeSamples - delay)).toBeLessThanOrEqual(5); // change began `delay` samples ago
  });

  it('given noise σ = 0.15, when the residual steps down by −0.3, then it says "faster" with a negative level', () => {
    const xs = withChange(noise(WARMUP + 200, SIGMA, 2), WARMUP, () => -0.3);
    const first = run(xs)[0]!;
    expect(first.at).toBeGreaterThanOrEqual(WARMUP);
    expect(first.out.direction).toBe('faster');
    expect(first.at - WARMUP + 1).toBeLessThanOrEqual(30); // 2 / (0.3 − 0.075) ≈ 9 expected
    expect(first.out.level).toBeLessThan(-0.15); // −0.3 ± one σ
    expect(first.out.level).toBeGreaterThan(-0.45);
  });

  it('given noise σ = 0.15, when the residual ramps by +0.5 over 60 s, then it says "slower" during or just after the ramp', () => {
    const xs = withChange(noise(WARMUP + 300, SIGMA, 3), WARMUP, (j) => (0.5 * Math.min(j + 1, 60)) / 60);
    const first = run(xs)[0]!;
    expect(first.at).toBeGreaterThanOrEqual(WARMUP);
    expect(first.out.direction).toBe('slower');
    // Noise-free: the ramp 0.5·j/60 exceeds k = 0.075 at j = 9 and Σ(r − k) ≈ (J² − 81)/240 − 0.075(J − 9)
    // reaches h = 2 when J² − 18J − 399 = 0 → J ≈ 31 (the bench's median: 29–31); allow noise either side.
    expect(first.at - WARMUP + 1).toBeGreaterThanOrEqual(15);
    expect(first.at - WARMUP + 1).toBeLessThanOrEqual(60);
  });

  it('given a day of stationary noise σ = 0.15 (seed 42), when fed, then it raises no false alarm', () => {
    // Siegmund's approximation at k = 0.5σ, h = 13.3σ: one two-sided false alarm per ~23 days; the
    // bench measured 2 in 1,000 h (one per ~20 days).
    expect(run(noise(DAY, SIGMA, 42))).toEqual([]);
  });

  it('given it fired, when the shift persists, then it has reset and fires again after another full run', () => {
    const state = createCusum();
    const hits = run(Array<number>(18).fill(0.3), state);
    // Each detection takes 9 samples from S = 0 (see the first test): samples 9 and 18.
    expect(hits.map((h) => h.at)).toEqual([8, 17]);
    expect(hits[1]!.out.changeSamples).toBe(9); // counted from the reset, not from the first change
    expect(state).toEqual({ kind: 'cusum', n: 0, hi: 0, hiN: 0, lo: 0, loN: 0, skipped: 0 });
  });

  it('given σ normalisation, when the residual is 3σ off, then k and h are read in σ units', () => {
    const config = cusumConfig({ sigma: 0.1, k: 0.5, h: 5 });
    const hits = run(Array<number>(3).fill(0.3), createCusum(), config);
    // z = 0.3 / 0.1 = 3; S⁺ += 3 − 0.5 = 2.5 a sample: 5.0 after 2 (not > 5), 7.5 after 3.
    expect(hits.map((h) => h.at)).toEqual([2]);
    expect(hits[0]!.out.level).toBeCloseTo(0.3); // σ·(k + S/N) = 0.1 × (0.5 + 7.5/3)
  });

  it('given a target, when the residual sits at the target, then nothing accumulates', () => {
    const config = cusumConfig({ target: 0.2 });
    const state = createCusum();
    expect(run(Array<number>(1000).fill(0.2), state, config)).toEqual([]);
    expect(state.hi + state.lo).toBe(0);
  });

  it('given minSamples, when the shift starts at once, then no alarm comes before minSamples', () => {
    const hits = run(Array<number>(30).fill(0.3), createCusum(), cusumConfig({ minSamples: 20 }));
    // Without the burn-in it would fire at 9; S⁺ = 20 × 0.225 = 4.5 > h at sample 20.
    expect(hits[0]!.at).toBe(19);
  });

  it('given non-finite residuals, when fed, then they are counted and ignored', () => {
    const state = createCusum();
    expect(run([NaN, Infinity, -Infinity, 0.3], state)).toEqual([]);
    expect(state.skipped).toBe(3);
    expect(state.n).toBe(1);
  });

  it('given a snapshot through JSON, when both copies continue, then they say exactly the same', () => {
    const xs = withChange(noise(3000, SIGMA, 5), 1500, () => 0.3);
    const original = createCusum();
    run(xs.slice(0, 1000), original);
    const restored = JSON.parse(JSON.stringify(original)) as CusumState;
    const a = run(xs.slice(1000), original);
    const b = run(xs.slice(1000), restored);
    expect(a.length).toBeGreaterThan(0); // the step at 1500 makes the comparison meaningful
    expect(b).toEqual(a);
    expect(restored).toEqual(original);
  });

  it('given a bad configuration, when validated, then it names every bad key', () => {
    const error = thrown(() => cusumConfig({ k: -1, h: 0, sigma: 0 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['k', 'h', 'sigma']);
  });
});
