import { ValidationError } from '@vgpu-twin/contracts';
import { resolveParams, type Scenario } from './policy';
import { meanMs } from './workload';

/**
 * Analytical model of the same GPU as `simulate`, for the twin's hot path: per VM a closed form
 * in the means of its loop (CPU step a, PCIe copy p, kernel k, host phase h every N kernels),
 * solved by a short fixed-point iteration because the VMs' cycle times depend on one another.
 *
 * Best effort (work-conserving round robin). A VM's iteration is X = A + g + W:
 *   A = a + h/N + p′ (p′: the copy stretched by other VMs' copies, processor sharing),
 *   g = k + n·o·P_sw: its kernel plus n context loads (n = ⌈k / (slice − o)⌉ visits per
 *       kernel, o = switch + refill × memory intensity) that happen only when another VM ran
 *       in between (probability P_sw),
 *   W = max(O − A, B·r) + (n − 1)·O: it waits for the others' round O = Σ π_j v_j (visit v_j,
 *       π_j the chance that j takes its turn) less the part hidden behind its own CPU step, or
 *       at least the residual r of a visit in progress while the others keep the GPU busy (B);
 *       each further visit of a long kernel waits a whole round.
 * Equal / fixed share (a fixed rotation of period P in which the VM owns L, L′ = L less
 * context loads): the VM is unaffected by the others except for context loads and PCIe.
 *   saturated: X = (A + k)·P / (L′ + min(A, P − L′)) when X ≤ P (it works through its slot and
 *              one CPU step hides in the rest of the period), else (A + k − min(A, P − L′))·P / L′;
 *   random arrival: A + k + (1 − f)·[(P − L′)/2 + (P − L′)·(⌈k/L′⌉ − 1)] + f·(P − L′)·k/L′,
 *              the exact mean time for k of service from a periodic server of duty f = L′/P
 *              when the kernel arrives at a uniformly random phase;
 *   the model moves from the first to the second as the CPU step A grows to the off part P − L′.
 * Host phases are never slowed. Its error against the simulation is measured over a grid in
 * `predict.spec.ts` and in bench/scheduler (RESULTS.md).
 */

export interface VmPrediction {
  readonly slowdown: number;
  readonly throughput: number;
  /** Long-run fraction of GPU time running this VM's kernels. */
  readonly share: number;
}

export interface Prediction {
  /** Fraction of time the GPU runs kernels or context switches. */
  readonly busy: number;
  readonly vms: readonly VmPrediction[];
}

/** Reusable output of `predictInto`: no allocation per prediction once it is large enough. */
export interface PredictionBuffer {
  n: number;
  busy: number;
  slowdown: Float64Array;
  throughput: Float64Array;
  share: Float64Array;
}

export function createPredictionBuffer(maxVms = 16): PredictionBuffer {
  return {
    n: 0,
    busy: 0,
    slowdown: new Float64Array(maxVms),
    throughput: new Float64Array(maxVms),
    share: new Float64Array(maxVms),
  };
}

/** Scratch arrays shared by all calls (the model is synchronous, so no call sees another's). */
let cap = 0;
let ACT = new Uint8Array(0); // 1 = active, 2 = active with kernels
let A0_ = new Float64Array(0); // CPU step + host phase share
let P0_ = new Float64Array(0); // solo PCIe
let PP_ = new Float64Array(0); // PCIe stretched by others
let K_ = new Float64Array(0);
let O_ = new Float64Array(0); // context-load cost
let X_ = new Float64Array(0); // iteration time
let G_ = new Float64Array(0); // GPU time per iteration
let NV_ = new Float64Array(0); // visits per kernel
let PI_ = new Float64Array(0); // chance of taking a turn
let HOST_ = new Float64Array(0);

function ensure(n: number): void {
  if (n <= cap) return;
  cap = Math.max(n, cap * 2, 16);
  ACT = new Uint8Array(cap);
  A0_ = new Float64Array(cap);
  P0_ = new Float64Array(cap);
  PP_ = new Float64Array(cap);
  K_ = new Float64Array(cap);
  O_ = new Float64Array(cap);
  X_ = new Float64Array(cap);
  G_ = new Float64Array(cap);
  NV_ = new Float64Array(cap);
  PI_ = new Float64Array(cap);
  HOST_ = new Float64Array(cap);
}

const MAX_ITER = 60;
/** Relative change at which the iteration stops; the model's own error is in percent. */
const TOL = 1e-3;
const DAMP = 0;
let iterations = 0;
/** Fixed-point iterations the last prediction took (for the benchmark and tests). */
export const lastPredictionIterations = (): number => iterations;

export function predictInto(scenario: Scenario, out: PredictionBuffer): PredictionBuffer {
  const vms = scenario.vms;
  const n = vms.length;
  if (out.slowdown.length < n)
    throw new ValidationError(`prediction buffer holds ${out.slowdown.length} VMs, scenario has ${n}`);
  if (!(scenario.gpuFramebufferMib > 0))
    throw new ValidationError('gpuFramebufferMib must be > 0', [
      { path: 'gpuFramebufferMib', message: 'must be > 0' },
    ]);
  const params = scenario.params ? resolveParams(scenario.params) : undefined;
  const S = params?.timeSliceMs ?? 1;
  const sw = params?.switchMs ?? 0.03;
  const refill = params?.refillMs ?? 0.2;
  ensure(n);
  // Local aliases: module-level bindings are slower to reach in the hot loops below.
  const act = ACT,
    A0 = A0_,
    P0 = P0_,
    Pp = PP_,
    K = K_,
    O = O_,
    X = X_,
    G = G_,
    Nv = NV_,
    PI = PI_,
    HOST = HOST_;

  let fbSum = 0;
  let fbMin = Infinity;
  for (let i = 0; i < n; i++) {
    const vm = vms[i]!;
    const fb = vm.framebufferMib;
    if (!(fb > 0))
      throw new ValidationError(`vms[${i}].framebufferMib must be > 0`, [
        { path: `vms[${i}].framebufferMib`, message: 'must be > 0' },
      ]);
    fbSum += fb;
    if (fb < fbMin) fbMin = fb;
    const w = vm.workload;
    if (w.kind === 'idle') {
      act[i] = 0;
      continue;
    }
    const k = meanMs(w.kernel);
    const host = w.hostPhase ? meanMs(w.hostPhase.ms) / w.hostPhase.everyKernels : 0;
    HOST[i] = k > 0 ? host : 0;
    A0[i] = meanMs(w.cpu) + HOST[i]!;
    P0[i] = meanMs(w.pcie);
    Pp[i] = P0[i]!;
    K[i] = k;
    O[i] = sw + refill * w.memoryIntensity;
    X[i] = A0[i]! + P0[i]! + k;
    if (!(X[i]! > 0))
      throw new ValidationError(
        `vms[${i}].workload: kernel, cpu and pcie are all zero; use the idle workload`,
      );
    G[i] = k;
    Nv[i] = k > 0 ? Math.max(1, Math.ceil(k / (S - O[i]!) - 1e-9)) : 0;
    PI[i] = 1;
    act[i] = k > 0 ? 2 : 1;
  }
  if (fbSum > scenario.gpuFramebufferMib)
    throw new ValidationError(
      `vGPUs hold ${fbSum} MiB, more than the GPU's ${scenario.gpuFramebufferMib} MiB`,
    );

  const policy = scenario.policy;
  const period = policy === 'equal_share' ? S * n : (S * scenario.gpuFramebufferMib) / fbMin;
  for (let it = 0; it < MAX_ITER; it++) {
    // Aggregates over all VMs from the previous iterate (Jacobi), so each VM's update is O(1)
    // and a prediction is O(VMs × iterations).
    let pcieLoad = 0;
    let round = 0;
    let busyAll = 0;
    let resid = 0;
    let rate = 0;
    let idleProd = 1; // Π (1 − wants) over VMs that do not want the GPU all the time
    let alwaysWanting = 0;
    for (let j = 0; j < n; j++) {
      if (act[j] === 0) continue;
      if (P0[j]! > 0) pcieLoad += Math.min(1, Pp[j]! / X[j]!);
      if (act[j] !== 2) continue;
      const v = G[j]! / Nv[j]!;
      const b = G[j]! / X[j]!;
      round += PI[j]! * v;
      busyAll += b;
      resid += (b * v) / 2;
      rate += Nv[j]! / X[j]!;
      const idle = Math.min(1, Math.max(0, (A0[j]! + Pp[j]!) / X[j]!));
      if (idle < 1e-12) alwaysWanting++;
      else idleProd *= idle;
    }
    let change = 0;
    for (let i = 0; i < n; i++) {
      const a = act[i];
      if (a === 0) continue;
      // PCIe: processor sharing among the copies in flight.
      if (P0[i]! > 0) Pp[i] = P0[i]! * (1 + pcieLoad - Math.min(1, Pp[i]! / X[i]!));
      const A = A0[i]! + Pp[i]!;
      let x: number;
      if (a === 1) {
        x = A;
        G[i] = 0;
      } else {
        const k = K[i]!;
        const nv = Nv[i]!;
        // Others only (subtract this VM's own terms from the aggregates).
        const ownV = G[i]! / nv;
        const ownB = G[i]! / X[i]!;
        const ownIdle = Math.min(1, Math.max(0, (A0[i]! + Pp[i]!) / X[i]!));
        const othersAlways = alwaysWanting - (ownIdle < 1e-12 ? 1 : 0);
        const othersIdle = othersAlways > 0 ? 0 : ownIdle < 1e-12 ? idleProd : idleProd / ownIdle;
        // Chance that another VM held the GPU since this one's last kernel: it wanted the GPU
        // when this one left it, or launched a kernel during this one's CPU step.
        const pSw = 1 - othersIdle * Math.exp(-(rate - nv / X[i]!) * A);
        if (policy === 'best_effort') {
          const g = k + nv * O[i]! * pSw;
          const others = Math.max(0, round - PI[i]! * ownV);
          const busy = Math.max(0, busyAll - ownB);
          const r = busy > 0 ? Math.max(0, resid - (ownB * ownV) / 2) / busy : 0;
          const wait = Math.max(others - A, Math.min(busy, 1) * r) + (nv - 1) * others;
          x = A + g + wait;
          G[i] = g;
          PI[i] = Math.min(1, (nv * others + g) / x);
        } else {
          // Fixed rotation: equal share = one slice per vGPU; fixed share ∝ framebuffer, the
          // unassigned framebuffer's slices idle.
          const L = policy === 'equal_share' ? S : (S * vms[i]!.framebufferMib) / fbMin;
          const Le = Math.max(L - O[i]! * pSw, 1e-9);
          const off = period - Le;
          const f = Le / period;
          const Afine = A - HOST[i]!;
          // Saturated: per period the VM gets L′ of its loop plus the CPU it overlaps with the
          // period's off part, once per iteration that ends in the period.
          const hidden = Math.min(Afine, off);
          let sat = ((Afine + k) * period) / (Le + hidden);
          if (sat > period) sat = ((Afine + k - hidden) * period) / Le;
          const rand =
            Afine + k + (1 - f) * (off / 2 + off * (Math.ceil(k / Le - 1e-9) - 1)) + (f * off * k) / Le;
          // The arrival phase is random only when the CPU step outlasts the off part.
          const w = off > 0 ? Math.min(1, Afine / off) : 0;
          x = sat + w * Math.max(0, rand - sat) + HOST[i]!;
          // One context load per period in which the kernel runs: a share of one when several
          // iterations fit in a period, ⌈k / L′⌉ when a kernel spans periods.
          const loads = Math.min(x / period, Math.max(1, Math.ceil(k / Le - 1e-9)));
          G[i] = k + O[i]! * pSw * loads;
        }
      }
      const prev = X[i]!;
      const next = it === 0 ? x : DAMP * prev + (1 - DAMP) * x;
      X[i] = next;
      const c = Math.abs(next - prev) / prev;
      if (c > change) change = c;
    }
    iterations = it + 1;
    if (change < TOL) break;
  }

  let busy = 0;
  for (let i = 0; i < n; i++) {
    if (act[i] === 0) {
      out.slowdown[i] = 1;
      out.throughput[i] = 1;
      out.share[i] = 0;
      continue;
    }
    const solo = A0[i]! + P0[i]! + K[i]!;
    const s = X[i]! / solo;
    out.slowdown[i] = s;
    out.throughput[i] = 1 / s;
    out.share[i] = K[i]! / X[i]!;
    busy += G[i]! / X[i]!;
  }
  out.n = n;
  out.busy = Math.min(busy, 1);
  return out;
}

/** `predictInto` with a fresh, readable result. */
export function predict(scenario: Scenario): Prediction {
  const buf = predictInto(scenario, createPredictionBuffer(scenario.vms.length));
  const vms: VmPrediction[] = [];
  for (let i = 0; i < buf.n; i++)
    vms.push({ slowdown: buf.slowdown[i]!, throughput: buf.throughput[i]!, share: buf.share[i]! });
  return { busy: buf.busy, vms };
}

/**
 * The name every prediction made by this model alone carries (`scheduler@<version>`). The version
 * changes whenever the model's formulas or default parameters do, so a recorded prediction says
 * which physics produced it.
 */
export const SCHEDULER_MODEL_VERSION = '1';
export const SCHEDULER_MODEL = `scheduler@${SCHEDULER_MODEL_VERSION}`;
