import type { ClusterView, SlowdownModel, VmView } from './cluster';
import { PlacementRules } from './constraints';
import { Scorer } from './score';
import {
  DEFAULT_MIGRATION_COST,
  TargetIndex,
  describeMove,
  type Candidate,
  type MoveSuggestion,
  type SuggestOptions,
} from './suggest';

export interface RebalanceOptions extends SuggestOptions {
  /** The most moves in the plan (default 20). */
  readonly maxMoves?: number;
  /**
   * Per step, only the `candidates` VMs whose departure would relieve their GPU most are tried as
   * movers (default 32): each tried mover costs one pass over the GPUs.
   */
  readonly candidates?: number;
}

export interface RebalancePlan {
  readonly moves: readonly MoveSuggestion[];
  /** Σ gain of the moves (each after its migration cost). */
  readonly gain: number;
}

/**
 * A bounded re-placement plan: greedy single moves, each the best of the current state (the same
 * score as `suggestMove`), until `maxMoves` or no move gains more than `minGain`. A VM moves at
 * most once. Each step tries the VMs whose removal saves most on their own GPU, then the best
 * target for each distinct kind of VM (workload, size, requirements). Heuristic: it can miss moves
 * that only pay off after another move.
 */
export function planRebalance(
  cluster: ClusterView,
  model: SlowdownModel,
  o: RebalanceOptions = {},
): RebalancePlan {
  const maxMoves = o.maxMoves ?? 20;
  const candidates = o.candidates ?? 32;
  const migrationCost = o.migrationCost ?? DEFAULT_MIGRATION_COST;
  const minGain = o.minGain ?? 0;
  const occupancy = new Map<string, readonly string[]>();
  const rules = new PlacementRules(cluster, occupancy);
  const scorer = new Scorer(cluster, model);
  const where = new Map<string, string>();
  const moved = new Set<string>();
  const moves: MoveSuggestion[] = [];
  const at = (vm: VmView): VmView => {
    const g = where.get(vm.vmId);
    return g === undefined ? vm : { ...vm, gpuId: g };
  };
  for (let step = 0; step < maxMoves; step++) {
    // 1. Movers by what their departure saves on their own GPU.
    const relief: { vm: VmView; saves: number }[] = [];
    for (const g of cluster.gpus.values()) {
      const ids = rules.vmsOn(g);
      if (ids.length < 2) continue;
      const total = scorer.total(g, ids);
      for (const id of ids) {
        if (moved.has(id)) continue;
        const rest = ids.filter((x) => x !== id);
        relief.push({ vm: at(cluster.vms.get(id)!), saves: total - scorer.total(g, rest) });
      }
    }
    relief.sort((a, b) => b.saves - a.saves || (a.vm.vmId < b.vm.vmId ? -1 : 1));
    // 2. Best target per kind of mover (one GPU pass each), then the best move.
    const bestByKind = new Map<string, Candidate[]>();
    const index = new TargetIndex(rules, scorer);
    let best: { vm: VmView; gpuId: string; gain: number } | null = null;
    for (const { vm, saves } of relief.slice(0, candidates)) {
      if (best && saves - migrationCost <= best.gain) break; // cannot beat it: a target adds ≥ 0 in practice
      const kind = `${scorer.itemOf(vm)}\u0003${vm.requires?.models?.join(',') ?? ''}\u0003${vm.requires?.policy ?? ''}`;
      let top = bestByKind.get(kind);
      if (!top) {
        // Placed nowhere, so no GPU is "its own"; the two best cover the one it is on.
        top = index.bestTargets({ ...vm, gpuId: '' }, 2);
        bestByKind.set(kind, top);
      }
      const t = top.find((c) => c.gpu.gpuId !== vm.gpuId);
      if (!t) continue;
      const gain = saves - t.delta - migrationCost;
      if (!best || gain > best.gain || (gain === best.gain && vm.vmId < best.vm.vmId))
        best = { vm, gpuId: t.gpu.gpuId, gain };
    }
    if (!best || !(best.gain > minGain)) break;
    const target = cluster.gpus.get(best.gpuId)!;
    const s = describeMove(rules, scorer, best.vm, 'vm', target, migrationCost, null);
    moves.push(s);
    // 3. Apply it to the working state.
    const from = cluster.gpus.get(best.vm.gpuId)!;
    occupancy.set(
      from.gpuId,
      rules.vmsOn(from).filter((id) => id !== best.vm.vmId),
    );
    occupancy.set(target.gpuId, [...rules.vmsOn(target), best.vm.vmId].sort());
    if (cluster.hosts.get(from.hostId)?.homogeneousProfiles) rules.unlockHost(from.hostId);
    if (cluster.hosts.get(target.hostId)?.homogeneousProfiles)
      rules.lockHost(target.hostId, best.vm.framebufferMib);
    where.set(best.vm.vmId, target.gpuId);
    moved.add(best.vm.vmId);
  }
  return { moves, gain: moves.reduce((s, m) => s + m.gain, 0) };
}
