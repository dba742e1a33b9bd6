import { ValidationError } from '@vgpu-twin/contracts';
import { EMPTY_MAPPING, matchesLabels, parseMapping } from './mapping';

const FILE = 'INGEST_MAPPING_FILE /etc/vgpu-twin/mapping.json';

/** The ValidationError `parseMapping` throws, or a failure when it throws none. */
function refusal(text: string): ValidationError {
  try {
    parseMapping(text, FILE);
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error(`parseMapping accepted ${text}`);
}

describe('parseMapping: a valid file', () => {
  it('reads every section and fills in the defaults', () => {
    // given a file naming a GPU each way, two VMs and a progress metric each way
    const text = JSON.stringify({
      gpus: [
        { uuid: 'GPU-5D3C8E21-6F4A-4B7E-9A12-3C4D5E6F7A81', gpuId: 'rack7-gpu0', hostId: 'rack7-node1' },
        { host: 'host-a', busId: '00000000:83:00.0', gpuId: 'rack7-gpu1' },
      ],
      vms: [
        {
          match: { namespace: 'ml', pod: 'train-.*' },
          vm: 'vm-train',
          workload: 'resnet50-train',
          sloSlowdown: 1.5,
        },
        { match: { vmName: 'render-0[1-9]' }, workload: 'blender-render' },
      ],
      progress: [
        { metric: 'train_steps_total', vm: 'vm-train' },
        {
          metric: 'serve_requests_per_second',
          vmLabel: 'vm',
          match: { job: 'serve' },
          type: 'gauge',
          windowMs: 60000,
        },
      ],
    });

    // when
    const m = parseMapping(text, FILE);

    // then
    expect(m.gpus).toHaveLength(2);
    expect(m.vms[0]).toEqual({
      match: { namespace: 'ml', pod: 'train-.*' },
      vm: 'vm-train',
      workload: 'resnet50-train',
      sloSlowdown: 1.5,
    });
    expect(m.progress).toEqual([
      // the defaults: no matchers, a counter over 30 s
      { metric: 'train_steps_total', vm: 'vm-train', match: {}, type: 'counter', windowMs: 30000 },
      {
        metric: 'serve_requests_per_second',
        vmLabel: 'vm',
        match: { job: 'serve' },
        type: 'gauge',
        windowMs: 60000,
      },
    ]);
  });

  it('reads an empty object as the empty mapping', () => {
    expect(parseMapping('{}', FILE)).toEqual(EMPTY_MAPPING);
  });
});

describe('parseMapping: an invalid file names the file and each bad path', () => {
  it.each([
    [
      'a pattern that is no regular expression',
      { vms: [{ match: { pod: 'train-(' }, vm: 'x' }] },
      'vms.0.match.pod',
      'regular expression',
    ],
    [
      'a progress rule with both vm and vmLabel',
      { progress: [{ metric: 'steps', vm: 'x', vmLabel: 'vm' }] },
      'progress.0',
      'exactly one of `vm` and `vmLabel`',
    ],
    [
      'a progress rule with neither vm nor vmLabel',
      { progress: [{ metric: 'steps' }] },
      'progress.0',
      'exactly one of `vm` and `vmLabel`',
    ],
    [
      'a progress metric that is no Prometheus name',
      { progress: [{ metric: 'train-steps', vm: 'x' }] },
      'progress.0.metric',
      'Prometheus metric name',
    ],
    [
      'a GPU with neither uuid nor host and busId',
      { gpus: [{ host: 'host-a', gpuId: 'g0' }] },
      'gpus.0',
      'needs `uuid`, or `host` and `busId`',
    ],
    [
      'an unknown key in an entry',
      { gpus: [{ uuid: 'GPU-1', gpuId: 'g0', bus: '82:00.0' }] },
      'gpus.0',
      '"bus"',
    ],
    ['a slowdown below 1', { vms: [{ match: {}, vm: 'x', sloSlowdown: 0.5 }] }, 'vms.0.sloSlowdown', '>=1'],
  ])('%s', (_what, content, path, message) => {
    // when
    const e = refusal(JSON.stringify(content));

    // then
    expect(e.issues).toEqual([{ path, message: expect.stringContaining(message) }]);
    expect(e.message).toContain(`${FILE}: ${path}: `);
  });

  it('names an unknown top-level key at the root', () => {
    // given `vm` for `vms`
    const e = refusal(JSON.stringify({ vm: [] }));

    // then
    expect(e.issues).toEqual([{ path: '', message: expect.stringContaining('"vm"') }]);
    expect(e.message).toContain(`${FILE}: (root): `);
  });

  it('names every bad path at once', () => {
    // given two broken entries
    const e = refusal(JSON.stringify({ gpus: [{ gpuId: 'g0' }], progress: [{ metric: 'steps' }] }));

    // then
    expect(e.issues.map((i) => i.path)).toEqual(['gpus.0', 'progress.0']);
  });

  it('says a file that is not JSON is not JSON', () => {
    // given a file cut short
    const e = refusal('{"gpus": [');

    // then
    expect(e.message).toMatch(new RegExp(`^${FILE}: not JSON: `));
    expect(e.issues).toEqual([]);
  });
});

describe('matchesLabels', () => {
  it('matches each pattern against the whole value, as Prometheus matchers do', () => {
    expect(matchesLabels({ pod: 'train-.*' }, { pod: 'train-7' })).toBe(true);
    expect(matchesLabels({ pod: 'train' }, { pod: 'train-7' })).toBe(false); // a prefix is no match
    expect(matchesLabels({ pod: 'train-7' }, { pod: 'my-train-7' })).toBe(false);
    expect(matchesLabels({ pod: 'a|b' }, { pod: 'b' })).toBe(true); // the alternation stays inside the anchors
    expect(matchesLabels({ pod: 'a|b' }, { pod: 'ab' })).toBe(false);
  });

  it('needs every matcher to match, a missing label reading as empty', () => {
    expect(matchesLabels({ namespace: 'ml', pod: 'train-.*' }, { namespace: 'ml', pod: 'train-7' })).toBe(
      true,
    );
    expect(matchesLabels({ namespace: 'ml', pod: 'train-.*' }, { namespace: 'web', pod: 'train-7' })).toBe(
      false,
    );
    expect(matchesLabels({ container: '' }, { pod: 'train-7' })).toBe(true); // container absent: ''
    expect(matchesLabels({ container: '.+' }, { pod: 'train-7' })).toBe(false);
    expect(matchesLabels({}, { pod: 'train-7' })).toBe(true); // no matchers: everything
  });
});

describe('mapping: GPU bus ids', () => {
  it('takes any form nvidia-smi prints and keeps the long one, which readings carry', () => {
    const m = parseMapping(
      JSON.stringify({
        gpus: [
          { host: 'h', busId: '82:00.0', gpuId: 'a' },
          { host: 'h', busId: '0000:83:00.0', gpuId: 'b' },
        ],
      }),
    );
    expect(m.gpus.map((g) => g.busId)).toEqual(['00000000:82:00.0', '00000000:83:00.0']);
  });

  it('names a bus id that is none', () => {
    expect(() =>
      parseMapping(JSON.stringify({ gpus: [{ host: 'h', busId: 'slot 3', gpuId: 'a' }] })),
    ).toThrow(/gpus\.0\.busId: must be a PCI bus id/);
  });
});
