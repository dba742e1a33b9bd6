import { RecentIds } from './recent-ids';

describe('RecentIds', () => {
  it('answers new once per id and forgets the oldest past its capacity', () => {
    const ids = new RecentIds(2);
    expect([ids.add('a'), ids.add('a'), ids.add('b')]).toEqual([true, false, true]);
    ids.add('c'); // capacity 2: 'a' is evicted
    expect([ids.has('a'), ids.has('b'), ids.has('c')]).toEqual([false, true, true]);
    expect(ids.add('a')).toBe(true);
  });
});
