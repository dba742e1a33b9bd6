import { ValidationError } from '@vgpu-twin/contracts';
import {
  createModelError,
  createVmModelError,
  DEFAULT_MODEL_ERROR,
  modelErrorConfig,
  readModelError,
  removeVmFromModelError,
  updateModelError,
  type ModelErrorState,
  type ModelErrorTransition,
  type VmModelErrorState,
} from './model-error';
import { noise, thrown } from './testing/series';

const PREDICTED = 2;

/** A cluster of `n` VMs, all predicted at 2×, fed round robin. */
function cluster(n: number) {
  const state = createModelError();
  const vms = Array.from({ length: n }, () => createVmModelError());
  const transitions: { round: number; vm: number; t: ModelErrorTransition }[] = [];
  let round = 0;
  return {
    state,
    vms,
    transitions,
    /** `rounds` rounds in which every VM reports observed = observedOf(vm, round). */
    feed(rounds: number, observedOf: (vm: number, round: number) => number, config = DEFAULT_MODEL_ERROR) {
      for (let r = 0; r < rounds; r++) {
        round++;
        vms.forEach((vm, i) => {
          const t = updateModelError(state, vm, observedOf(i, round), PREDICTED, config);
          if (t) transitions.push({ round, vm: i, t });
        });
      }
    },
  };
}

describe('cluster model error', () => {
  it('given 10 VMs 20% slower than predicted, when each has 100 samples, then the model is declared stale', () => {
    const c = cluster(10);
    c.feed(100, () => 2.4); // (2.4 − 2) / 2 = +20% on every sample
    // A VM counts from its 100th sample (minSamples); the 10th VM counting meets minVms = 10.
    expect(c.transitions.map((x) => [x.round, x.vm, x.t.type])).toEqual([[100, 9, 'model.stale']]);
    const t = c.transitions[0]!.t;
    expect(t.error).toBeCloseTo(0.2); // |+20%| on every VM
    expect(t.bias).toBeCloseTo(0.2); // positive: VMs slower than predicted
    expect(t.vms).toBe(10);
  });

  it('given unbiased 5% noise on 50 VMs, when fed for an hour, then the error stays at the noise floor and nothing is raised', () => {
    const eps = noise(50 * 3600, 0.05, 11);
    const c = cluster(50);
    c.feed(3600, (vm, round) => PREDICTED * (1 + eps[(round - 1) * 50 + vm]!));
    expect(c.transitions).toEqual([]);
    // EW mean of N(0, 5%) with α = 0.01 has σ = 0.05·√(0.01/1.99) = 0.0035; E|·| = 0.8σ = 0.0028.
    expect(readModelError(c.state).error).toBeLessThan(0.01);
  });

  it('given only 9 VMs, when all are 50% off, then there is too little evidence to declare the model stale', () => {
    const c = cluster(9);
    c.feed(500, () => 3); // (3 − 2) / 2 = +50%
    expect(c.transitions).toEqual([]);
    expect(readModelError(c.state)).toEqual({ error: 0.5, bias: 0.5, vms: 9 });
  });

  it('given a stale model, when the error moves between the two bounds, then it does not flap', () => {
    const c = cluster(10);
    c.feed(100, () => 2.4); // stale at 20%, as above
    c.feed(1000, () => 2.24); // 12%: below staleAbove 0.15 but above freshBelow 0.10 → still stale
    expect(c.transitions.map((x) => x.t.type)).toEqual(['model.stale']);
    expect(c.state.stale).toBe(true);
    c.feed(200, () => 2); // 0%: each mean decays ×0.99 from 0.12; below 0.10 after 19 rounds
    // 0.12·0.99¹⁸ = 0.1002, 0.12·0.99¹⁹ = 0.0992: the cluster mean crosses 0.10 once 2 VMs of round 19
    // have updated ((2·0.0992 + 8·0.1002) / 10 = 0.09998).
    expect(c.transitions.map((x) => [x.round, x.vm, x.t.type])).toEqual([
      [100, 9, 'model.stale'],
      [1119, 1, 'model.fresh'], // 100 + 1000 + 19
    ]);
    c.feed(1000, () => 2.24); // back to 12%: above freshBelow but below staleAbove → stays fresh
    expect(c.transitions).toHaveLength(2);
    expect(readModelError(c.state).error).toBeCloseTo(0.12, 3);
  });

  it('given VMs faster than predicted, when fed, then the bias is negative and the error is its size', () => {
    const c = cluster(10);
    c.feed(100, () => 1.6); // (1.6 − 2) / 2 = −20%
    expect(c.transitions.map((x) => x.t.type)).toEqual(['model.stale']);
    expect(readModelError(c.state).bias).toBeCloseTo(-0.2);
    expect(readModelError(c.state).error).toBeCloseTo(0.2);
  });

  it('given a stale model, when VMs are removed below the minimum evidence, then the flag holds and the sums follow', () => {
    const c = cluster(10);
    c.feed(100, (vm) => (vm < 5 ? 2.4 : 2.8)); // 20% on 5 VMs, 40% on 5: mean 30%
    expect(readModelError(c.state).error).toBeCloseTo(0.3);
    for (let i = 5; i < 10; i++) removeVmFromModelError(c.state, c.vms[i]!, DEFAULT_MODEL_ERROR);
    expect(readModelError(c.state).error).toBeCloseTo(0.2); // only the 20% VMs are left
    expect(c.state.vms).toBe(5);
    expect(c.state.stale).toBe(true); // 5 < minVms: not enough evidence to say it is fresh either
    expect(removeVmFromModelError(c.state, c.vms[9]!, DEFAULT_MODEL_ERROR)).toBeNull(); // already out
    for (let i = 0; i < 5; i++) removeVmFromModelError(c.state, c.vms[i]!, DEFAULT_MODEL_ERROR);
    expect(c.state).toMatchObject({ sumAbs: 0, sumSigned: 0, vms: 0 });
  });

  it('given a prediction of 0 or a non-finite observation, when fed, then it is skipped', () => {
    const state = createModelError();
    const vm = createVmModelError();
    expect(updateModelError(state, vm, 2, 0, DEFAULT_MODEL_ERROR)).toBeNull();
    expect(updateModelError(state, vm, NaN, 2, DEFAULT_MODEL_ERROR)).toBeNull();
    expect(state.skipped).toBe(2);
    expect(vm.samples).toBe(0);
  });

  it('given a snapshot through JSON, when both copies continue, then they say exactly the same', () => {
    const eps = noise(10 * 600, 0.05, 12);
    const observed = (vm: number, round: number) =>
      PREDICTED * (1 + (round > 150 ? 0.25 : 0) + eps[(round - 1) * 10 + vm]!);
    const a = cluster(10);
    a.feed(120, observed);
    const b = cluster(10);
    const snapshot = JSON.parse(JSON.stringify({ state: a.state, vms: a.vms })) as {
      state: ModelErrorState;
      vms: VmModelErrorState[];
    };
    Object.assign(b.state, snapshot.state);
    snapshot.vms.forEach((vm, i) => Object.assign(b.vms[i]!, vm));
    b.feed(120, () => 0); // advance b's round counter to match; outputs discarded below
    b.transitions.length = 0;
    Object.assign(b.state, snapshot.state);
    snapshot.vms.forEach((vm, i) => Object.assign(b.vms[i]!, vm));
    a.feed(480, observed);
    b.feed(480, observed);
    expect(a.transitions.map((x) => x.t.type)).toEqual(['model.stale']); // the +25% shift at round 150
    expect(b.transitions).toEqual(a.transitions);
    expect(b.state).toEqual(a.state);
    expect(b.vms).toEqual(a.vms);
  });

  it('given a bad configuration, when validated, then it names every bad key', () => {
    const error = thrown(() => modelErrorConfig({ alpha: 2, staleAbove: 0.1, freshBelow: 0.2 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['alpha', 'freshBelow']);
  });
});
