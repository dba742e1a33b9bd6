/**
 * 32-bit FNV-1a of a string, mixed with a base seed: a stable seed per name or per co-location
 * key, so a result depends on what is simulated and the caller's seed, never on call order.
 */
export function seedFor(key: string, seed: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
}
