import { arithmeticShares as gpuShares, shareArithmetic, waterFill } from './share-arithmetic';

const gb4 = 4096;
const gpu16 = 16384;

describe('share arithmetic (the baseline)', () => {
  describe('given a 16 GB GPU with three 4 GB vGPUs, only the first active (DESIGN.md worked example)', () => {
    const vgpus = [
      { demand: 1, framebufferMib: gb4 },
      { demand: 0, framebufferMib: gb4 },
      { demand: 0, framebufferMib: gb4 },
    ];
    it('best effort gives the active VM all of the GPU', () => {
      expect(gpuShares('best_effort', vgpus, gpu16)[0]).toBeCloseTo(1); // work-conserving
    });
    it('equal share gives it 1/3', () => {
      expect(gpuShares('equal_share', vgpus, gpu16)[0]).toBeCloseTo(1 / 3); // 3 vGPUs assigned
    });
    it('fixed share gives it 1/4', () => {
      expect(gpuShares('fixed_share', vgpus, gpu16)[0]).toBeCloseTo(0.25); // 4 GB of 16 GB
    });
  });

  it('water-fills: a light VM keeps what it asks, the heavy ones split the rest', () => {
    const [a, b, c] = waterFill([0.9, 0.2, 0.95]);
    expect(b).toBeCloseTo(0.2); // under the fair third
    expect(a).toBeCloseTo(0.4); // (1 − 0.2) / 2
    expect(c).toBeCloseTo(0.4);
  });

  it('does not slow a VM that gets all it asks for, and slows by demand/share otherwise', () => {
    const gpu = 16384;
    const [light, heavy] = shareArithmetic(
      'best_effort',
      [
        { demand: 0.4, framebufferMib: 8192 },
        { demand: 0.9, framebufferMib: 8192 },
      ],
      gpu,
    );
    expect(light).toBe(1); // 0.4 ≤ the fair half: it gets all it asks for
    expect(heavy).toBeCloseTo(1.5); // 0.9 / (1 − 0.4)
    expect(shareArithmetic('equal_share', [{ demand: 0, framebufferMib: 8192 }], gpu)).toEqual([1]); // no demand
  });
});
