import { NotFoundError, ValidationError, type PlacementSuggested } from '@vgpu-twin/contracts';
import type { ClusterView, GpuView, SlowdownModel, VmView } from './cluster';
import { PlacementRules } from './constraints';
import { Scorer } from './score';

export interface SuggestOptions {
  /**
   * What a live migration costs, in the same unit as the score (a sum of slowdowns): a move is
   * suggested only when it saves more. Default 0.1: a tenth of one VM's solo run time.
   */
  readonly migrationCost?: number;
  /** Suggest only moves whose gain (after the migration cost) exceeds this; default 0. */
  readonly minGain?: number;
}

export const DEFAULT_MIGRATION_COST = 0.1;

export type MoverRole = 'victim' | 'aggressor' | 'co-runner' | 'vm';

export interface AffectedVm {
  readonly vmId: string;
  readonly gpuId: string;
  readonly slowdown: number;
}

/** One move and its predicted effect on every VM of the two GPUs it touches. */
export interface MoveSuggestion {
  readonly vmId: string;
  readonly role: MoverRole;
  readonly fromGpuId: string;
  readonly toGpuId: string;
  /** Every VM on the old and the new GPU, where it is now and its predicted slowdown. */
  readonly before: readonly AffectedVm[];
  /** The same VMs after the move (the mover on the new GPU). */
  readonly after: readonly AffectedVm[];
  readonly totalBefore: number;
  readonly totalAfter: number;
  readonly migrationCost: number;
  /** totalBefore − totalAfter − migrationCost: what the move saves, in summed slowdown. */
  readonly gain: number;
  readonly reason: string;
}

export interface SuggestRequest {
  readonly cluster: ClusterView;
  readonly victimVmId: string;
  /** The alert's aggressor; null or absent: every co-runner of the victim is considered. */
  readonly aggressorVmId?: string | null;
  readonly model: SlowdownModel;
  readonly options?: SuggestOptions;
}

export interface Candidate {
  readonly gpu: GpuView;
  /** Σ slowdown on the target after − before. */
  readonly delta: number;
}

interface GpuClass {
  readonly cls: number;
  readonly model: string;
  readonly policy: string;
  /** Lowest-id empty GPU on a host that takes any size (mixed, or no VM yet). */
  free: GpuView | null;
  /** Lowest-id empty GPU on a homogeneous host pinned to a size, by that size (MiB). */
  readonly pinned: Map<number, GpuView>;
}

/**
 * Where a VM could go, grouped so a suggestion does not test every GPU: GPUs holding VMs with a
 * free slot, by their vGPU type (`V100-8Q`), and empty GPUs by class (model, policy, size) with
 * only the lowest id kept per host constraint, since empty GPUs of one class score the same.
 * Built in one pass over the GPUs (no prediction, no allocation per GPU beyond the lists).
 */
export class TargetIndex {
  readonly partial = new Map<string, GpuView[]>();
  readonly classes: GpuClass[] = [];

  /** `recordLocks`: the rules were built with `deferLocks`; record the host locks in this pass. */
  constructor(
    readonly rules: PlacementRules,
    readonly scorer: Scorer,
    recordLocks = false,
  ) {
    const byCls = new Map<number, GpuClass>();
    const { cluster } = rules;
    const empty: GpuView[] = [];
    for (const g of cluster.gpus.values()) {
      const ids = rules.vmsOn(g);
      if (ids.length === 0) {
        empty.push(g);
        continue;
      }
      if (recordLocks) rules.recordLocks(g, ids);
      const first = cluster.vms.get(ids[0]!);
      const p = first ? rules.profile(g.model, first.profile) : null;
      if (!p || ids.length >= p.maxPerGpu) continue;
      const list = this.partial.get(p.name);
      if (list) list.push(g);
      else this.partial.set(p.name, [g]);
    }
    // Empty GPUs after the pass: a host's lock depends on all its GPUs.
    for (const g of empty) {
      const cls = scorer.classOf(g);
      let c = byCls.get(cls);
      if (!c) {
        c = { cls, model: g.model, policy: g.policy, free: null, pinned: new Map() };
        byCls.set(cls, c);
        this.classes.push(c);
      }
      const lock = cluster.hosts.get(g.hostId)?.homogeneousProfiles
        ? rules.hostLocks.get(g.hostId)
        : undefined;
      if (!lock) {
        if (!c.free || g.gpuId < c.free.gpuId) c.free = g;
      } else {
        const cur = c.pinned.get(lock.mib);
        if (!cur || g.gpuId < cur.gpuId) c.pinned.set(lock.mib, g);
      }
    }
  }

  /**
   * The best `k` targets for `mover` (never its own GPU, nor `exclude`) by the slowdown it adds
   * on the target, ties by GPU id; every one passes `PlacementRules.fits`.
   */
  bestTargets(mover: VmView, k: number, exclude: string | null = null): Candidate[] {
    const { rules, scorer } = this;
    const top: Candidate[] = [];
    const offer = (gpu: GpuView, delta: number) => {
      if (top.length === k) {
        const worst = top[k - 1]!;
        if (delta > worst.delta || (delta === worst.delta && gpu.gpuId > worst.gpu.gpuId)) return;
      }
      let i = top.length;
      while (
        i > 0 &&
        (top[i - 1]!.delta > delta || (top[i - 1]!.delta === delta && top[i - 1]!.gpu.gpuId > gpu.gpuId))
      )
        i--;
      top.splice(i, 0, { gpu, delta });
      if (top.length > k) top.pop();
    };
    const seenTypes = new Set<string>();
    for (const c of this.classes) {
      const p = rules.profile(c.model, mover.profile);
      if (!p) continue;
      if (!seenTypes.has(p.name)) {
        seenTypes.add(p.name);
        for (const g of this.partial.get(p.name) ?? []) {
          if (g.gpuId === exclude || !rules.fits(mover, g)) continue;
          const ids = rules.vmsOn(g);
          offer(g, scorer.total(g, ids, mover) - scorer.total(g, ids));
        }
      }
      // Empty GPUs of this class: the lowest id that the mover's size may use.
      let best: GpuView | null = null;
      for (const g of [c.free, c.pinned.get(p.framebufferMib) ?? null]) {
        if (g && g.gpuId !== exclude && (!best || g.gpuId < best.gpuId) && rules.fits(mover, g)) best = g;
      }
      if (best) offer(best, scorer.total(best, [], mover));
    }
    // Types offered only on models with no empty GPU left.
    for (const [name, list] of this.partial) {
      if (seenTypes.has(name)) continue;
      const g0 = list[0]!;
      const p = rules.profile(g0.model, mover.profile);
      if (!p || p.name !== name) continue;
      for (const g of list) {
        if (g.gpuId === exclude || !rules.fits(mover, g)) continue;
        const ids = rules.vmsOn(g);
        offer(g, scorer.total(g, ids, mover) - scorer.total(g, ids));
      }
    }
    return top;
  }
}

/**
 * The same answer as `TargetIndex.bestTargets` by testing every GPU: the reference the index is
 * checked against (and the simpler choice for small clusters).
 */
export function bestTargetsByScan(
  rules: PlacementRules,
  scorer: Scorer,
  mover: VmView,
  k: number,
  exclude: string | null = null,
): Candidate[] {
  const all: Candidate[] = [];
  for (const g of rules.cluster.gpus.values()) {
    if (g.gpuId === exclude || !rules.fits(mover, g)) continue;
    const ids = rules.vmsOn(g);
    all.push({ gpu: g, delta: scorer.total(g, ids, mover) - scorer.total(g, ids) });
  }
  all.sort((a, b) => a.delta - b.delta || (a.gpu.gpuId < b.gpu.gpuId ? -1 : 1));
  return all.slice(0, k);
}

function fmt(x: number): string {
  return x.toFixed(2);
}

/** Builds the full suggestion (per-VM before/after, reason) for moving `mover` to `target`. */
export function describeMove(
  rules: PlacementRules,
  scorer: Scorer,
  mover: VmView,
  role: MoverRole,
  target: GpuView,
  migrationCost: number,
  victimVmId: string | null = null,
): MoveSuggestion {
  const cluster = rules.cluster;
  const from = cluster.gpus.get(mover.gpuId)!;
  const oldVms = scorer.vmsOf(rules.vmsOn(from));
  const newVms = scorer.vmsOf(rules.vmsOn(target));
  const rest = oldVms.filter((v) => v.vmId !== mover.vmId);
  const oldBefore = scorer.slowdowns(from, oldVms);
  const newBefore = scorer.slowdowns(target, newVms);
  const oldAfter = scorer.slowdowns(from, rest);
  const newAfter = scorer.slowdowns(target, [...newVms, mover]);
  const before: AffectedVm[] = [
    ...oldVms.map((v, i) => ({ vmId: v.vmId, gpuId: from.gpuId, slowdown: oldBefore[i]! })),
    ...newVms.map((v, i) => ({ vmId: v.vmId, gpuId: target.gpuId, slowdown: newBefore[i]! })),
  ];
  const afterBy = new Map<string, AffectedVm>();
  rest.forEach((v, i) => afterBy.set(v.vmId, { vmId: v.vmId, gpuId: from.gpuId, slowdown: oldAfter[i]! }));
  [...newVms, mover].forEach((v, i) =>
    afterBy.set(v.vmId, { vmId: v.vmId, gpuId: target.gpuId, slowdown: newAfter[i]! }),
  );
  const after = before.map((b) => afterBy.get(b.vmId)!);
  const totalBefore = before.reduce((s, v) => s + v.slowdown, 0);
  const totalAfter = after.reduce((s, v) => s + v.slowdown, 0);
  const gain = totalBefore - totalAfter - migrationCost;
  const changes = before
    .map((b, i) => ({ b, a: after[i]! }))
    .filter(
      ({ b, a }) =>
        b.vmId === mover.vmId || b.vmId === victimVmId || Math.abs(a.slowdown - b.slowdown) >= 0.005,
    )
    .map(({ b, a }) => {
      const tag = b.vmId === victimVmId && b.vmId !== mover.vmId ? 'victim ' : '';
      return `${tag}${b.vmId} ${fmt(b.slowdown)}× → ${fmt(a.slowdown)}×`;
    });
  const free = newVms.length === 0 ? ' (an idle GPU)' : '';
  const reason =
    `Move ${role === 'vm' ? '' : `${role} `}VM ${mover.vmId} (${mover.workload}) from GPU ${from.gpuId} to GPU ` +
    `${target.gpuId}${free}: predicted slowdown ${changes.join(', ')}; ` +
    `the ${before.length} affected VMs sum ${fmt(totalBefore)} → ${fmt(totalAfter)}, ` +
    `a gain of ${fmt(gain)} after a migration cost of ${fmt(migrationCost)}.`;
  return {
    vmId: mover.vmId,
    role,
    fromGpuId: from.gpuId,
    toGpuId: target.gpuId,
    before,
    after,
    totalBefore,
    totalAfter,
    migrationCost,
    gain,
    reason,
  };
}

function vmOrThrow(cluster: ClusterView, id: string, what: string): VmView {
  const vm = cluster.vms.get(id);
  if (!vm) throw new NotFoundError(`${what} VM '${id}' is not in the cluster`);
  if (!cluster.gpus.has(vm.gpuId))
    throw new NotFoundError(`${what} VM '${id}' is on unknown GPU '${vm.gpuId}'`);
  return vm;
}

function costOf(o: SuggestOptions | undefined): number {
  const c = o?.migrationCost ?? DEFAULT_MIGRATION_COST;
  if (!(c >= 0) || !Number.isFinite(c)) {
    throw new ValidationError(`migrationCost must be a finite number ≥ 0, got ${c}`, [
      { path: 'migrationCost', message: 'must be ≥ 0' },
    ]);
  }
  return c;
}

/**
 * The best single move answering an interference alert: the victim or the aggressor (every
 * co-runner when the alert names none) to a GPU with room, scored by the predicted total
 * slowdown of every VM on the old and the new GPU, less the migration cost. Deterministic: ties
 * go to the lower VM id, then the lower GPU id. Null when no move gains more than `minGain`.
 *
 * Cost: one pass over the GPUs per mover; capacity, profile and host checks prune before any
 * prediction, and predictions are memoised per co-location (see `Scorer`).
 */
export function suggestMove(req: SuggestRequest): MoveSuggestion | null {
  const { cluster, model } = req;
  const migrationCost = costOf(req.options);
  const minGain = req.options?.minGain ?? 0;
  const victim = vmOrThrow(cluster, req.victimVmId, 'victim');
  const movers: { vm: VmView; role: MoverRole }[] = [{ vm: victim, role: 'victim' }];
  if (req.aggressorVmId) {
    const aggressor = vmOrThrow(cluster, req.aggressorVmId, 'aggressor');
    if (aggressor.gpuId !== victim.gpuId) {
      throw new ValidationError(
        `aggressor ${aggressor.vmId} is on GPU ${aggressor.gpuId}, not on the victim's GPU ${victim.gpuId}`,
        [{ path: 'aggressorVmId', message: 'not a co-runner of the victim' }],
      );
    }
    if (aggressor.vmId !== victim.vmId) movers.push({ vm: aggressor, role: 'aggressor' });
  } else {
    for (const id of cluster.gpus.get(victim.gpuId)!.vms) {
      if (id !== victim.vmId) movers.push({ vm: vmOrThrow(cluster, id, 'co-runner'), role: 'co-runner' });
    }
  }
  const rules = new PlacementRules(cluster, undefined, true);
  const scorer = new Scorer(cluster, model);
  const index = new TargetIndex(rules, scorer, true);
  const from = cluster.gpus.get(victim.gpuId)!;
  const oldIds = rules.vmsOn(from);
  const oldTotal = scorer.total(from, oldIds);
  let best: { vm: VmView; role: MoverRole; target: GpuView; gain: number } | null = null;
  for (const { vm, role } of movers) {
    const [top] = index.bestTargets(vm, 1);
    if (!top) continue;
    const removed =
      oldTotal -
      scorer.total(
        from,
        oldIds.filter((id) => id !== vm.vmId),
      );
    const gain = removed - top.delta - migrationCost;
    if (!best || gain > best.gain || (gain === best.gain && vm.vmId < best.vm.vmId)) {
      best = { vm, role, target: top.gpu, gain };
    }
  }
  if (!best || !(best.gain > minGain)) return null;
  return describeMove(rules, scorer, best.vm, best.role, best.target, migrationCost, victim.vmId);
}

/** The best `limit` moves of one VM (any gain, best first; ties by GPU id), for people comparing options. */
export function rankMoves(
  cluster: ClusterView,
  vmId: string,
  model: SlowdownModel,
  options: SuggestOptions & { readonly limit?: number } = {},
): MoveSuggestion[] {
  const vm = vmOrThrow(cluster, vmId, 'the');
  const migrationCost = costOf(options);
  const rules = new PlacementRules(cluster, undefined, true);
  const scorer = new Scorer(cluster, model);
  return new TargetIndex(rules, scorer, true)
    .bestTargets(vm, options.limit ?? 5)
    .map((c) => describeMove(rules, scorer, vm, 'vm', c.gpu, migrationCost, null));
}

/** The `placement.suggested` payload (libs/contracts) for a suggestion; the twin adds the envelope. */
export function suggestionEventData(
  s: MoveSuggestion,
  ids: { readonly suggestionId: string; readonly clusterId: string; readonly alertId: string | null },
): PlacementSuggested['data'] {
  return {
    suggestionId: ids.suggestionId,
    clusterId: ids.clusterId,
    vmId: s.vmId,
    fromGpuId: s.fromGpuId,
    toGpuId: s.toGpuId,
    alertId: ids.alertId,
    reason: s.reason,
    // The event schema requires slowdowns ≥ 0; a regression model may dip below near 1, never below 0 in practice.
    before: s.before.map((v) => ({ ...v, slowdown: Math.max(0, v.slowdown) })),
    after: s.after.map((v) => ({ ...v, slowdown: Math.max(0, v.slowdown) })),
    gain: s.gain,
  };
}
