/**
 * `nvidia-smi --query-gpu=… --format=csv[,nounits]`: one reading (kind `gpu`) per row.
 *
 * Fields read, by their query names (aliases in parentheses): `uuid` (`gpu_uuid`), `index`,
 * `pci.bus_id` (`gpu_bus_id`), `name` (`gpu_name`), `utilization.gpu`, `utilization.memory`,
 * `memory.used`/`.free`/`.total`, `clocks.sm` (`clocks.current.sm`), `power.draw` (else
 * `power.draw.average`, else `power.draw.instant`), `temperature.gpu`, `timestamp`, `hostname`,
 * `driver_version` and the `clocks_event_reasons.*` (formerly `clocks_throttle_reasons.*`) states.
 * Every other column is ignored. `--query-gpu` has no PCIe throughput field, so `pcieRxMBps` and
 * `pcieTxMBps` stay null.
 *
 * `[N/A]`, `[Requested functionality has been deprecated]` and the other bracketed notes are null;
 * a value that is neither a note nor a number in the column's unit is a problem naming the line and
 * the field. `timestamp` is the host's local time read as UTC (see `readSmiTime`).
 */
import { emptyReading, type ParseOutcome, type Problem, type ReadingMetrics } from '../reading';
import { columnUnits, findColumn, readSmiCsv, type CsvColumn, type CsvTable } from './csv';
import {
  CELSIUS,
  labelClockReasons,
  MHZ,
  MIB,
  PERCENT,
  readBusId,
  readCount,
  readNumber,
  readText,
  readTimestamp,
  WATTS,
  type Units,
} from './values';

const METRIC_COLUMNS: readonly { metric: keyof ReadingMetrics; names: string[]; units: Units }[] = [
  { metric: 'gpuUtilPct', names: ['utilization.gpu'], units: PERCENT },
  { metric: 'memUtilPct', names: ['utilization.memory'], units: PERCENT },
  { metric: 'fbUsedMib', names: ['memory.used'], units: MIB },
  { metric: 'fbFreeMib', names: ['memory.free'], units: MIB },
  { metric: 'fbTotalMib', names: ['memory.total'], units: MIB },
  { metric: 'smClockMhz', names: ['clocks.sm', 'clocks.current.sm'], units: MHZ },
  { metric: 'tempC', names: ['temperature.gpu'], units: CELSIUS },
];
/**
 * On Ampere and newer, `power.draw` is the average over one second (`nvidia-smi --help-query-gpu`);
 * both captures print it equal to `power.draw.average`.
 */
const POWER_COLUMNS = ['power.draw', 'power.draw.average', 'power.draw.instant'];
const IDENTITY_COLUMNS = ['uuid', 'gpu_uuid', 'index', 'pci.bus_id', 'gpu_bus_id', 'name', 'gpu_name'];
const REASON_PREFIXES = ['clocks_event_reasons.', 'clocks_throttle_reasons.'];
/** Bit masks, not states. */
const REASON_MASKS = new Set(['supported', 'active']);

export function parseQueryGpuCsv(text: string, options: { host?: string } = {}): ParseOutcome {
  const problems: Problem[] = [];
  const known = [...IDENTITY_COLUMNS, ...METRIC_COLUMNS.flatMap((c) => c.names), ...POWER_COLUMNS];
  const table = readSmiCsv(text, known, problems);
  if (!table) return { readings: [], problems, refused: true };

  const col = (...names: string[]) => findColumn(table, ...names);
  const metricColumns = METRIC_COLUMNS.flatMap(({ metric, names, units }) => {
    const column = col(...names);
    const accepted = column && columnUnits(table, column, units, problems);
    return column && accepted ? [{ metric, column, units: accepted }] : [];
  });
  const powerColumns = POWER_COLUMNS.flatMap((name) => {
    const column = col(name);
    const accepted = column && columnUnits(table, column, WATTS, problems);
    return column && accepted ? [{ column, units: accepted }] : [];
  });
  const reasonColumns = clockReasonColumns(table);
  const uuid = col('uuid', 'gpu_uuid');
  const index = col('index');
  const bus = col('pci.bus_id', 'gpu_bus_id');
  const name = col('name', 'gpu_name');
  const timestamp = col('timestamp');
  const hostname = col('hostname');
  const driver = col('driver_version');

  const readings = table.rows.map(({ line, fields }) => {
    const cell = (c: CsvColumn | null) => (c ? (fields[c.index] ?? '') : '');
    const reading = emptyReading('gpu', line);
    reading.gpuUuid = readText(cell(uuid));
    reading.gpuIndex = index && readCount(cell(index), { line, field: index.name }, problems);
    reading.busId = bus && readBusId(cell(bus), { line, field: bus.name }, problems);
    reading.model = readText(cell(name));
    reading.host = options.host ?? readText(cell(hostname));
    reading.timestampMs =
      timestamp && readTimestamp(cell(timestamp), { line, field: timestamp.name }, problems);
    for (const { metric, column, units } of metricColumns) {
      reading.metrics[metric] = readNumber(cell(column), units, { line, field: column.name }, problems);
    }
    // Read every power column, so that a broken one is reported even when an earlier one has a value.
    const power = powerColumns.map((p) =>
      readNumber(cell(p.column), p.units, { line, field: p.column.name }, problems),
    );
    reading.metrics.powerW = power.find((w) => w !== null) ?? null;
    const driverVersion = readText(cell(driver));
    if (driverVersion) reading.labels['driverVersion'] = driverVersion;
    labelClockReasons(
      reading.labels,
      reasonColumns.map((r) => ({ name: r.name, state: cell(r.column) })),
    );
    return reading;
  });
  return { readings, problems };
}

function clockReasonColumns(table: CsvTable): { name: string; column: CsvColumn }[] {
  return [...table.columns.values()].flatMap((column) => {
    const prefix = REASON_PREFIXES.find((p) => column.name.startsWith(p));
    const name = prefix && column.name.slice(prefix.length);
    return name && !REASON_MASKS.has(name) ? [{ name, column }] : [];
  });
}
