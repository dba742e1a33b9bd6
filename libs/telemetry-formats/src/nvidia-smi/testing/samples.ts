/**
 * The real captures in the workspace's shared/data/telemetry (never copied into this repository),
 * the hand-written fixtures beside the parsers, and the checks every parser's output must pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_NAMES, type ParseOutcome } from '../../reading';

export const SAMPLES_DIR = join(__dirname, '../../../../../../shared/data/telemetry');
const FIXTURES_DIR = join(__dirname, '../fixtures');

export function readSample(name: string): string {
  const path = join(SAMPLES_DIR, name);
  if (!existsSync(path))
    throw new Error(`sample ${name} not found in ${SAMPLES_DIR} (the shared data folder)`);
  return readFileSync(path, 'utf8');
}

export function readFixture(name: string): string {
  return readFileSync(join(FIXTURES_DIR, name), 'utf8');
}

/**
 * The invariants of any outcome: every problem names an integer line within the input (one past
 * the last line for "ended too early") and a field; every number in a reading is finite or null.
 * Returns what is wrong, empty when nothing is.
 */
export function invariantViolations(text: string, outcome: ParseOutcome): string[] {
  const lines = text.split('\n').length;
  const wrong: string[] = [];
  for (const p of outcome.problems) {
    if (!Number.isInteger(p.line) || p.line < 1 || p.line > lines + 1)
      wrong.push(`problem line ${p.line} of ${lines}`);
    if (!p.field) wrong.push(`problem without field: ${p.message}`);
    if (typeof p.message !== 'string' || p.message === '') wrong.push('problem without message');
  }
  for (const r of outcome.readings) {
    const numbers: [string, unknown][] = [
      ['line', r.line],
      ['gpuIndex', r.gpuIndex],
      ['timestampMs', r.timestampMs],
      ['process.pid', r.process?.pid ?? null],
      ...METRIC_NAMES.map((m): [string, unknown] => [m, r.metrics[m]]),
    ];
    for (const [name, value] of numbers) {
      if (value !== null && !(typeof value === 'number' && Number.isFinite(value)))
        wrong.push(`${name} = ${typeof value === 'number' ? value : JSON.stringify(value)}`);
    }
    if (!Number.isInteger(r.line) || r.line < 1 || r.line > lines + 1)
      wrong.push(`reading line ${r.line} of ${lines}`);
  }
  return wrong;
}
