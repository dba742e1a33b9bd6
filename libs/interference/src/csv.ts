import { NotFoundError, ValidationError } from '@vgpu-twin/contracts';
import { SchedulingPolicy } from '@vgpu-twin/contracts';

/**
 * The two CSV formats of the interference model. Plain comma-separated text with a header row:
 * no quoting, no embedded commas (workload names are identifiers). Blank lines and lines starting
 * with `#` are skipped, so a file can carry a provenance comment ("# synthetic, seed 1").
 *
 * profiles.csv — one row per workload, `workload` plus numeric feature columns:
 *     workload,gpu_util,mem_util,pcie_rx_mbps,pcie_tx_mbps
 *     resnet50-bs32,92.1,41.3,310.5,12.0
 * pairs.csv — slowdown of `workload` next to `co_runner` (run time together ÷ run time alone),
 * optional `gpu` and `policy` columns:
 *     workload,co_runner,slowdown,gpu,policy
 *     resnet50-bs32,bert-bs8,1.42,v100,best_effort
 */

export interface CsvRow {
  /** 1-based line number in the file, for error messages. */
  readonly line: number;
  readonly cells: readonly string[];
}

export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly CsvRow[];
}

/** Splits CSV text into a header and rows; rejects quotes and rows with the wrong cell count. */
export function parseCsv(text: string, file: string): CsvTable {
  const lines = text.split(/\r?\n/);
  let header: string[] | undefined;
  const rows: CsvRow[] = [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const quote = raw.search(/["']/);
    if (quote >= 0) {
      throw new ValidationError(
        `${file} line ${line}: quoted values are not supported (quote at character ${quote + 1})`,
        [{ path: `${file}:${line}`, message: 'quotes are not supported' }],
      );
    }
    const cells = raw.split(',').map((c) => c.trim());
    if (!header) {
      const empty = cells.findIndex((c) => c === '');
      if (empty >= 0) {
        throw new ValidationError(`${file} line ${line}: header column ${empty + 1} is empty`, [
          { path: `${file}:${line}`, message: 'empty column name' },
        ]);
      }
      const dup = cells.find((c, j) => cells.indexOf(c) !== j);
      if (dup) {
        throw new ValidationError(`${file} line ${line}: header repeats column '${dup}'`, [
          { path: `${file}:${line}`, message: `duplicate column ${dup}` },
        ]);
      }
      header = cells;
      return;
    }
    if (cells.length !== header.length) {
      throw new ValidationError(
        `${file} line ${line}: ${cells.length} values for ${header.length} columns (${header.join(',')})`,
        [{ path: `${file}:${line}`, message: 'wrong number of values' }],
      );
    }
    rows.push({ line, cells });
  });
  if (!header) throw new ValidationError(`${file}: no header row`, [{ path: file, message: 'empty file' }]);
  return { header, rows };
}

function requireColumns(table: CsvTable, file: string, required: readonly string[]): void {
  const missing = required.filter((c) => !table.header.includes(c));
  if (missing.length > 0) {
    throw new ValidationError(
      `${file}: missing column(s) ${missing.join(', ')}; header is ${table.header.join(',')}`,
      missing.map((c) => ({ path: `${file}:${c}`, message: 'missing column' })),
    );
  }
}

function parseNumber(raw: string, file: string, line: number, column: string): number {
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v)) {
    throw new ValidationError(`${file} line ${line} column ${column}: '${raw}' is not a finite number`, [
      { path: `${file}:${line}:${column}`, message: 'not a finite number' },
    ]);
  }
  return v;
}

/** Solo profiles: numeric feature columns per workload. */
export interface Profiles {
  /** Feature column names, in file order (without `workload`). */
  readonly columns: readonly string[];
  /** Workload → values in `columns` order. Insertion order = file order. */
  readonly rows: ReadonlyMap<string, readonly number[]>;
}

export function parseProfiles(text: string, file = 'profiles.csv'): Profiles {
  const table = parseCsv(text, file);
  requireColumns(table, file, ['workload']);
  const wi = table.header.indexOf('workload');
  const columns = table.header.filter((_, i) => i !== wi);
  const rows = new Map<string, number[]>();
  for (const r of table.rows) {
    const name = r.cells[wi]!;
    if (name === '') {
      throw new ValidationError(`${file} line ${r.line} column workload: empty workload name`, [
        { path: `${file}:${r.line}:workload`, message: 'empty' },
      ]);
    }
    if (rows.has(name)) {
      throw new ValidationError(`${file} line ${r.line}: workload '${name}' appears twice`, [
        { path: `${file}:${r.line}:workload`, message: 'duplicate workload' },
      ]);
    }
    rows.set(
      name,
      table.header.flatMap((col, i) => (i === wi ? [] : [parseNumber(r.cells[i]!, file, r.line, col)])),
    );
  }
  if (rows.size === 0)
    throw new ValidationError(`${file}: no workloads`, [{ path: file, message: 'no rows' }]);
  return { columns, rows };
}

export interface PairRow {
  readonly workload: string;
  readonly coRunner: string;
  /** Run time next to `coRunner` ÷ run time alone (≥ 0; < 1 only through measurement noise). */
  readonly slowdown: number;
  readonly gpu?: string;
  readonly policy?: SchedulingPolicy;
}

/** Pairs, checked against the profiles when given: every workload must have a profile. */
export function parsePairs(
  text: string,
  file = 'pairs.csv',
  profiles?: Profiles,
  profilesFile = 'profiles',
): PairRow[] {
  const table = parseCsv(text, file);
  requireColumns(table, file, ['workload', 'co_runner', 'slowdown']);
  const col = (name: string) => table.header.indexOf(name);
  const [wi, ci, si, gi, pi] = [
    col('workload'),
    col('co_runner'),
    col('slowdown'),
    col('gpu'),
    col('policy'),
  ];
  const pairs = table.rows.map((r): PairRow => {
    const slowdown = parseNumber(r.cells[si]!, file, r.line, 'slowdown');
    if (!(slowdown > 0)) {
      throw new ValidationError(`${file} line ${r.line} column slowdown: '${r.cells[si]}' must be > 0`, [
        { path: `${file}:${r.line}:slowdown`, message: 'must be > 0' },
      ]);
    }
    const workload = r.cells[wi]!;
    const coRunner = r.cells[ci]!;
    if (profiles) {
      for (const [name, column] of [
        [workload, 'workload'],
        [coRunner, 'co_runner'],
      ] as const) {
        if (!profiles.rows.has(name)) {
          throw new NotFoundError(
            `${file} line ${r.line} column ${column}: unknown workload '${name}' (not in ${profilesFile})`,
          );
        }
      }
    }
    const row: { -readonly [K in keyof PairRow]: PairRow[K] } = { workload, coRunner, slowdown };
    if (gi >= 0 && r.cells[gi] !== '') row.gpu = r.cells[gi];
    if (pi >= 0 && r.cells[pi] !== '') {
      const p = SchedulingPolicy.safeParse(r.cells[pi]);
      if (!p.success) {
        throw new ValidationError(
          `${file} line ${r.line} column policy: '${r.cells[pi]}' is not one of ${SchedulingPolicy.options.join(', ')}`,
          [{ path: `${file}:${r.line}:policy`, message: 'unknown policy' }],
        );
      }
      row.policy = p.data;
    }
    return row;
  });
  if (pairs.length === 0)
    throw new ValidationError(`${file}: no pairs`, [{ path: file, message: 'no rows' }]);
  return pairs;
}

/** Numbers as the shortest text that reads back to the same double (JSON's rule). */
const num = (v: number): string => JSON.stringify(v);

export function profilesToCsv(p: Profiles, comment?: string): string {
  const lines = comment ? comment.split('\n').map((l) => `# ${l}`) : [];
  lines.push(['workload', ...p.columns].join(','));
  for (const [name, values] of p.rows) lines.push([name, ...values.map(num)].join(','));
  return lines.join('\n') + '\n';
}

export function pairsToCsv(pairs: readonly PairRow[], comment?: string): string {
  const lines = comment ? comment.split('\n').map((l) => `# ${l}`) : [];
  const gpu = pairs.some((p) => p.gpu !== undefined);
  const policy = pairs.some((p) => p.policy !== undefined);
  lines.push(
    ['workload', 'co_runner', 'slowdown', ...(gpu ? ['gpu'] : []), ...(policy ? ['policy'] : [])].join(','),
  );
  for (const p of pairs) {
    lines.push(
      [
        p.workload,
        p.coRunner,
        num(p.slowdown),
        ...(gpu ? [p.gpu ?? ''] : []),
        ...(policy ? [p.policy ?? ''] : []),
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

/** The policy all pairs were measured under (best effort when the column is absent); mixed → error. */
export function pairsPolicy(pairs: readonly PairRow[], file = 'pairs'): SchedulingPolicy {
  const set = new Set(pairs.map((p) => p.policy ?? 'best_effort'));
  if (set.size > 1) {
    throw new ValidationError(
      `${file}: pairs mix policies (${[...set].join(', ')}); train one model per policy`,
      [{ path: `${file}:policy`, message: 'mixed policies' }],
    );
  }
  return [...set][0] ?? 'best_effort';
}
