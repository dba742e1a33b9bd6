import { NotFoundError, ValidationError } from '@vgpu-twin/contracts';
import { pairsPolicy, pairsToCsv, parseCsv, parsePairs, parseProfiles, profilesToCsv } from './csv';
import { resolveFeatures } from './features';

const PROFILES = `# a comment line is skipped
workload,gpu_util,mem_util,pcie_rx_mbps,pcie_tx_mbps
a,90,40,300,10

b,30,10,50.5,2
`;

describe('profiles.csv', () => {
  it('reads numeric columns per workload, skipping comments and blank lines', () => {
    const p = parseProfiles(PROFILES, 'p.csv');
    expect(p.columns).toEqual(['gpu_util', 'mem_util', 'pcie_rx_mbps', 'pcie_tx_mbps']);
    expect(p.rows.get('b')).toEqual([30, 10, 50.5, 2]); // line 5 of PROFILES
  });

  it('round-trips through profilesToCsv', () => {
    const p = parseProfiles(PROFILES);
    expect(parseProfiles(profilesToCsv(p, 'note'))).toEqual(p);
  });

  it.each([
    ['workload,gpu_util\na,abc\n', /p\.csv line 2 column gpu_util: 'abc' is not a finite number/],
    ['workload,gpu_util\na,\n', /line 2 column gpu_util: '' is not a finite number/],
    ['workload,gpu_util\na,1,2\n', /p\.csv line 2: 3 values for 2 columns/],
    ['workload,gpu_util\n"a",1\n', /p\.csv line 2: quoted values are not supported/],
    ['gpu_util\n1\n', /p\.csv: missing column\(s\) workload/],
    ['workload,gpu_util\na,1\na,2\n', /line 3: workload 'a' appears twice/],
    ['workload,x,x\n', /header repeats column 'x'/],
  ])('rejects %j naming file, line and column', (text, message) => {
    expect(() => parseProfiles(text, 'p.csv')).toThrow(ValidationError);
    expect(() => parseProfiles(text, 'p.csv')).toThrow(message);
  });
});

describe('pairs.csv', () => {
  const profiles = parseProfiles(PROFILES);

  it('reads slowdowns with the optional gpu and policy columns', () => {
    const pairs = parsePairs(
      'workload,co_runner,slowdown,gpu,policy\na,b,1.25,v100,best_effort\nb,a,2,,\n',
      'q.csv',
      profiles,
    );
    expect(pairs).toEqual([
      { workload: 'a', coRunner: 'b', slowdown: 1.25, gpu: 'v100', policy: 'best_effort' },
      { workload: 'b', coRunner: 'a', slowdown: 2 }, // empty optional cells are absent
    ]);
    expect(parsePairs(pairsToCsv(pairs), 'q.csv', profiles)).toEqual(pairs);
    expect(pairsPolicy(pairs)).toBe('best_effort'); // absent policy = best effort
  });

  it('names an unknown workload with NotFoundError', () => {
    const run = () => parsePairs('workload,co_runner,slowdown\na,zz,1.5\n', 'q.csv', profiles, 'p.csv');
    expect(run).toThrow(NotFoundError);
    expect(run).toThrow("q.csv line 2 column co_runner: unknown workload 'zz' (not in p.csv)");
  });

  it.each([
    ['workload,co_runner\na,b\n', /missing column\(s\) slowdown/],
    ['workload,co_runner,slowdown\na,b,-1\n', /line 2 column slowdown: '-1' must be > 0/],
    [
      'workload,co_runner,slowdown,policy\na,b,1.2,round_robin\n',
      /line 2 column policy: 'round_robin' is not one of/,
    ],
    ['workload,co_runner,slowdown\n', /q\.csv: no pairs/],
  ])('rejects %j', (text, message) => {
    expect(() => parsePairs(text, 'q.csv', profiles)).toThrow(message);
  });

  it('refuses pairs that mix policies', () => {
    const pairs = parsePairs(
      'workload,co_runner,slowdown,policy\na,b,1.2,best_effort\nb,a,1.2,equal_share\n',
    );
    expect(() => pairsPolicy(pairs, 'q.csv')).toThrow(/mix policies/);
  });

  it('parseCsv keeps 1-based line numbers', () => {
    expect(parseCsv('x,y\n\n1,2\n', 'f').rows).toEqual([{ line: 3, cells: ['1', '2'] }]);
  });
});

describe('feature sets', () => {
  const profiles = parseProfiles(PROFILES);
  it('resolves base and explicit lists, and names missing columns', () => {
    expect(resolveFeatures('base', profiles)).toEqual([
      'gpu_util',
      'mem_util',
      'pcie_rx_mbps',
      'pcie_tx_mbps',
    ]);
    expect(resolveFeatures('gpu_util, mem_util', profiles)).toEqual(['gpu_util', 'mem_util']);
    expect(() => resolveFeatures('select', profiles, 'p.csv')).toThrow(
      /needs column\(s\) vcpu_util, vm_mem_util, kernel_ms that p\.csv lacks/,
    );
  });
});
