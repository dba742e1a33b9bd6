/**
 * `nvidia-smi dmon`: one reading (kind `gpu`) per data row.
 *
 * A header block is a `#` line of column names (`# gpu pwr gtemp mtemp sm mem …`) and usually a `#`
 * line of units (`# Idx W C C % % …`); dmon repeats it every screenful, and a later block may name
 * other columns. `-` marks a value the GPU does not report (null). Columns read: `gpu` → gpuIndex,
 * `sm` → gpuUtilPct, `mem` → memUtilPct, `pwr` → powerW, `gtemp` → tempC, `pclk` → smClockMhz,
 * `rxpci`/`txpci` → pcieRx/TxMBps (dmon prints MB/s), `fb` → fbUsedMib (labelled MB, counted in
 * MiB like the rest of nvidia-smi); with `-o DT`, `Date` and `Time` give `timestampMs`, read as UTC
 * (see `readSmiTime`). A row whose field count differs from its header's is a problem and left out.
 */
import { emptyReading, type ParseOutcome, type Problem, type ReadingMetrics } from '../reading';
import {
  CELSIUS,
  MHZ,
  MIB,
  PERCENT,
  quote,
  readCount,
  readNumber,
  readSmiTime,
  splitLines,
  WATTS,
  type Units,
} from './values';

const METRICS: Readonly<Record<string, { metric: keyof ReadingMetrics; units: Units }>> = {
  sm: { metric: 'gpuUtilPct', units: PERCENT },
  mem: { metric: 'memUtilPct', units: PERCENT },
  pwr: { metric: 'powerW', units: WATTS },
  gtemp: { metric: 'tempC', units: CELSIUS },
  pclk: { metric: 'smClockMhz', units: MHZ },
  rxpci: { metric: 'pcieRxMBps', units: { '': 1 } },
  txpci: { metric: 'pcieTxMBps', units: { '': 1 } },
  fb: { metric: 'fbUsedMib', units: MIB },
};

export function parseDmon(text: string, options: { host?: string } = {}): ParseOutcome {
  const problems: Problem[] = [];
  const readings: ParseOutcome['readings'] = [];
  let columns: { names: string[]; line: number } | null = null;
  let previousWasHeader = false;

  splitLines(text).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    if (trimmed.startsWith('#')) {
      const tokens = trimmed.slice(1).trim().split(/\s+/).filter(Boolean);
      // The first `#` line of a block names the columns; the one right after it gives their units.
      if (!previousWasHeader && tokens.length > 0)
        columns = { names: tokens.map((t) => t.toLowerCase()), line };
      previousWasHeader = true;
      return;
    }
    previousWasHeader = false;
    if (!columns) {
      problems.push({ line, field: 'header', message: 'data row before any `# gpu …` header line' });
      return;
    }
    const { names } = columns;
    const fields = trimmed.split(/\s+/);
    if (fields.length !== names.length) {
      problems.push({
        line,
        field: 'row',
        message: `${fields.length} fields where the header (line ${columns.line}) has ${names.length}`,
      });
      return;
    }
    const reading = emptyReading('gpu', line);
    reading.host = options.host ?? null;
    const cell = (name: string) => fields[names.indexOf(name)];
    names.forEach((name, k) => {
      const spec = METRICS[name];
      if (spec)
        reading.metrics[spec.metric] = readNumber(fields[k]!, spec.units, { line, field: name }, problems);
    });
    const gpu = cell('gpu');
    if (gpu !== undefined) reading.gpuIndex = readCount(gpu, { line, field: 'gpu' }, problems);
    const date = cell('date');
    const time = cell('time');
    if (date !== undefined && time !== undefined)
      reading.timestampMs = readDmonTime(date, time, line, problems);
    readings.push(reading);
  });
  return { readings, problems };
}

/** `-o DT` prints `20260714 08:12:53`. */
function readDmonTime(date: string, time: string, line: number, problems: Problem[]): number | null {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(date);
  const ms = d ? readSmiTime(`${d[1]}/${d[2]}/${d[3]} ${time}`) : null;
  if (ms === null)
    problems.push({ line, field: 'date', message: `not a dmon date and time: ${quote(`${date} ${time}`)}` });
  return ms;
}
