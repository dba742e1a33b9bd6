import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonFile } from './json-file';

describe('writeJsonFile (report.json written in pieces)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vgpu-json-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'x.json');

  it('writes what JSON.stringify(value, null, 2) would, byte for byte, whatever the slicing', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 5 }),
        (value, slice, depth) => {
          writeJsonFile(file, value, { slice, depth });
          expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(value, null, 2)}\n`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('skips what JSON skips: undefined members of objects, and writes them as null in arrays', () => {
    const value = { a: undefined, b: [undefined, 1], c: { d: undefined } };
    writeJsonFile(file, value, { slice: 1, depth: 3 });
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(value, null, 2)}\n`);
  });

  it('writes a report larger than any one string could be, a slice at a time', () => {
    // 3M points of ~60 bytes: 180 MB of text; a day of 1,000 VMs is ~10× that, past V8's ~512 MiB
    const timeline = Array.from({ length: 3_000_000 }, (_, i) => ({ ts: i, vmId: 'vm-001', predicted: 1.5 }));
    writeJsonFile(file, { gpus: [{ gpuId: 'g', timeline }] });
    const text = readFileSync(file, 'utf8');
    expect(text.length).toBeGreaterThan(150_000_000);
    expect((JSON.parse(text) as { gpus: { timeline: unknown[] }[] }).gpus[0]!.timeline).toHaveLength(
      3_000_000,
    );
  }, 60_000);
});
