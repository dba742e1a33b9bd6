import { ValidationError } from '@vgpu-twin/contracts';
import type { PairRow, Profiles } from './csv';

/**
 * Gavel's measured co-location throughputs (Narayanan et al., OSDI 2020; ../shared/data/gavel,
 * MIT) as profiles and pairs. Only single-GPU jobs (scale 1) are co-located in the file; the
 * scale-2/4/8 entries are all `[0, 0]`. Slowdown of A next to B = solo(A) / pair(A with B)[0].
 *
 * Gavel offers no utilisation counters, so the profile columns are what it does give: the model
 * family (one-hot `family_*`), the batch size (0 where the job type names none: A3C, CycleGAN)
 * and the solo throughput (steps/s). The scheduler model reads none of them (it needs `gpu_util`),
 * so a hybrid trained on Gavel has a constant scheduler term and is the forest shifted by it.
 */
export const GAVEL_GPUS = ['k80', 'p100', 'v100'] as const;
export type GavelGpu = (typeof GAVEL_GPUS)[number];

export interface GavelImport {
  readonly profiles: Profiles;
  readonly pairs: PairRow[];
  /** `[0, 0]` entries (the pair did not fit in memory together), left out. */
  readonly infeasible: number;
  /** Pairs whose throughput equals the solo one exactly: kept, but probably filled in, not measured. */
  readonly equalToSolo: number;
  readonly comment: string;
}

const KEY = /^\('(.+)', (\d+)\)$/;

function parseJobType(
  key: string,
  file: string,
): { name: string; family: string; batch: number; scale: number } {
  const m = KEY.exec(key);
  if (!m)
    throw new ValidationError(`${file}: job key '${key}' is not "('<job type>', <scale>)"`, [
      { path: key, message: 'bad key' },
    ]);
  const type = m[1]!;
  const b = /^(.*) \(batch size (\d+)\)$/.exec(type);
  const familyName = b ? b[1]! : type;
  const family = familyName.toLowerCase().replace(/[^a-z0-9]+/g, '');
  const batch = b ? Number(b[2]) : 0;
  return { name: b ? `${family}-bs${batch}` : family, family, batch, scale: Number(m[2]) };
}

export function importGavel(json: string, gpu: GavelGpu, file = 'pair_throughputs.json'): GavelImport {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new ValidationError(`${file}: not JSON (${(e as Error).message})`, [
      { path: file, message: 'not JSON' },
    ]);
  }
  const table = (raw as Record<string, unknown> | null)?.[gpu];
  if (!table || typeof table !== 'object') {
    throw new ValidationError(`${file}: no '${gpu}' section`, [
      { path: `${file}:${gpu}`, message: 'missing' },
    ]);
  }
  const entries = Object.entries(table as Record<string, Record<string, unknown>>)
    .map(([key, v]) => ({ job: parseJobType(key, file), key, v }))
    .filter((e) => e.job.scale === 1);
  const solo = new Map<string, number>();
  for (const e of entries) {
    const s = e.v['null'];
    if (typeof s !== 'number' || !(s > 0)) {
      throw new ValidationError(`${file}: ${gpu} ${e.key} has no positive solo throughput ('null')`, [
        { path: `${file}:${gpu}.${e.key}.null`, message: 'bad solo throughput' },
      ]);
    }
    solo.set(e.key, s);
  }
  const families = [...new Set(entries.map((e) => e.job.family))].sort();
  const columns = ['batch_size', 'solo_throughput', ...families.map((f) => `family_${f}`)];
  const rows = new Map<string, number[]>();
  for (const e of entries) {
    rows.set(e.job.name, [
      e.job.batch,
      solo.get(e.key)!,
      ...families.map((f) => (f === e.job.family ? 1 : 0)),
    ]);
  }
  const names = new Map(entries.map((e) => [e.key, e.job.name]));
  const pairs: PairRow[] = [];
  let infeasible = 0;
  let equalToSolo = 0;
  for (const e of entries) {
    for (const [other, t] of Object.entries(e.v)) {
      if (other === 'null') continue;
      const coRunner = names.get(other);
      if (!coRunner) continue; // a partner outside scale 1
      if (!Array.isArray(t) || typeof t[0] !== 'number' || typeof t[1] !== 'number') {
        throw new ValidationError(`${file}: ${gpu} ${e.key} / ${other} is not [throughput, throughput]`, [
          { path: `${file}:${gpu}.${e.key}.${other}`, message: 'bad pair entry' },
        ]);
      }
      if (!(t[0] > 0)) {
        infeasible++;
        continue;
      }
      const s = solo.get(e.key)!;
      if (t[0] === s) equalToSolo++;
      pairs.push({ workload: e.job.name, coRunner, slowdown: s / t[0], gpu });
    }
  }
  return {
    profiles: { columns, rows },
    pairs,
    infeasible,
    equalToSolo,
    comment:
      `Gavel measured pair throughputs (Narayanan et al., OSDI 2020; github.com/stanford-futuredata/gavel, MIT), ` +
      `gpu ${gpu}, single-GPU jobs; slowdown = solo / pair throughput; ${infeasible} infeasible [0,0] pairs left out; ` +
      `${equalToSolo} pairs equal solo exactly (probably filled in).`,
  };
}
