import { NotFoundError, ValidationError, type FieldIssue } from '@vgpu-twin/contracts';

/**
 * vGPU catalog: physical GPU models, their time-sliced vGPU types ("profiles"), and placement
 * validation. "Q" = graphics + CUDA (vWS), "C" = compute only (vCS / AI Enterprise).
 *
 * Sources (NVIDIA documentation, as copied in the search tool's corpora):
 * - [UG10]  "Virtual GPU Software User Guide" (vGPU 10.0), section "Virtual GPU Types for Supported
 *           GPUs": https://docs.nvidia.com/vgpu/10.0/grid-vgpu-user-guide/index.html
 * - [AIE-V] "Volta Architecture vGPU Types", Table "NVIDIA vGPU for Compute" (V100L-16C 16 GB ×1,
 *           V100L-8C 8 GB ×2, V100L-4C 4 GB ×4):
 *           https://docs.nvidia.com/ai-enterprise/release-8/latest/infra-software/vgpu/reference/volta.html
 * - [AIE-T] "Turing Architecture vGPU Types", Table 127 (T4-16C 16 GB ×1, T4-8C 8 GB ×2, T4-4C 4 GB ×4):
 *           https://docs.nvidia.com/ai-enterprise/release-8/latest/infra-software/vgpu/reference/turing.html
 * - [AIE-I] "NVIDIA vGPU Types Reference" (index of the Ampere, Ada Lovelace and Hopper pages):
 *           https://docs.nvidia.com/ai-enterprise/release-7/7.5/infra-software/vgpu/reference/index.html
 * - [DESIGN] /work/shared/DESIGN.md, which quotes the V100-16GB and T4 Q series from the study.
 *
 * Honesty note: only the rows marked [AIE-V], [AIE-T] and [DESIGN] were read verbatim. For the
 * other rows the search corpora held the page (its title and address) but not the table's rows;
 * those numbers follow NVIDIA's published pattern (framebuffer = GPU framebuffer / max vGPUs, at
 * most 32 vGPUs per GPU for Q types, the smallest C type is 4 GB) and are marked "unverified".
 * Verify them against the vGPU release you deploy before trusting capacity checks on them.
 */

export type ProfileSeries = 'Q' | 'C';

export interface VgpuProfile {
  /** Full NVIDIA type name, e.g. `V100-8Q`, `A100-10C`. */
  readonly name: string;
  /** The size and series alone, e.g. `8Q`; what the CLI and `vm.placed` events usually carry. */
  readonly shortName: string;
  readonly series: ProfileSeries;
  readonly framebufferMib: number;
  /** The most vGPUs of this type one physical GPU hosts. */
  readonly maxPerGpu: number;
}

export interface GpuModel {
  /** Catalog id, e.g. `V100-16GB`. */
  readonly id: string;
  readonly framebufferMib: number;
  readonly profiles: readonly VgpuProfile[];
  /** Where the profile table comes from (see the source keys above). */
  readonly source: string;
}

const GIB = 1024;

function series(
  prefix: string,
  s: ProfileSeries,
  rows: readonly (readonly [gb: number, max: number])[],
): VgpuProfile[] {
  return rows.map(([gb, max]) => ({
    name: `${prefix}-${gb}${s}`,
    shortName: `${gb}${s}`,
    series: s,
    framebufferMib: gb * GIB,
    maxPerGpu: max,
  }));
}

function gpu(id: string, gb: number, profiles: VgpuProfile[], source: string): GpuModel {
  return { id, framebufferMib: gb * GIB, profiles, source };
}

/** Q series of 16 GB boards: 16Q ×1, 8Q ×2, 4Q ×4, 2Q ×8, 1Q ×16 ([DESIGN] for V100-16GB and T4). */
const Q16 = [
  [16, 1],
  [8, 2],
  [4, 4],
  [2, 8],
  [1, 16],
] as const;
/** C series of 16 GB boards: 16C ×1, 8C ×2, 4C ×4 ([AIE-V], [AIE-T]). */
const C16 = [
  [16, 1],
  [8, 2],
  [4, 4],
] as const;
/** 24 GB boards (A10, L4): 24, 12, 8, 6, 4, 3, 2, 1 GB → 1, 2, 3, 4, 6, 8, 12, 24 per GPU (unverified). */
const Q24 = [
  [24, 1],
  [12, 2],
  [8, 3],
  [6, 4],
  [4, 6],
  [3, 8],
  [2, 12],
  [1, 24],
] as const;
const C24 = [
  [24, 1],
  [12, 2],
  [8, 3],
  [6, 4],
  [4, 6],
] as const;
/** 80 GB compute boards (A100-80GB, H100-80GB): 80, 40, 20, 16, 10, 8, 4 GB (unverified). */
const C80 = [
  [80, 1],
  [40, 2],
  [20, 4],
  [16, 5],
  [10, 8],
  [8, 10],
  [4, 20],
] as const;

export const GPU_CATALOG: readonly GpuModel[] = [
  // P100 PCIe 16 GB: the GPU of the time-slice measurements in DESIGN.md. [UG10], unverified rows.
  gpu(
    'P100-16GB',
    16,
    [...series('P100', 'Q', Q16), ...series('P100', 'C', C16)],
    '[UG10] (rows unverified)',
  ),
  gpu('V100-16GB', 16, [...series('V100', 'Q', Q16), ...series('V100', 'C', C16)], '[DESIGN] Q, [AIE-V] C'),
  // V100 32 GB (PCIe "V100D"): [UG10], unverified rows.
  gpu(
    'V100-32GB',
    32,
    [
      ...series('V100D', 'Q', [
        [32, 1],
        [16, 2],
        [8, 4],
        [4, 8],
        [2, 16],
        [1, 32],
      ]),
      ...series('V100D', 'C', [
        [32, 1],
        [16, 2],
        [8, 4],
        [4, 8],
      ]),
    ],
    '[UG10] (rows unverified)',
  ),
  gpu('T4', 16, [...series('T4', 'Q', Q16), ...series('T4', 'C', C16)], '[DESIGN] Q, [AIE-T] C'),
  gpu(
    'A10',
    24,
    [...series('A10', 'Q', Q24), ...series('A10', 'C', C24)],
    '[AIE-I] Ampere (rows unverified)',
  ),
  // A100 has no Q (graphics) types: it is sold for compute only. [AIE-I] Ampere, unverified rows.
  gpu(
    'A100-40GB',
    40,
    series('A100', 'C', [
      [40, 1],
      [20, 2],
      [10, 4],
      [8, 5],
      [5, 8],
      [4, 10],
    ]),
    '[AIE-I] Ampere (rows unverified)',
  ),
  gpu('A100-80GB', 80, series('A100D', 'C', C80), '[AIE-I] Ampere (rows unverified)'),
  gpu(
    'L4',
    24,
    [...series('L4', 'Q', Q24), ...series('L4', 'C', C24)],
    '[AIE-I] Ada Lovelace (rows unverified)',
  ),
  gpu(
    'L40S',
    48,
    [
      ...series('L40S', 'Q', [
        [48, 1],
        [24, 2],
        [16, 3],
        [12, 4],
        [8, 6],
        [6, 8],
        [4, 12],
        [3, 16],
        [2, 24],
        [1, 32],
      ]),
      ...series('L40S', 'C', [
        [48, 1],
        [24, 2],
        [16, 3],
        [12, 4],
        [8, 6],
        [6, 8],
        [4, 12],
      ]),
    ],
    '[AIE-I] Ada Lovelace (rows unverified)',
  ),
  // H100 has no Q types (compute only). [AIE-I] Hopper, unverified rows.
  gpu('H100-80GB', 80, series('H100', 'C', C80), '[AIE-I] Hopper (rows unverified)'),
];

const byId = new Map(GPU_CATALOG.map((g) => [g.id.toUpperCase(), g]));

export function findGpu(model: string): GpuModel {
  const g = byId.get(model.trim().toUpperCase());
  if (!g)
    throw new NotFoundError(
      `unknown GPU model '${model}'; known: ${GPU_CATALOG.map((x) => x.id).join(', ')}`,
    );
  return g;
}

/** Accepts the short (`8Q`) or the full (`V100-8Q`, `T4-8Q`) type name, case-insensitively. */
export function findProfile(model: GpuModel | string, profile: string): VgpuProfile {
  const g = typeof model === 'string' ? findGpu(model) : model;
  const wanted = profile.trim().toUpperCase();
  const p = g.profiles.find((x) => x.shortName === wanted || x.name.toUpperCase() === wanted);
  if (!p) {
    throw new NotFoundError(
      `GPU ${g.id} has no vGPU type '${profile}'; it offers ${g.profiles.map((x) => x.shortName).join(', ')}`,
    );
  }
  return p;
}

export interface GpuPlacement {
  readonly model: string;
  /** vGPU types placed on this GPU, short or full names. */
  readonly profiles: readonly string[];
}

export interface HostPlacement {
  /** The vGPU releases studied need one profile size on every GPU of a host (DESIGN.md). */
  readonly homogeneousProfiles: boolean;
  readonly gpus: readonly GpuPlacement[];
}

/**
 * Every reason a placement is not allowed, empty when it is: unknown types, more vGPUs than the
 * type allows per GPU, framebuffer over-commit, mixed types on one GPU (time-sliced vGPU does not
 * mix sizes on a GPU: "This GPU does not support mixed-size mode", [AIE-V], [AIE-T]) and, when the
 * host flag is set, different sizes on different GPUs of the host.
 */
export function placementIssues(host: HostPlacement): FieldIssue[] {
  const issues: FieldIssue[] = [];
  let hostSize: { mib: number; path: string } | undefined;
  host.gpus.forEach((placement, gi) => {
    const base = `gpus[${gi}]`;
    let g: GpuModel;
    try {
      g = findGpu(placement.model);
    } catch (e) {
      issues.push({ path: `${base}.model`, message: (e as Error).message });
      return;
    }
    const resolved: VgpuProfile[] = [];
    placement.profiles.forEach((name, pi) => {
      try {
        resolved.push(findProfile(g, name));
      } catch (e) {
        issues.push({ path: `${base}.profiles[${pi}]`, message: (e as Error).message });
      }
    });
    if (resolved.length === 0) return;
    const first = resolved[0]!;
    const mixed = resolved.findIndex((p) => p.name !== first.name);
    if (mixed >= 0) {
      issues.push({
        path: `${base}.profiles[${mixed}]`,
        message: `${resolved[mixed]!.name} cannot share GPU ${g.id} with ${first.name}: one vGPU type per GPU`,
      });
    }
    const max = Math.min(...resolved.map((p) => p.maxPerGpu));
    if (resolved.length > max) {
      issues.push({
        path: `${base}.profiles`,
        message: `${resolved.length} vGPUs exceed the ${max} that ${first.name} allows per GPU`,
      });
    }
    const fb = resolved.reduce((s, p) => s + p.framebufferMib, 0);
    if (fb > g.framebufferMib) {
      issues.push({
        path: `${base}.profiles`,
        message: `${fb} MiB of vGPU framebuffer exceed the GPU's ${g.framebufferMib} MiB`,
      });
    }
    if (host.homogeneousProfiles) {
      if (!hostSize) hostSize = { mib: first.framebufferMib, path: base };
      else if (first.framebufferMib !== hostSize.mib) {
        issues.push({
          path: `${base}.profiles`,
          message: `host requires one profile size on every GPU: ${first.framebufferMib} MiB here, ${hostSize.mib} MiB on ${hostSize.path}`,
        });
      }
    }
  });
  return issues;
}

/** Throws a `ValidationError` listing every issue of `placementIssues`. */
export function validatePlacement(host: HostPlacement): void {
  const issues = placementIssues(host);
  if (issues.length > 0) {
    throw new ValidationError(
      `invalid vGPU placement: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
}

/**
 * The catalog model of a product name as nvidia-smi, DCGM or a vGPU type print it — `Tesla
 * V100-PCIE-16GB`, `NVIDIA H100 80GB HBM3`, `NVIDIA L40S`, `GRID V100D-8C` — or null when the
 * catalog has none (the caller warns, naming it). The family must appear as a word; where the
 * catalog has sizes of one family, the size in the name (`32GB`, or `V100D`, the 32 GB PCIe V100)
 * or else the framebuffer the source reports picks one.
 */
export function findGpuByProductName(name: string, framebufferMib?: number): GpuModel | null {
  const text = name.toUpperCase().replace(/^(NVIDIA|TESLA|GRID|QUADRO)\s+/g, '');
  const family = (id: string) => id.split('-')[0]!;
  const candidates = GPU_CATALOG.filter((g) =>
    new RegExp(`(^|[^A-Z0-9])${family(g.id)}D?([^A-Z0-9]|$)`).test(text),
  );
  if (candidates.length <= 1) return candidates[0] ?? null;
  const gb = /(\d+)\s*GB/.exec(text)?.[1];
  if (gb) return candidates.find((g) => g.framebufferMib === Number(gb) * GIB) ?? null;
  if (/V100D/.test(text)) return candidates.find((g) => g.id === 'V100-32GB') ?? null;
  if (framebufferMib !== undefined) {
    // a board reports a little less than its nominal size (ECC, the driver's reservation)
    const nearest = [...candidates].sort(
      (a, b) => Math.abs(a.framebufferMib - framebufferMib) - Math.abs(b.framebufferMib - framebufferMib),
    )[0]!;
    return Math.abs(nearest.framebufferMib - framebufferMib) <= 0.1 * nearest.framebufferMib ? nearest : null;
  }
  return null;
}
