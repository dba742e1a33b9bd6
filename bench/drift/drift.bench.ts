/**
 * Drift benchmark: detection delay and false alarms of the CUSUM and Page-Hinkley detectors on
 * synthetic residuals (observed − predicted slowdown), and update throughput. Run from the repo root:
 *
 *   SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register bench/drift/drift.bench.ts
 *
 * Env: BENCH_TRIALS (400 change trials per cell), BENCH_HOURS (1000 stationary hours per cell),
 * BENCH_RUNS (7 throughput runs).
 *
 * Noise: i.i.d. Gaussian residual noise of σ = 0.02 (2% of a 1× slowdown), 0.07 (3.5% of 2×) and
 * 0.15 (5% of 3×), the range of multiplicative noise expected on slowdowns of 1–3× at 1 Hz. All
 * cells share the same seeded standard-normal draws (common random numbers), so rows differ only by
 * the detector. A change trial runs 600 stationary samples, then the change, for at most 3,600
 * samples; delay = samples after the change up to and including the alarm in the right direction.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  createCusum,
  createDriftMonitor,
  createModelError,
  createPageHinkley,
  createVmModelError,
  cusumConfig,
  driftMonitorConfig,
  modelErrorConfig,
  pageHinkleyConfig,
  updateCusum,
  updateDriftMonitor,
  updateModelError,
  updatePageHinkley,
  type DriftSignal,
} from '@vgpu-twin/drift';
import { mulberry32, normal } from '@vgpu-twin/scheduler';

const TRIALS = Number(process.env['BENCH_TRIALS'] ?? 400);
const HOURS = Number(process.env['BENCH_HOURS'] ?? 1000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const WARMUP = 600;
const CAP = 3600;
const SIGMAS = [0.02, 0.07, 0.15] as const;

interface Detector {
  readonly name: string;
  /** A fresh detector for residual noise of σ (only σ-normalised settings use it). */
  make(sigma: number): (x: number) => DriftSignal | null;
}

const cusum = (name: string, k: number, h: number, normalised = false): Detector => ({
  name,
  make(sigma) {
    const config = cusumConfig({ k, h, sigma: normalised ? sigma : null });
    const state = createCusum();
    return (x) => updateCusum(state, x, config);
  },
});
const pageHinkley = (name: string, delta: number, lambda: number, alpha = 1): Detector => ({
  name,
  make() {
    const config = pageHinkleyConfig({ delta, lambda, alpha });
    const state = createPageHinkley();
    return (x) => updatePageHinkley(state, x, config);
  },
});

const DETECTORS: Detector[] = [
  cusum('CUSUM k=0.075 h=2 (default)', 0.075, 2),
  cusum('CUSUM k=0.1 h=1.5', 0.1, 1.5),
  cusum('CUSUM k=0.05 h=2.5', 0.05, 2.5),
  cusum('CUSUM k=0.05 h=1.5', 0.05, 1.5),
  cusum('CUSUM σ-normalised k=0.5σ h=11σ', 0.5, 11, true),
  pageHinkley('PH δ=0.075 λ=2 (default)', 0.075, 2),
  pageHinkley('PH δ=0.1 λ=1.5', 0.1, 1.5),
  pageHinkley('PH δ=0.05 λ=2.5', 0.05, 2.5),
  pageHinkley('PH δ=0.075 λ=2 α=0.99', 0.075, 2, 0.99),
];

interface Change {
  readonly name: string;
  readonly direction: 'slower' | 'faster';
  /** Shift of the residual j samples after the change began (j = 0 is the first changed sample). */
  shift(j: number): number;
}
const step = (d: number): Change => ({
  name: `step ${d > 0 ? '+' : '−'}${Math.abs(d)}`,
  direction: d > 0 ? 'slower' : 'faster',
  shift: () => d,
});
const ramp = (d: number, over: number): Change => ({
  name: `ramp +${d} over ${over} s`,
  direction: 'slower',
  shift: (j) => (d * Math.min(j + 1, over)) / over,
});
const CHANGES: Change[] = [step(0.1), step(0.3), step(0.5), step(-0.3), ramp(0.5, 60), ramp(0.5, 600)];

const lines: string[] = [];
const out = (s = ''): void => {
  lines.push(s);
  console.log(s);
};
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]): number => quantile(xs, 0.5);

function standardNormals(n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = normal(rng);
  return z;
}

const started = performance.now();
out(`## Drift detection (libs/drift)`);
out();
out(
  `machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, Node ${process.version}; load average at start ${loadavg()[0]!.toFixed(1)}`,
);
out(
  `trials per delay cell: ${TRIALS}; stationary hours per false-alarm cell: ${HOURS}; throughput runs: ${RUNS}`,
);

// ---- Detection delay -------------------------------------------------------------------------
const LEN = WARMUP + CAP;
const pool = standardNormals(TRIALS * LEN, 20240601);

interface DelayCell {
  delays: number[];
  missed: number;
  wrongWay: number;
  changePointError: number[];
}
function delayCell(det: Detector, sigma: number, change: Change): DelayCell {
  const cell: DelayCell = { delays: [], missed: 0, wrongWay: 0, changePointError: [] };
  for (let t = 0; t < TRIALS; t++) {
    const update = det.make(sigma);
    const base = t * LEN;
    let found = false;
    for (let i = 0; i < LEN; i++) {
      const x = sigma * pool[base + i]! + (i >= WARMUP ? change.shift(i - WARMUP) : 0);
      const s = update(x);
      if (s === null || i < WARMUP) continue;
      if (s.direction !== change.direction) {
        cell.wrongWay++;
        continue;
      }
      const delay = i - WARMUP + 1;
      cell.delays.push(delay);
      // The signal says the change began changeSamples ago: its error in samples against the truth.
      cell.changePointError.push(Math.abs(delay - s.changeSamples));
      found = true;
      break;
    }
    if (!found) cell.missed++;
  }
  return cell;
}

out();
out(`### Detection delay (samples = seconds at 1 Hz; median / p90 over ${TRIALS} trials)`);
out();
out(
  'Each cell: median / p90 delay; "miss" = not found within 3,600 samples; "cp" = median error of the change-point estimate (samples).',
);
for (const sigma of SIGMAS) {
  out();
  out(`#### noise σ = ${sigma}`);
  out();
  out(`| detector | ${CHANGES.map((c) => c.name).join(' | ')} |`);
  out(`|---|${CHANGES.map(() => '---:').join('|')}|`);
  for (const det of DETECTORS) {
    const cells = CHANGES.map((c) => {
      const r = delayCell(det, sigma, c);
      const miss = r.missed > 0 ? `, ${r.missed} miss` : '';
      const wrong = r.wrongWay > 0 ? `, ${r.wrongWay} wrong-way` : '';
      return `${median(r.delays)} / ${quantile(r.delays, 0.9)} (cp ${median(r.changePointError)}${miss}${wrong})`;
    });
    out(`| ${det.name} | ${cells.join(' | ')} |`);
  }
}

// ---- False alarms ------------------------------------------------------------------------------
const SAMPLES = HOURS * 3600;
const stationary = standardNormals(SAMPLES, 7);
// The twin's observed slowdown is a 3-sample moving average of progress rates, so its residual
// noise is autocorrelated: MA(3) of the i.i.d. draws. `twinSmoothed` is what 5% noise on the rates
// of a 3× VM becomes (per-sample σ 0.15/√3 = 0.087, long-run σ 0.15); `correlated` keeps a
// per-sample σ of 0.15 with the same correlation (long-run σ 0.26): noise we did not calibrate for.
const twinSmoothed = new Float64Array(SAMPLES);
const correlated = new Float64Array(SAMPLES);
for (let i = 0; i < SAMPLES; i++) {
  const a = stationary[i]!;
  const b = stationary[i > 0 ? i - 1 : SAMPLES - 1]!;
  const c = stationary[i > 1 ? i - 2 : SAMPLES - 2 + i]!;
  twinSmoothed[i] = (a + b + c) / 3;
  correlated[i] = (a + b + c) / Math.sqrt(3);
}

function falseAlarms(det: Detector, sigma: number, z: Float64Array): { slower: number; faster: number } {
  const update = det.make(sigma);
  let slower = 0;
  let faster = 0;
  for (let i = 0; i < z.length; i++) {
    const s = update(sigma * z[i]!);
    if (s !== null) {
      if (s.direction === 'slower') slower++;
      else faster++;
    }
  }
  return { slower, faster };
}

out();
out(
  `### False alarms on stationary noise (${HOURS.toLocaleString('en-US')} h = ${SAMPLES.toLocaleString('en-US')} samples per cell)`,
);
out();
out(
  'Each cell: alarms per hour (slower + faster alarms in total), and per day. Target: ≤ 1 per VM per day = 0.042 per hour.',
);
out();
const faColumns = [
  ...SIGMAS.map((s) => ({ name: `σ = ${s}`, sigma: s, z: stationary })),
  { name: '5% rate noise at 3×, twin-smoothed MA(3) (per-sample σ 0.087)', sigma: 0.15, z: twinSmoothed },
  { name: 'MA(3), per-sample σ 0.15', sigma: 0.15, z: correlated },
];
out(`| detector | ${faColumns.map((c) => c.name).join(' | ')} |`);
out(`|---|${faColumns.map(() => '---:').join('|')}|`);
for (const det of DETECTORS) {
  const cells = faColumns.map((c) => {
    const fa = falseAlarms(det, c.sigma, c.z);
    const total = fa.slower + fa.faster;
    return `${(total / HOURS).toFixed(3)}/h (${total}), ${((24 * total) / HOURS).toFixed(2)}/day`;
  });
  out(`| ${det.name} | ${cells.join(' | ')} |`);
}

// ---- Throughput ---------------------------------------------------------------------------------
const N = 2_000_000;
const residuals = standardNormals(N, 11).map((z) => 0.15 * z);
const VMS = 1000;

/**
 * Updates per second of wall time and per second of this process's CPU time (user + system). On a
 * shared 2-core machine the process may get a fraction of a core: CPU time is the fairer measure.
 */
function rate(run: () => number): { wall: number; cpu: number; sink: number } {
  run(); // warm-up: let the JIT settle
  const wall: number[] = [];
  const cpu: number[] = [];
  let sink = 0;
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    sink += run();
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(c0);
    wall.push(N / seconds);
    cpu.push(N / ((used.user + used.system) / 1e6));
  }
  return { wall: median(wall), cpu: median(cpu), sink };
}

const cusumDefaults = cusumConfig();
const phDefaults = pageHinkleyConfig();
const monitorCusum = driftMonitorConfig();
const monitorPh = driftMonitorConfig({ kind: 'page-hinkley', config: phDefaults });
const errorDefaults = modelErrorConfig();
// Called through the module's export binding, every call pays for the CommonJS re-export getters
// that swc (and tsc) emit for `export *` (measured ~25 ns a call on this machine). The twin binds
// its hot functions to locals; the last row shows the unbound cost.
const hot = { updateCusum, updatePageHinkley, updateDriftMonitor, updateModelError };
const throughput: [string, () => number][] = [
  [
    'baseline: sum the residuals (same loop, no detector)',
    () => {
      let s = 0;
      for (let i = 0; i < N; i++) s += residuals[i]!;
      return s;
    },
  ],
  [
    'updateCusum (one VM)',
    () => {
      const st = createCusum();
      let fired = 0;
      for (let i = 0; i < N; i++) if (hot.updateCusum(st, residuals[i]!, cusumDefaults) !== null) fired++;
      return fired;
    },
  ],
  [
    'updatePageHinkley (one VM)',
    () => {
      const st = createPageHinkley();
      let fired = 0;
      for (let i = 0; i < N; i++) if (hot.updatePageHinkley(st, residuals[i]!, phDefaults) !== null) fired++;
      return fired;
    },
  ],
  [
    `updateDriftMonitor, CUSUM (${VMS} VMs round robin)`,
    () => {
      const states = Array.from({ length: VMS }, () => createDriftMonitor(monitorCusum));
      let fired = 0;
      for (let i = 0; i < N; i++)
        if (hot.updateDriftMonitor(states[i % VMS]!, residuals[i]!, monitorCusum) !== null) fired++;
      return fired;
    },
  ],
  [
    `updateDriftMonitor, Page-Hinkley (${VMS} VMs round robin)`,
    () => {
      const states = Array.from({ length: VMS }, () => createDriftMonitor(monitorPh));
      let fired = 0;
      for (let i = 0; i < N; i++)
        if (hot.updateDriftMonitor(states[i % VMS]!, residuals[i]!, monitorPh) !== null) fired++;
      return fired;
    },
  ],
  [
    `updateModelError (${VMS} VMs round robin)`,
    () => {
      const cluster = createModelError();
      const vms = Array.from({ length: VMS }, () => createVmModelError());
      let flips = 0;
      for (let i = 0; i < N; i++)
        if (hot.updateModelError(cluster, vms[i % VMS]!, 2 + residuals[i]!, 2, errorDefaults) !== null)
          flips++;
      return flips;
    },
  ],
  [
    `updateDriftMonitor + updateModelError (${VMS} VMs): the twin's per-sample drift work`,
    () => {
      const states = Array.from({ length: VMS }, () => createDriftMonitor(monitorCusum));
      const cluster = createModelError();
      const vms = Array.from({ length: VMS }, () => createVmModelError());
      let fired = 0;
      for (let i = 0; i < N; i++) {
        const v = i % VMS;
        const x = residuals[i]!;
        if (hot.updateDriftMonitor(states[v]!, x, monitorCusum) !== null) fired++;
        if (hot.updateModelError(cluster, vms[v]!, 2 + x, 2, errorDefaults) !== null) fired++;
      }
      return fired;
    },
  ],
  [
    `the same, calling through the import binding (re-export getters on every call)`,
    () => {
      const states = Array.from({ length: VMS }, () => createDriftMonitor(monitorCusum));
      const cluster = createModelError();
      const vms = Array.from({ length: VMS }, () => createVmModelError());
      let fired = 0;
      for (let i = 0; i < N; i++) {
        const v = i % VMS;
        const x = residuals[i]!;
        if (updateDriftMonitor(states[v]!, x, monitorCusum) !== null) fired++;
        if (updateModelError(cluster, vms[v]!, 2 + x, 2, errorDefaults) !== null) fired++;
      }
      return fired;
    },
  ],
];
out();
out(
  `### Throughput (${N.toLocaleString('en-US')} updates per run, median of ${RUNS} runs after one warm-up)`,
);
out();
out('| loop | updates per CPU-second | CPU ns/update | updates per wall second |');
out('|---|---:|---:|---:|');
let sink = 0;
for (const [name, run] of throughput) {
  const r = rate(run);
  sink += r.sink;
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  out(`| ${name} | ${fmt(r.cpu)} | ${(1e9 / r.cpu).toFixed(1)} | ${fmt(r.wall)} |`);
}
out();
out(
  `(checksum ${sink.toFixed(3)}; load average at end ${loadavg()[0]!.toFixed(1)}; total bench time ${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
