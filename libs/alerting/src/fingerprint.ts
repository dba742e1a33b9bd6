/**
 * Alertmanager's alert fingerprint: Prometheus' `model.LabelSet.Fingerprint()`, FNV-1a 64 over
 * the labels sorted by name, each pair written as name, 0xff, value, 0xff (prometheus/common
 * model/signature.go). The same labels give the same fingerprint here and in Alertmanager's API.
 */

const OFFSET_BASIS = 0xcbf29ce484222325n; // FNV-64 offset basis, also the fingerprint of no labels
const PRIME = 0x100000001b3n; // FNV-64 prime
const MASK = 0xffffffffffffffffn;
const SEPARATOR = 0xff; // model.SeparatorByte: never part of a UTF-8 string
const utf8 = new TextEncoder();

/** 16 lowercase hex digits, as Alertmanager prints a fingerprint (`%016x`). */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  let hash = OFFSET_BASIS;
  const add = (byte: number) => {
    hash = ((hash ^ BigInt(byte)) * PRIME) & MASK;
  };
  // Go sorts label names bytewise; label names are ASCII ([a-zA-Z_]\w*), so code-unit order is the same.
  const byName = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, value] of byName) {
    utf8.encode(name).forEach(add);
    add(SEPARATOR);
    utf8.encode(value).forEach(add);
    add(SEPARATOR);
  }
  return hash.toString(16).padStart(16, '0');
}
