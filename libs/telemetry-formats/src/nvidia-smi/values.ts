/**
 * Reading nvidia-smi's values: numbers with or without their unit, the notes it prints instead of a
 * value, its two timestamp formats, and 1-based line numbers. Shared by every parser in this folder.
 */
import { isNoValue, normaliseBusId, type Problem } from '../reading';

/**
 * The notes nvidia-smi prints in place of a value. The CSV output brackets them (`[N/A]`, caught by
 * `isNoValue`); `-q` and `-q -x` print the same notes bare.
 */
const BARE_NOTES =
  /^(requested functionality has been deprecated|not supported|unknown error|insufficient permissions|gpu requires reset|gpu is lost|function not found|not found|not available)$/i;

export function isSmiNoValue(text: string): boolean {
  return isNoValue(text) || BARE_NOTES.test(text.trim());
}

/** Unit suffix → factor into the twin's unit; the `''` entry is for a bare number. */
export type Units = Readonly<Record<string, number>>;

export const PERCENT: Units = { '': 1, '%': 1 };
export const MIB: Units = { '': 1, MiB: 1 };
export const WATTS: Units = { '': 1, W: 1 };
export const MHZ: Units = { '': 1, MHz: 1 };
export const CELSIUS: Units = { '': 1, C: 1 };
/**
 * NVML reports PCIe throughput in KB/s; we read KB as 10^3 bytes, so MB/s = KB/s ÷ 1000. nvidia-smi
 * prints only `KB/s`; the other suffixes are accepted so that a bigger unit is never misread.
 */
export const KBPS_AS_MBPS: Units = { '': 1e-3, 'KB/s': 1e-3, 'MB/s': 1, 'GB/s': 1e3 };

const NUMBER = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S*)$/;

/**
 * `631.95 W`, `631.95` → 631.95; a no-value note → null; anything else → null and a problem naming
 * the line and field. The result is always finite or null.
 */
export function readNumber(
  raw: string,
  units: Units,
  at: { line: number; field: string },
  problems: Problem[],
): number | null {
  const text = raw.trim();
  if (isSmiNoValue(text)) return null;
  const m = NUMBER.exec(text);
  const factor = m ? units[m[2] ?? ''] : undefined;
  if (!m || factor === undefined) {
    const expected = Object.keys(units).filter(Boolean).join(' or ');
    problems.push({ ...at, message: `not a number${expected ? ` in ${expected}` : ''}: ${quote(text)}` });
    return null;
  }
  const value = Number(m[1]) * factor;
  if (!Number.isFinite(value)) {
    problems.push({ ...at, message: `number out of range: ${quote(text)}` });
    return null;
  }
  return value;
}

/** A non-negative integer (GPU index, PID); null for a no-value note; otherwise a problem. */
export function readCount(
  raw: string,
  at: { line: number; field: string },
  problems: Problem[],
): number | null {
  const text = raw.trim();
  if (isSmiNoValue(text)) return null;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    problems.push({ ...at, message: `not a non-negative integer: ${quote(text)}` });
    return null;
  }
  return value;
}

/** `0000:82:00.0` → `00000000:82:00.0`; null for a no-value note; otherwise a problem. */
export function readBusId(
  raw: string,
  at: { line: number; field: string },
  problems: Problem[],
): string | null {
  const text = readText(raw);
  if (text === null) return null;
  const busId = normaliseBusId(text);
  if (busId === null) problems.push({ ...at, message: `not a PCI bus id: ${quote(text)}` });
  return busId;
}

/** An nvidia-smi timestamp (see `readSmiTime`); null for a no-value note; otherwise a problem. */
export function readTimestamp(
  raw: string,
  at: { line: number; field: string },
  problems: Problem[],
): number | null {
  const text = readText(raw);
  if (text === null) return null;
  const ms = readSmiTime(text);
  if (ms === null) problems.push({ ...at, message: `not an nvidia-smi time: ${quote(text)}` });
  return ms;
}

/** Text, or null when it is a no-value note. */
export function readText(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const text = raw.trim();
  return isSmiNoValue(text) ? null : text;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * nvidia-smi prints the host's local time with no zone: `2026/07/03 08:33:53.415` (CSV) and
 * `Tue Jul 14 08:12:53 2026` (`-q`, `-q -x`). Both are read as UTC, so a host must run in UTC for
 * the result to be the true instant; a caller that knows better passes its own timestamps.
 * Returns ms since the epoch, or null when the text is not such a time.
 */
export function readSmiTime(raw: string): number | null {
  const text = raw.trim();
  const csv = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(text);
  if (csv) {
    const [, y, mo, d, h, mi, s, ms = '0'] = csv;
    return utc(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, +ms.padEnd(3, '0'));
  }
  const ctime = /^(?:[A-Za-z]{3}\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/.exec(
    text,
  );
  if (ctime) {
    const [, mon, d, h, mi, s, y] = ctime;
    const month = MONTHS.indexOf(mon!.toLowerCase());
    return month < 0 ? null : utc(+y!, month, +d!, +h!, +mi!, +s!, 0);
  }
  return null;
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | null {
  const t = Date.UTC(y, mo, d, h, mi, s, ms);
  const back = new Date(t);
  // Date.UTC rolls 31 June over to 1 July; a date that does not round-trip is not a date.
  const same =
    back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    back.getUTCSeconds() === s;
  return same ? t : null;
}

/** The input's lines without their line ends or a leading byte-order mark; `lines[i]` is line i + 1. */
export function splitLines(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Maps a character offset to its 1-based line. */
export function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** For messages: the text, shortened, in quotes. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/**
 * Clock event reasons (`Clocks Event Reasons`, formerly `Clocks Throttle Reasons`) by the snake_case
 * names nvidia-smi's CSV and XML use; `-q` prints two of them under other names.
 */
const CLOCK_REASON_ALIASES: Readonly<Record<string, string>> = {
  idle: 'gpu_idle',
  display_clock_setting: 'display_clocks_setting',
};

export function clockReasonName(label: string): string {
  const snake = label
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
  return CLOCK_REASON_ALIASES[snake] ?? snake;
}

/**
 * Sets `labels.clocksEventReasons` to the reasons reported `Active`, comma-joined in source order
 * (`sw_power_cap,hw_slowdown`), '' when none is; leaves it unset when no reason has a state at all.
 */
export function labelClockReasons(
  labels: Record<string, string>,
  reasons: { name: string; state: string }[],
): void {
  if (reasons.every((r) => isSmiNoValue(r.state))) return;
  labels['clocksEventReasons'] = reasons
    .filter((r) => r.state.trim().toLowerCase() === 'active')
    .map((r) => r.name)
    .join(',');
}
