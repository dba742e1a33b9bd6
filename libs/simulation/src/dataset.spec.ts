import { SYNTHETIC_COLUMNS } from '@vgpu-twin/interference';
import { catalogueWorkload } from './catalogue';
import { catalogueDataset } from './dataset';
import { profileWorkload } from './profile';
import { createGroundTruth } from './truth';

describe('catalogueDataset: training data from the catalogue', () => {
  // Short runs keep the test fast; the shipped data uses the default durations.
  const o = { seed: 3, durationMs: 400 };
  const data = catalogueDataset(o);

  it('given the same seed, then the same data; another seed, other slowdowns', () => {
    expect(catalogueDataset(o)).toEqual(data);
    const other = catalogueDataset({ ...o, seed: 4 });
    expect(other.pairs.map((p) => p.slowdown)).not.toEqual(data.pairs.map((p) => p.slowdown));
  });

  it('covers every active catalogue workload, alone and in every ordered pair', () => {
    const names = [...data.profiles.rows.keys()];
    expect(names).toHaveLength(18); // 19 entries less idle
    expect(names).not.toContain('idle');
    expect(data.profiles.columns).toEqual([...SYNTHETIC_COLUMNS]);
    expect(data.pairs).toHaveLength(18 * 18);
    expect(new Set(data.pairs.map((p) => `${p.workload}|${p.coRunner}`)).size).toBe(324); // 18 × 18 ordered pairs
    expect(data.pairs.every((p) => p.gpu === 'V100-16GB' && p.policy === 'best_effort')).toBe(true);
    expect(data.comment).toMatch(/^SIMULATED data .* seed 3\b/);
  });

  it('given a profile row, then it is profileWorkload in SYNTHETIC_COLUMNS order', () => {
    const f = profileWorkload(catalogueWorkload('hpl'), o).features;
    expect(data.profiles.rows.get('hpl')).toEqual([
      f.gpuUtilPct,
      f.memUtilPct,
      f.fbMib,
      f.pcieRxMBps,
      f.pcieTxMBps,
      f.vcpuUtilPct,
      f.vmMemUtilPct,
      f.threadsPerKernel,
      f.kernelMs,
      f.longKernelMs,
      f.longShortRatio,
    ]);
  });

  it('given a pair, then both orders are the two VMs of one ground-truth run of two 8Q vGPUs', () => {
    const [a, b] = createGroundTruth(o).run(
      { policy: 'best_effort', framebufferMib: 16_384, timeSliceMs: 1 },
      [
        { framebufferMib: 8192, workload: 'lstm-train' },
        { framebufferMib: 8192, workload: 'cyclegan-train' },
      ],
    );
    const row = (w: string, c: string) => data.pairs.find((p) => p.workload === w && p.coRunner === c)!;
    expect(row('lstm-train', 'cyclegan-train').slowdown).toBe(Number(a!.slowdown.toPrecision(4)));
    expect(row('cyclegan-train', 'lstm-train').slowdown).toBe(Number(b!.slowdown.toPrecision(4)));
  });
});
