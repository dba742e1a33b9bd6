/**
 * The table under `nvidia-smi --query-*=… --format=csv[,nounits]`: a header line of field names
 * (`memory.used [MiB]`; the unit is printed with and without `nounits`), then one line per GPU or
 * process, fields separated by `", "`. nvidia-smi never quotes and never breaks a record over two
 * lines, so each line is handed to csv-parse on its own: a broken line is one problem, not the end of
 * the file, and every record knows its line.
 */
import { parse } from 'csv-parse/sync';
import { type Problem } from '../reading';
import { quote, splitLines, type Units } from './values';

export interface CsvColumn {
  /** Field name without its unit: `memory.used`. */
  name: string;
  /** The unit the header names (`MiB` from `memory.used [MiB]`), or null. */
  unit: string | null;
  index: number;
}

export interface CsvTable {
  headerLine: number;
  columns: ReadonlyMap<string, CsvColumn>;
  rows: { line: number; fields: string[] }[];
}

const HEADER_FIELD = /^([A-Za-z_][\w.]*)(?:\s*\[([^\]]*)\])?$/;

/**
 * The header and rows of the table, or null (and a problem) when the first non-blank line is not a
 * header naming at least one of `known`: output made with `noheader` cannot be read, because the
 * columns are then unknown. Rows whose field count differs from the header's are problems, left out.
 */
export function readSmiCsv(text: string, known: readonly string[], problems: Problem[]): CsvTable | null {
  const lines = splitLines(text);
  const first = lines.findIndex((l) => l.trim() !== '');
  const headerLine = first < 0 ? 1 : first + 1;
  const header = first < 0 ? [] : splitRecord(lines[first]!, headerLine, problems);
  if (header === null) return null;
  const columns = new Map<string, CsvColumn>();
  header.forEach((field, index) => {
    const m = HEADER_FIELD.exec(field);
    if (m && !columns.has(m[1]!)) columns.set(m[1]!, { name: m[1]!, unit: m[2]?.trim() || null, index });
  });
  if (!known.some((name) => columns.has(name))) {
    problems.push({
      line: headerLine,
      field: 'header',
      message:
        first < 0
          ? 'empty input: expected a CSV header line'
          : `no header line naming any of ${known.slice(0, 4).join(', ')}, …: run nvidia-smi with --format=csv, not noheader`,
    });
    return null;
  }

  const rows: CsvTable['rows'] = [];
  for (let i = first + 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const line = i + 1;
    const fields = splitRecord(lines[i]!, line, problems);
    if (fields === null) continue;
    // Two captures concatenated (`cat a.csv b.csv`) repeat the header.
    if (fields.length === header.length && fields.every((f, k) => f === header[k])) continue;
    if (fields.length !== header.length) {
      problems.push({
        line,
        field: 'row',
        message: `${fields.length} fields where the header (line ${headerLine}) has ${header.length}`,
      });
      continue;
    }
    rows.push({ line, fields });
  }
  return { headerLine, columns, rows };
}

function splitRecord(text: string, line: number, problems: Problem[]): string[] | null {
  try {
    const records = parse(text, { trim: true, relax_quotes: true, relax_column_count: true });
    return records[0] ?? [];
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    problems.push({ line, field: 'row', message: `not a CSV record (${message}): ${quote(text)}` });
    return null;
  }
}

/** The first of `names` the header has (nvidia-smi accepts aliases: `clocks.sm`, `clocks.current.sm`). */
export function findColumn(table: CsvTable, ...names: string[]): CsvColumn | null {
  for (const name of names) {
    const column = table.columns.get(name);
    if (column) return column;
  }
  return null;
}

/**
 * The units a column's values may carry: a header unit fixes what a bare value (`nounits`) means. A
 * header unit the field does not take is a problem on the header line; the column is then not read.
 */
export function columnUnits(
  table: CsvTable,
  column: CsvColumn,
  base: Units,
  problems: Problem[],
): Units | null {
  if (column.unit === null) return base;
  const factor = base[column.unit];
  if (factor === undefined) {
    problems.push({
      line: table.headerLine,
      field: column.name,
      message: `unexpected unit [${column.unit}]; expected ${Object.keys(base).filter(Boolean).join(' or ')}`,
    });
    return null;
  }
  return { '': factor, [column.unit]: factor };
}
