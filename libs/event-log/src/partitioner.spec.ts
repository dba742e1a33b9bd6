import { murmur2, partitionFor } from './partitioner';

describe('partitioner', () => {
  it('matches the reference murmur2 values used by Kafka clients', () => {
    // Reference values from the Java client's UtilsTest (org.apache.kafka.common.utils):
    // murmur2("21") == -973932308, murmur2("foobar") == -790332482, murmur2("a-little-bit-long-string") == -985981536
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
  });

  it('spreads keys over every partition and is stable', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(partitionFor(`gpu-${i}`, 8));
    expect(seen.size).toBe(8);
    expect(partitionFor('gpu-7', 8)).toBe(partitionFor('gpu-7', 8));
  });
});
