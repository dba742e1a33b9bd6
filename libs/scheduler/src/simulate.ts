import { ValidationError } from '@vgpu-twin/contracts';
import { resolveParams, slotRotation, validateScenario, type Scenario, type Slot } from './policy';
import { mulberry32, type Rng } from './rng';
import { sampleMs, validateWorkload, type ActiveWorkload } from './workload';

/**
 * Discrete-event simulation of one GPU time-sliced among vGPUs. Events are phase ends (CPU step,
 * PCIe transfer, kernel), slice or slot ends and context-switch completions; nothing is stepped
 * per microsecond, so 16 VMs × 10 s is a few hundred thousand events.
 *
 * Mechanics:
 * - Each VM loops CPU step → PCIe transfer → kernel (see `ActiveWorkload`). The kernel runs only
 *   while its VM holds the GPU; a kernel longer than the slice is preempted and resumes later.
 * - PCIe is a separate resource shared equally by the transfers in flight (processor sharing),
 *   so copies are slowed only by other copies, never by time slicing (DESIGN.md).
 * - Loading a VM's context when another VM's is resident costs `switchMs + refillMs × memory
 *   intensity` of GPU time inside the incoming VM's slice.
 * - best effort: work-conserving round robin over VMs with a kernel queued. The holder keeps the GPU
 *   for a full slice while it has work; when its kernel ends and its next is not queued yet, the
 *   next VM with work takes a whole slice. That is the published mechanism behind short kernels
 *   slowing 2–11× next to long ones.
 * - equal / fixed share: a fixed rotation of slots (`slotRotation`); a slot whose owner has no
 *   work leaves the GPU idle.
 */

export interface SimulationOptions {
  /** Simulated time; default 10 s. */
  readonly durationMs?: number;
  readonly seed?: number;
}

export interface SimulatedVm {
  /** Run time over run time alone on a full-GPU vGPU, for the same work. 1 for idle VMs. */
  readonly slowdown: number;
  /** 1 / slowdown. */
  readonly throughput: number;
  /** Fraction of the simulated time the GPU spent running this VM's kernels. */
  readonly share: number;
  readonly contextSwitches: number;
  /** The work done, in milliseconds of the VM's solo run. */
  readonly soloWorkMs: number;
}

export interface SimulationResult {
  readonly durationMs: number;
  /** Fraction of time the GPU ran kernels or switched contexts. */
  readonly busy: number;
  /** Fraction of time spent on context switches (incl. refills). */
  readonly switchOverhead: number;
  readonly events: number;
  readonly vms: readonly SimulatedVm[];
}

const CPU = 0;
const PCIE = 1;
const READY = 2;
const IDLE = 3;
const EPS = 1e-9;

export function simulate(scenario: Scenario, options: SimulationOptions = {}): SimulationResult {
  validateScenario(scenario);
  const { timeSliceMs: S, switchMs, refillMs } = resolveParams(scenario.params);
  const T = options.durationMs ?? 10_000;
  if (!(T > 0))
    throw new ValidationError('durationMs must be > 0', [{ path: 'durationMs', message: 'must be > 0' }]);
  const seed = options.seed ?? 1;
  const n = scenario.vms.length;

  const work: (ActiveWorkload | null)[] = scenario.vms.map((v) => {
    const w = validateWorkload(v.workload);
    return w.kind === 'active' ? w : null;
  });
  // One stream per VM, so adding a VM does not change the others' samples.
  const rngs: Rng[] = work.map((_, i) =>
    mulberry32((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0),
  );

  const phase = new Int8Array(n);
  const phaseStart = new Float64Array(n);
  const phaseEnd = new Float64Array(n); // CPU phase end time
  const pcieLeft = new Float64Array(n);
  const kernelLeft = new Float64Array(n);
  const curCpu = new Float64Array(n);
  const curPcie = new Float64Array(n);
  const curKernel = new Float64Array(n);
  const kernels = new Float64Array(n);
  const done = new Float64Array(n);
  const gpuMs = new Float64Array(n);
  const switches = new Float64Array(n);
  const overheadOf = new Float64Array(n);

  let t = 0;
  let events = 0;
  let busyMs = 0;
  let switchTotal = 0;
  let nPcie = 0;

  const startIteration = (i: number): void => {
    const w = work[i]!;
    const r = rngs[i]!;
    let cpu = sampleMs(w.cpu, r);
    if (w.hostPhase && kernels[i]! > 0 && kernels[i]! % w.hostPhase.everyKernels === 0)
      cpu += sampleMs(w.hostPhase.ms, r);
    curCpu[i] = cpu;
    curPcie[i] = sampleMs(w.pcie, r);
    curKernel[i] = sampleMs(w.kernel, r);
    phase[i] = CPU;
    phaseStart[i] = t;
    phaseEnd[i] = t + cpu;
  };

  // Moves VM i through every phase that has ended by time t (zero-length phases pass at once).
  const settle = (i: number): void => {
    for (;;) {
      const p = phase[i];
      if (p === CPU) {
        if (phaseEnd[i]! > t + EPS) return;
        done[i] = done[i]! + curCpu[i]!;
        if (curPcie[i]! > 0) {
          phase[i] = PCIE;
          pcieLeft[i] = curPcie[i]!;
          nPcie++;
          return;
        }
        phase[i] = READY;
        kernelLeft[i] = curKernel[i]!;
      } else if (p === PCIE) {
        if (pcieLeft[i]! > EPS) return;
        done[i] = done[i]! + curPcie[i]!;
        nPcie--;
        phase[i] = READY;
        kernelLeft[i] = curKernel[i]!;
      } else if (p === READY) {
        if (kernelLeft[i]! > EPS) return;
        done[i] = done[i]! + curKernel[i]!;
        if (curKernel[i]! > 0) kernels[i] = kernels[i]! + 1;
        startIteration(i);
      } else return;
    }
  };

  for (let i = 0; i < n; i++) {
    const w = work[i];
    if (w === null || w === undefined) {
      phase[i] = IDLE;
      continue;
    }
    overheadOf[i] = switchMs + refillMs * w.memoryIntensity;
    startIteration(i);
    settle(i);
  }

  // GPU state.
  let running = -1; // VM whose kernel (or context load) is on the GPU now
  let resident = -1; // VM whose context is loaded
  let overheadLeft = 0;
  let holder = -1; // best effort: the VM whose slice is current
  let sliceEnd = 0;
  const policy = scenario.policy;
  const tdm = policy !== 'best_effort';
  const slots: Slot[] =
    policy === 'best_effort'
      ? []
      : slotRotation(
          policy,
          scenario.gpuFramebufferMib,
          scenario.vms.map((v) => v.framebufferMib),
          S,
        );
  let slot = 0;
  let slotEnd = tdm ? slots[0]!.lengthMs : Infinity;

  const dispatch = (v: number): void => {
    if (resident !== v) {
      overheadLeft = overheadOf[v]!;
      resident = v;
      switches[v] = switches[v]! + 1;
    } else if (running !== v) overheadLeft = 0;
    running = v;
  };

  const scheduleBestEffort = (): void => {
    const hReady = holder >= 0 && phase[holder] === READY;
    if (hReady && t < sliceEnd - EPS) {
      if (running !== holder) dispatch(holder);
      return;
    }
    for (let k = 1; k <= n; k++) {
      const j = (holder + k + n) % n;
      if (j !== holder && phase[j] === READY) {
        holder = j;
        sliceEnd = t + S;
        dispatch(j);
        return;
      }
    }
    if (hReady) {
      sliceEnd = t + S;
      if (running !== holder) dispatch(holder);
      return;
    }
    running = -1;
    overheadLeft = 0;
  };

  const scheduleTdm = (): void => {
    while (slotEnd <= t + EPS) {
      slot = (slot + 1) % slots.length;
      slotEnd += slots[slot]!.lengthMs;
    }
    const owner = slots[slot]!.owner;
    if (owner >= 0 && phase[owner] === READY) {
      if (running !== owner) dispatch(owner);
    } else {
      running = -1;
      overheadLeft = 0;
    }
  };

  const schedule = tdm ? scheduleTdm : scheduleBestEffort;
  schedule();

  while (t < T - EPS) {
    events++;
    // Next event.
    let next = T;
    for (let i = 0; i < n; i++) {
      if (phase[i] === CPU && phaseEnd[i]! < next) next = phaseEnd[i]!;
      else if (phase[i] === PCIE) {
        const e = t + pcieLeft[i]! * nPcie;
        if (e < next) next = e;
      }
    }
    if (running >= 0) {
      const e = t + overheadLeft + kernelLeft[running]!;
      if (overheadLeft > 0 && t + overheadLeft < next) next = t + overheadLeft;
      if (e < next) next = e;
    }
    if (tdm) {
      if (slotEnd < next) next = slotEnd;
    } else if (running >= 0 && sliceEnd < next) next = sliceEnd;

    // Advance.
    const dt = next - t;
    if (dt > 0) {
      if (nPcie > 0) {
        const step = dt / nPcie;
        for (let i = 0; i < n; i++) if (phase[i] === PCIE) pcieLeft[i] = pcieLeft[i]! - step;
      }
      if (running >= 0) {
        busyMs += dt;
        let d = dt;
        if (overheadLeft > 0) {
          const o = Math.min(d, overheadLeft);
          overheadLeft -= o;
          if (overheadLeft <= EPS) overheadLeft = 0;
          switchTotal += o;
          d -= o;
        }
        kernelLeft[running] = kernelLeft[running]! - d;
        gpuMs[running] = gpuMs[running]! + d;
      }
      t = next;
    }
    for (let i = 0; i < n; i++) settle(i);
    schedule();
  }

  const vms: SimulatedVm[] = [];
  for (let i = 0; i < n; i++) {
    if (phase[i] === IDLE) {
      vms.push({ slowdown: 1, throughput: 1, share: 0, contextSwitches: 0, soloWorkMs: 0 });
      continue;
    }
    // Credit the phase in progress with the part already done.
    let partial = 0;
    if (phase[i] === CPU) partial = t - phaseStart[i]!;
    else if (phase[i] === PCIE) partial = curPcie[i]! - pcieLeft[i]!;
    else if (phase[i] === READY) partial = curKernel[i]! - kernelLeft[i]!;
    const solo = done[i]! + Math.max(partial, 0);
    const slowdown = solo > 0 ? t / solo : Infinity;
    vms.push({
      slowdown,
      throughput: 1 / slowdown,
      share: gpuMs[i]! / t,
      contextSwitches: switches[i]!,
      soloWorkMs: solo,
    });
  }
  return { durationMs: t, busy: busyMs / t, switchOverhead: switchTotal / t, events, vms };
}
