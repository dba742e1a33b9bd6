import { gpuShares, slowdownFromShare, waterFill } from './share-model';

const gb4 = 4096;
const gpu16 = 16384;

describe('share model', () => {
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
    expect(slowdownFromShare(0.6, 0.6)).toBe(1);
    expect(slowdownFromShare(0.9, 0.5)).toBeCloseTo(1.8); // 0.9 / 0.5
    expect(slowdownFromShare(0, 0)).toBe(1);
  });
});
