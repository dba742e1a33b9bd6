import { fingerprint } from './fingerprint';

describe('fingerprint (Alertmanager / Prometheus model.LabelSet.Fingerprint)', () => {
  it('given no labels, then it is the FNV-64a offset basis', () => {
    expect(fingerprint({})).toBe('cbf29ce484222325'); // 14695981039346656037, FNV-1a's offset basis
  });

  it("given prometheus/common's own test label set, then it is the signature that test expects", () => {
    // model/signature_test.go (TestLabelsToSignature, TestMetricToFingerprint) expects
    // 5799056148416392346 for these two labels; 5799056148416392346 = 0x507a62d79ee76c9a
    // (python3: '%016x' % 5799056148416392346). Recomputed independently with a five-line Python
    // FNV-1a over b'fear\xfflove is not enough\xffname\xffgarland, briggs\xff': the same number.
    expect(fingerprint({ name: 'garland, briggs', fear: 'love is not enough' })).toBe('507a62d79ee76c9a');
  });

  it('given the same labels in another insertion order, then the fingerprint is the same (names are sorted)', () => {
    expect(fingerprint({ fear: 'love is not enough', name: 'garland, briggs' })).toBe('507a62d79ee76c9a');
  });

  it('given a value that differs in one byte, then the fingerprint differs', () => {
    expect(fingerprint({ vm: 'vm-1' })).not.toBe(fingerprint({ vm: 'vm-2' }));
  });

  it('given a name/value split moved across the separator, then the fingerprint differs (0xff delimits them)', () => {
    // Without the 0xff separators {a: "bc"} and {ab: "c"} would hash the same bytes "abc".
    expect(fingerprint({ a: 'bc' })).not.toBe(fingerprint({ ab: 'c' }));
  });

  it('given a non-ASCII value, then it hashes its UTF-8 bytes', () => {
    // python3: h = 0xcbf29ce484222325; for b in b'vm\xff' + 'é'.encode() + b'\xff':
    // h = ((h ^ b) * 0x100000001b3) % 2**64  →  0x95d0f12ba2a63cde. Hashing the single
    // Latin-1 byte 0xe9 instead of UTF-8's 0xc3 0xa9 would give 0xb3c1ee6e26de1aad.
    expect(fingerprint({ vm: 'é' })).toBe('95d0f12ba2a63cde');
  });
});
