import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_NAMES } from '../reading';
import { dcgmReadings } from './dcgm';
import { parseExposition, PROM_TYPES } from './exposition';
import { lineMutation, mutatedText } from '../testing/line-mutations';

const TELEMETRY = join(__dirname, '../../../../../shared/data/telemetry');
const SAMPLES = readdirSync(TELEMETRY)
  .filter((f) => f.endsWith('.prom'))
  .map((f) => readFileSync(join(TELEMETRY, f), 'utf8'));

const NUMBERS = [
  '1e308',
  '-1e308',
  '1e400',
  '9223372036854775794',
  '-5',
  'NaN',
  '+Inf',
  '-Inf',
  '0x1p3',
  '-0',
];

const mutation = lineMutation(NUMBERS);

const mutatedSample = mutatedText(SAMPLES, mutation, 5);

function checkInvariants(text: string): void {
  const lineCount = text.split('\n').length;
  const exposition = parseExposition(text);
  const outcome = dcgmReadings(exposition.samples);
  for (const p of [...exposition.problems, ...outcome.problems]) {
    expect(Number.isInteger(p.line) && p.line >= 1 && p.line <= lineCount + 1).toBe(true);
  }
  for (const s of exposition.samples) {
    expect(PROM_TYPES).toContain(s.type);
    expect(s.timestampMs === null || Number.isFinite(s.timestampMs)).toBe(true);
  }
  if (exposition.refused) {
    expect(exposition.samples).toEqual([]);
    expect(outcome.readings).toEqual([]);
  }
  for (const r of outcome.readings) {
    for (const n of [...METRIC_NAMES.map((m) => r.metrics[m]), r.gpuIndex, r.timestampMs]) {
      expect(n === null || Number.isFinite(n)).toBe(true);
    }
  }
}

// Deterministic: fixed seeds, 4,050 runs in all (2–4 s).
describe('parseExposition and dcgmReadings under fuzzing', () => {
  it('survive mutations of the real samples', () => {
    fc.assert(fc.property(mutatedSample, checkInvariants), { seed: 20240612, numRuns: 3000 });
  });

  it('survive arbitrary text', () => {
    const text = fc.string({ unit: 'binary', maxLength: 200 });
    fc.assert(fc.property(text, checkInvariants), { seed: 7, numRuns: 1000 });
  });

  it('read a time-sliced GPU the same with any number of sharing pods', () => {
    const t4 = readFileSync(join(TELEMETRY, 'dcgm-exporter-datadog-fixture-t4.prom'), 'utf8');
    const alone = dcgmReadings(parseExposition(t4).samples).readings.map((r) => r.metrics);
    const shared = fc.integer({ min: 1, max: 6 }).map((pods) =>
      t4
        .split('\n')
        .flatMap((l) =>
          l.startsWith('DCGM_FI_DEV_') && l.includes('UUID')
            ? Array.from({ length: pods }, (_, i) => l.replace('{', `{pod="vm-${i}",`))
            : [l],
        )
        .join('\n'),
    );
    fc.assert(
      fc.property(shared, (text) => {
        const { readings, problems } = dcgmReadings(parseExposition(text).samples);
        expect(readings.map((r) => r.metrics)).toEqual(alone);
        expect(problems.every((p) => p.message.startsWith('no GPU identity'))).toBe(true);
      }),
      { seed: 42, numRuns: 50 },
    );
  });
});
