import { ValidationError } from '@vgpu-twin/contracts';
import { PlacementRules, type IssueCode, type VmView } from '@vgpu-twin/placement';
import { GPU_CATALOG, findProfile, type VgpuProfile } from '@vgpu-twin/scheduler';
import { effectiveFeatures, predictSet, SCHEDULER_MODEL, type SetMember } from './predict';
import type { GpuState, TwinConfig, TwinState } from './state';
import { round } from './alerts/events';

export interface WhatIfRequest {
  readonly vm: { readonly profile: string; readonly workload: string };
  /** GPU ids to consider; absent: every GPU of the twin. */
  readonly candidates?: readonly string[];
}

export interface WhatIfCandidate {
  readonly gpuId: string;
  readonly hostId: string;
  /** The new VM's predicted slowdown on this GPU. */
  readonly predictedSlowdown: number;
  /** Every VM already there: its predicted slowdown now and with the new VM beside it. */
  readonly affected: readonly { readonly vmId: string; readonly before: number; readonly after: number }[];
  /** The new VM's slowdown − 1 plus the slowdown it adds to the VMs already there. */
  readonly cost: number;
  /** What predicted it: the learned model, or `scheduler@<version>` where the model cannot speak (another policy). */
  readonly model: string;
}

export interface WhatIfAnswer {
  readonly model: string;
  readonly candidates: readonly WhatIfCandidate[];
  readonly infeasible: readonly { readonly gpuId: string; readonly reason: string }[];
}

const NEW_VM = '(new)';

/** libs/placement's rules, as an answer states them. */
const WHY: Record<IssueCode, string> = {
  'same-gpu': 'the VM already runs there',
  'unknown-model': 'the GPU model is not in the vGPU catalog',
  profile: 'the GPU model offers no such vGPU type',
  'mixed-type': 'the GPU runs another vGPU type (one type per GPU)',
  capacity: 'the GPU holds as many vGPUs of this type as it can',
  framebuffer: "the vGPUs' framebuffer would exceed the GPU's",
  'host-homogeneity': 'the host runs another profile size on its GPUs',
  model: "the VM's required GPU model differs",
  policy: "the VM's required policy differs",
};

/**
 * "Where should this VM go?" from the live twin: for each candidate GPU the placement rules
 * (libs/placement: vGPU type offered, capacity, one type per GPU, framebuffer, host homogeneity)
 * and, where it fits, the twin's own model (predict.ts: libs/scheduler + the learned residual) of
 * the GPU with the new VM added — the interference oracle GPU-sharing schedulers lack. Candidates
 * come back cheapest first (ties by GPU id); a workload the twin has no profile of, or a vGPU type
 * no GPU model offers, is a ValidationError naming it.
 */
export function whatIf(state: TwinState, config: TwinConfig, req: WhatIfRequest): WhatIfAnswer {
  const features = state.workloads.get(req.vm.workload)?.features;
  if (!features) {
    const known = [...state.workloads.keys()].sort();
    throw new ValidationError(
      `unknown workload '${req.vm.workload}': the twin has no workload.profiled for it` +
        (known.length ? `; profiled: ${known.join(', ')}` : ''),
      [{ path: 'vm.workload', message: `'${req.vm.workload}' is not profiled` }],
    );
  }
  if (!GPU_CATALOG.some((g) => profileOn(g.id, req.vm.profile))) {
    throw new ValidationError(
      `unknown vGPU profile '${req.vm.profile}': no GPU model in the catalog offers it`,
      [{ path: 'vm.profile', message: `'${req.vm.profile}' is not a vGPU type` }],
    );
  }
  // The rules read only the placed VMs' type and framebuffer, so the twin's own VMs serve as the
  // view (no per-call copy of every VM as clusterView makes for suggestions).
  const rules = new PlacementRules({ hosts: state.hosts, gpus: state.gpus, vms: state.vms });
  const candidates: WhatIfCandidate[] = [];
  const infeasible: { gpuId: string; reason: string }[] = [];
  // The new VM as the rules see it, per GPU model (its framebuffer is the model's profile's).
  const vms = new Map<string, VmView>();
  const targets: Iterable<readonly [string, GpuState | undefined]> =
    req.candidates?.map((id) => [id, state.gpus.get(id)] as const) ?? state.gpus;
  for (const [gpuId, gpu] of targets) {
    if (!gpu) {
      infeasible.push({ gpuId, reason: `no GPU '${gpuId}' in the twin` });
      continue;
    }
    let vm = vms.get(gpu.model);
    if (vm === undefined) {
      vm = {
        vmId: NEW_VM,
        gpuId: '',
        profile: req.vm.profile,
        framebufferMib: profileOn(gpu.model, req.vm.profile)?.framebufferMib ?? 0,
        workload: req.vm.workload,
      };
      vms.set(gpu.model, vm);
    }
    if (!rules.fits(vm, gpu)) {
      // The first rule it breaks, in words fixed per rule: composing each GPU's own sentence cost
      // most of an all-GPU answer on the 6,212-GPU topology (bench/RESULTS.md, What-if).
      const code = rules.check(vm, gpu);
      infeasible.push({ gpuId, reason: code ? `${code}: ${WHY[code]}` : 'does not fit' });
      continue;
    }
    const members: SetMember[] = [];
    let unprofiled: string | null = null;
    for (const id of gpu.vms) {
      const other = state.vms.get(id)!;
      const f = effectiveFeatures(state, other);
      if (!f) unprofiled ??= id;
      else members.push({ framebufferMib: other.framebufferMib, features: f });
    }
    if (unprofiled !== null) {
      infeasible.push({
        gpuId,
        reason: `${unprofiled} on it is unprofiled: its contention cannot be predicted`,
      });
      continue;
    }
    members.push({ framebufferMib: vm.framebufferMib, features });
    const after = predictSet(gpu, members, config.model);
    const mine = after[after.length - 1]!;
    let cost = mine.slowdown - 1;
    const affected = gpu.vms.map((id, i) => {
      const before = state.vms.get(id)!.predictedSlowdown ?? 1;
      const a = round(after[i]!.slowdown);
      cost += a - before;
      return { vmId: id, before, after: a };
    });
    candidates.push({
      gpuId,
      hostId: gpu.hostId,
      predictedSlowdown: round(mine.slowdown),
      affected,
      cost: round(cost),
      model: mine.model,
    });
  }
  candidates.sort((a, b) => a.cost - b.cost || (a.gpuId < b.gpuId ? -1 : a.gpuId > b.gpuId ? 1 : 0));
  return { model: config.model?.name ?? SCHEDULER_MODEL, candidates, infeasible };
}

function profileOn(model: string, profile: string): VgpuProfile | null {
  try {
    return findProfile(model, profile);
  } catch {
    return null;
  }
}
