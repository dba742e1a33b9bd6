import fc from 'fast-check';

/** One change to a capture's lines. */
export type LineMutation = (lines: string[]) => string[];

const at = (lines: readonly string[], i: number) => i % Math.max(lines.length, 1);

/**
 * Mutations of real captures for the fuzz tests (the parsers' and ingest's HTTP fuzz): a line
 * deleted, duplicated, swapped with another, characters inserted into one (`insert`: unicode or
 * raw bytes), the text truncated, a number replaced by one of `numbers`, or a line inserted.
 */
export function lineMutation(
  numbers: readonly string[],
  insert: fc.Arbitrary<string> = fc.string({ unit: 'binary', maxLength: 4 }),
): fc.Arbitrary<LineMutation> {
  return fc.oneof(
    fc.nat().map(
      (i): LineMutation =>
        (ls) =>
          ls.filter((_, j) => j !== at(ls, i)),
    ),
    fc.nat().map(
      (i): LineMutation =>
        (ls) =>
          ls.flatMap((l, j) => (j === at(ls, i) ? [l, l] : [l])),
    ),
    fc.tuple(fc.nat(), fc.nat()).map(([i, k]): LineMutation => (ls) => {
      const out = [...ls];
      const [a, b] = [at(ls, i), at(ls, k)];
      [out[a], out[b]] = [ls[b] ?? '', ls[a] ?? ''];
      return out;
    }),
    fc.tuple(fc.nat(), fc.nat(), insert).map(([i, k, s]): LineMutation => (ls) => {
      const out = [...ls];
      const line = out[at(ls, i)] ?? '';
      const pos = k % (line.length + 1);
      out[at(ls, i)] = line.slice(0, pos) + s + line.slice(pos);
      return out;
    }),
    fc.nat().map((k): LineMutation => (ls) => {
      const text = ls.join('\n');
      return text.slice(0, k % (text.length + 1)).split('\n');
    }),
    fc.tuple(fc.nat(), fc.constantFrom(...numbers)).map(([k, n]): LineMutation => (ls) => {
      const text = ls.join('\n');
      const found = [...text.matchAll(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/g)];
      const m = found[k % Math.max(found.length, 1)];
      if (m?.index === undefined) return ls;
      return (text.slice(0, m.index) + n + text.slice(m.index + m[0].length)).split('\n');
    }),
    fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 30 })).map(([i, s]): LineMutation => (ls) => {
      const out = [...ls];
      out.splice(at(ls, i), 0, s);
      return out;
    }),
  );
}

/** One of `texts` with 1 to `most` mutations applied. */
export function mutatedText(
  texts: readonly string[],
  mutation: fc.Arbitrary<LineMutation>,
  most: number,
): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...texts), fc.array(mutation, { minLength: 1, maxLength: most }))
    .map(([text, ms]) => ms.reduce((ls, m) => m(ls), text.split('\n')).join('\n'));
}
