import { closeSync, openSync, writeSync } from 'node:fs';

export interface JsonFileOptions {
  /** Arrays longer than this are written in slices of this many elements. */
  readonly slice?: number;
  /** Objects and arrays this close to the top are written member by member. */
  readonly depth?: number;
}

/**
 * Writes `JSON.stringify(value, null, 2)` and a newline to `file`, byte for byte, without ever
 * holding it as one string: a day's report (every predicted and observed point of every GPU with an
 * alert) is larger than the longest string V8 makes (~512 MiB). The top `depth` levels are written
 * member by member and long arrays in slices, each slice through JSON.stringify itself.
 */
export function writeJsonFile(file: string, value: unknown, options: JsonFileOptions = {}): void {
  const slice = options.slice ?? 1_000;
  const maxDepth = options.depth ?? 4;
  const fd = openSync(file, 'w');
  const pending: string[] = [];
  let size = 0;
  const flush = () => {
    if (pending.length === 0) return;
    writeSync(fd, pending.join(''));
    pending.length = 0;
    size = 0;
  };
  const out = (s: string) => {
    pending.push(s);
    size += s.length;
    if (size >= 1 << 20) flush();
  };
  // JSON.stringify's own text for a value, indented to sit at `indent`
  const leaf = (v: unknown, indent: string) => {
    const s = JSON.stringify(v, null, 2);
    out(indent === '' ? s : s.replace(/\n/g, `\n${indent}`));
  };
  const emit = (v: unknown, indent: string, depth: number): void => {
    if (Array.isArray(v)) {
      if (v.length === 0 || (depth >= maxDepth && v.length <= slice)) return leaf(v, indent);
      out('[\n');
      if (v.length > slice) {
        for (let i = 0; i < v.length; i += slice) {
          // "[\n  a,\n  b\n]" without its brackets: the members, each line two spaces in
          const members = JSON.stringify(v.slice(i, i + slice), null, 2).slice(2, -2);
          out(indent === '' ? members : `${indent}${members.replace(/\n/g, `\n${indent}`)}`);
          out(i + slice < v.length ? ',\n' : '\n');
        }
      } else {
        const inner = `${indent}  `;
        v.forEach((x, i) => {
          out(inner);
          emit(
            x === undefined || typeof x === 'function' || typeof x === 'symbol' ? null : x,
            inner,
            depth + 1,
          );
          out(i < v.length - 1 ? ',\n' : '\n');
        });
      }
      return out(`${indent}]`);
    }
    if (v === null || typeof v !== 'object' || depth >= maxDepth || 'toJSON' in v) return leaf(v, indent);
    const entries = Object.entries(v).filter(
      ([, x]) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol',
    );
    if (entries.length === 0) return out('{}');
    const inner = `${indent}  `;
    out('{\n');
    entries.forEach(([k, x], i) => {
      out(`${inner}${JSON.stringify(k)}: `);
      emit(x, inner, depth + 1);
      out(i < entries.length - 1 ? ',\n' : '\n');
    });
    out(`${indent}}`);
  };
  try {
    emit(value, '', 0);
    out('\n');
    flush();
  } finally {
    closeSync(fd);
  }
}
