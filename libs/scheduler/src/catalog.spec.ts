import { NotFoundError, ValidationError } from '@vgpu-twin/contracts';
import {
  findGpu,
  findGpuByProductName,
  findProfile,
  GPU_CATALOG,
  placementIssues,
  validatePlacement,
} from './catalog';

describe('vGPU catalog', () => {
  it('lists the ten GPU models the twin supports, each with framebuffer and profiles', () => {
    expect(GPU_CATALOG.map((g) => g.id)).toEqual([
      'P100-16GB',
      'V100-16GB',
      'V100-32GB',
      'T4',
      'A10',
      'A100-40GB',
      'A100-80GB',
      'L4',
      'L40S',
      'H100-80GB',
    ]);
    for (const g of GPU_CATALOG) {
      for (const p of g.profiles) {
        // No type grants more framebuffer than its share of the GPU.
        expect(p.framebufferMib * p.maxPerGpu).toBeLessThanOrEqual(g.framebufferMib);
      }
    }
  });

  it('has the V100-16GB and T4 Q series quoted in DESIGN.md', () => {
    const v100 = findGpu('V100-16GB');
    expect(['16Q', '8Q', '4Q', '2Q', '1Q'].map((n) => findProfile(v100, n).maxPerGpu)).toEqual([
      1, 2, 4, 8, 16,
    ]);
    expect(findProfile('T4', 'T4-4Q')).toMatchObject({ framebufferMib: 4096, maxPerGpu: 4 }); // T4-4Q: 4 per GPU
    expect(findProfile('T4', '8C')).toMatchObject({ framebufferMib: 8192, maxPerGpu: 2 }); // Table 127: T4-8C ×2
  });

  it('rejects unknown models and types with NotFoundError naming the alternatives', () => {
    expect(() => findGpu('K80')).toThrow(NotFoundError);
    expect(() => findProfile('A100-40GB', '8Q')).toThrow(/A100-40GB has no vGPU type '8Q'/); // A100: compute types only
  });
});

describe('placement validation', () => {
  it('accepts three 4Q vGPUs on a V100-16GB', () => {
    expect(
      placementIssues({
        homogeneousProfiles: true,
        gpus: [{ model: 'V100-16GB', profiles: ['4Q', '4Q', '4Q'] }],
      }),
    ).toEqual([]);
  });

  it('rejects more vGPUs than the type allows, mixed types on a GPU and mixed sizes on a homogeneous host', () => {
    const issues = placementIssues({
      homogeneousProfiles: true,
      gpus: [
        { model: 'V100-16GB', profiles: ['8Q', '8Q', '8Q'] }, // 3 × 8 GB > 16 GB, and 8Q allows 2
        { model: 'V100-16GB', profiles: ['4Q', '2Q'] }, // mixed types, and 4 GB ≠ 8 GB on GPU 0
      ],
    });
    expect(issues.map((i) => i.path)).toEqual([
      'gpus[0].profiles',
      'gpus[0].profiles',
      'gpus[1].profiles[1]',
      'gpus[1].profiles',
    ]);
    expect(issues[0]!.message).toMatch(/3 vGPUs exceed the 2/);
    expect(issues[1]!.message).toMatch(/24576 MiB .* exceed the GPU's 16384 MiB/);
    expect(issues[3]!.message).toMatch(/one profile size on every GPU/);
  });

  it('allows different sizes on different GPUs when the host is not homogeneous', () => {
    const host = {
      homogeneousProfiles: false,
      gpus: [
        { model: 'T4', profiles: ['8Q'] },
        { model: 'T4', profiles: ['4Q'] },
      ],
    };
    expect(() => validatePlacement(host)).not.toThrow();
    expect(() => validatePlacement({ ...host, homogeneousProfiles: true })).toThrow(ValidationError);
  });
});

describe('findGpuByProductName', () => {
  it.each([
    ['Tesla V100-PCIE-16GB', undefined, 'V100-16GB'],
    ['Tesla V100-SXM2-32GB', undefined, 'V100-32GB'],
    ['GRID V100D-8C', undefined, 'V100-32GB'], // the vGPU type of ../shared/data/telemetry/nvidia-smi-q-vgpu-guest-grid-v100d-8c.txt
    ['NVIDIA H100 80GB HBM3', undefined, 'H100-80GB'], // nvidia-smi-q-x-8x-h100.xml's product_name
    ['Tesla T4', undefined, 'T4'], // nvidia-smi-q-x-aws-g4dn-t4-passthrough.xml
    ['NVIDIA L40S', undefined, 'L40S'], // nvidia-smi-query-gpu-l40s-load.csv L2
    ['NVIDIA A10', undefined, 'A10'],
    ['NVIDIA A100-SXM4-80GB', undefined, 'A100-80GB'],
    ['NVIDIA A100 PCIe', 40_536, 'A100-40GB'], // no size in the name: 40,536 MiB is within 10% of 40 GiB
  ])('%s (%s MiB) → %s', (name, fb, id) => {
    expect(findGpuByProductName(name, fb)?.id).toBe(id);
  });

  it('is null for a GPU the catalog lacks or a size it cannot tell', () => {
    expect(findGpuByProductName('NVIDIA B200')).toBeNull();
    expect(findGpuByProductName('NVIDIA A100 PCIe')).toBeNull(); // 40 or 80 GB: no size, no framebuffer
    expect(findGpuByProductName('NVIDIA A40')).toBeNull(); // not A4 or A10: the family must be a whole word
  });
});
