import type { VmSampleV2 } from '@vgpu-twin/contracts';
import type { PromSample } from '../prometheus/exposition';
import { ProgressTracker } from './progress';
import { AT, contractViolations, gpuRegistered, indexOf, mapping, promSample, vmPlaced } from './testing';

const T0 = AT;
const SECOND = 1000;

/** train-01 and train-02 placed on gpu-a0 of host-a. */
const index = indexOf([
  gpuRegistered({ gpuId: 'gpu-a0', hostId: 'host-a' }),
  vmPlaced({ vmId: 'train-01', gpuId: 'gpu-a0' }),
  vmPlaced({ vmId: 'train-02', gpuId: 'gpu-a0' }),
]);

/** A training job's step counter on train-01 (the mapping's defaults: a counter over 30 s). */
const stepsOfTrain01 = () =>
  new ProgressTracker(mapping({ progress: [{ metric: 'train_steps_total', vm: 'train-01' }] }).progress);

/** Feeds one scrape at `atMs` (the samples carry no time of their own); the progress rates per VM. */
function scrape(tracker: ProgressTracker, atMs: number, samples: PromSample[]): [string, number | null][] {
  return rates(tracker.observe(samples, atMs, index, 'scrape:http://host-a:9400/metrics').events);
}

const rates = (events: VmSampleV2[]) =>
  events.map((e): [string, number | null] => [e.data.vmId, e.data.progressRate]);

const steps = (value: number, labels: Record<string, string> = {}) =>
  promSample('train_steps_total', labels, value);

describe('ProgressTracker: a counter', () => {
  it('becomes a rate over the window: the increase from its oldest point in the window', () => {
    // given train-01's step counter, a 30 s window
    const tracker = stepsOfTrain01();

    // when scraped at 0, 10 s and 20 s reading 0, 100 and 250 steps
    const at0 = scrape(tracker, T0, [steps(0)]);
    const at10 = scrape(tracker, T0 + 10 * SECOND, [steps(100)]);
    const at20 = scrape(tracker, T0 + 20 * SECOND, [steps(250)]);

    // then
    expect(at0).toEqual([]); // one point: no rate yet
    expect(at10).toEqual([['train-01', 10]]); // (100 − 0) steps / 10 s
    expect(at20).toEqual([['train-01', 12.5]]); // (250 − 0) / 20 s: the point at 0 is still inside 30 s
  });

  it('drops the points that fell out of the window', () => {
    // given train-01's counter scraped every 10 s at 0, 100, 250, 300, 500
    const tracker = stepsOfTrain01();
    [0, 100, 250, 300].forEach((v, i) => scrape(tracker, T0 + i * 10 * SECOND, [steps(v)]));

    // when scraped at 40 s
    const at40 = scrape(tracker, T0 + 40 * SECOND, [steps(500)]);

    // then
    // (500 − 100) / (40 s − 10 s) = 13.333…, to 6 significant digits: the point at 0 is 40 s old
    expect(at40).toEqual([['train-01', 13.3333]]);
  });

  it('restarts after a reset (the value went down: the process restarted)', () => {
    // given 0 then 100 steps 10 s apart
    const tracker = stepsOfTrain01();
    scrape(tracker, T0, [steps(0)]);
    expect(scrape(tracker, T0 + 10 * SECOND, [steps(100)])).toEqual([['train-01', 10]]); // 100 / 10 s

    // when the job restarts and counts from 0: 30 at 20 s, 80 at 30 s
    const at20 = scrape(tracker, T0 + 20 * SECOND, [steps(30)]);
    const at30 = scrape(tracker, T0 + 30 * SECOND, [steps(80)]);

    // then
    expect(at20).toEqual([]); // the first point after the reset: no rate (not 30 − 100 < 0)
    expect(at30).toEqual([['train-01', 5]]); // (80 − 30) / 10 s, nothing from before the reset
  });

  it('gives no second rate for a sample it already has (a re-sent write)', () => {
    // given 0 then 100 steps, with their own timestamps
    const tracker = stepsOfTrain01();
    const at = (v: number, t: number) => promSample('train_steps_total', {}, v, t);
    scrape(tracker, T0, [at(0, T0)]);
    expect(scrape(tracker, T0 + 10 * SECOND, [at(100, T0 + 10 * SECOND)])).toEqual([['train-01', 10]]);

    // when the write with the 100 is sent again
    const resent = scrape(tracker, T0 + 15 * SECOND, [at(100, T0 + 10 * SECOND)]);

    // then
    expect(resent).toEqual([]);
  });

  it('takes one rate per series from a write that carries several of its instants', () => {
    // given 0 steps at 0 s; then one remote write carrying the counter at 10 s (100) and at 20 s (250)
    const tracker = stepsOfTrain01();
    const at = (v: number, t: number) => promSample('train_steps_total', {}, v, t);
    scrape(tracker, T0, [at(0, T0)]);

    // when
    const { events } = tracker.observe(
      [at(100, T0 + 10 * SECOND), at(250, T0 + 20 * SECOND)],
      T0 + 25 * SECOND,
      index,
      'remote-write',
    );

    // then: the rate at the newest instant, not the sum of the rates at both (10 + 12.5)
    expect(rates(events)).toEqual([['train-01', 12.5]]); // (250 − 0) / 20 s
    expect(events.map((e) => e.ts)).toEqual(['2026-07-17T09:14:25.000Z']); // the newest sample's time, T0 + 20 s
  });

  it('forgets a series silent for more than ten windows: after the gap the first sample gives no rate', () => {
    // given 0 then 100 steps 10 s apart, then silence for 301 s (past 10 × the 30 s window = 300 s)
    const tracker = stepsOfTrain01();
    scrape(tracker, T0, [steps(0)]);
    scrape(tracker, T0 + 10 * SECOND, [steps(100)]);
    const back = T0 + (10 + 301) * SECOND;

    // when the counter comes back, then 10 s later
    const first = scrape(tracker, back, [steps(400)]);
    const next = scrape(tracker, back + 10 * SECOND, [steps(450)]);

    // then
    expect(first).toEqual([]); // not (400 − 100) / 301 s over the gap
    expect(next).toEqual([['train-01', 5]]); // (450 − 400) / 10 s
  });

  it('still remembers a series silent for less than ten windows', () => {
    // given 0 then 100 steps 10 s apart, then silence for 290 s (within 10 × 30 s)
    const tracker = stepsOfTrain01();
    scrape(tracker, T0, [steps(0)]);
    scrape(tracker, T0 + 10 * SECOND, [steps(100)]);

    // when
    const back = scrape(tracker, T0 + (10 + 290) * SECOND, [steps(390)]);

    // then
    expect(back).toEqual([['train-01', 1]]); // (390 − 100) / 290 s: the last two points, the only ones left
  });
});

describe('ProgressTracker: a gauge', () => {
  it('is read as the rate itself, from its first sample', () => {
    // given an inference server exporting its requests per second
    const tracker = new ProgressTracker(
      mapping({ progress: [{ metric: 'serve_requests_per_second', vm: 'train-02', type: 'gauge' }] })
        .progress,
    );
    const rps = (v: number) => promSample('serve_requests_per_second', {}, v);

    // when
    const first = scrape(tracker, T0, [rps(42.5)]);
    const negative = scrape(tracker, T0 + 10 * SECOND, [rps(-1)]);

    // then
    expect(first).toEqual([['train-02', 42.5]]); // as exported
    expect(negative).toEqual([]); // a negative rate is no progress reading
  });
});

describe('ProgressTracker: VMs and series', () => {
  /** One rule for both VMs: the VM is the series' `vm` label, one series per worker. */
  const byLabel = () =>
    new ProgressTracker(
      mapping({ progress: [{ metric: 'train_steps_total', vmLabel: 'vm', match: { job: 'trainer' } }] })
        .progress,
    );
  const worker = (vm: string, w: string, value: number, job = 'trainer') =>
    promSample('train_steps_total', { job, vm, worker: w }, value);

  it('adds up the series of one VM (one per worker), and keeps VMs apart', () => {
    // given two workers of train-01 and one of train-02
    const tracker = byLabel();
    scrape(tracker, T0, [worker('train-01', '0', 0), worker('train-01', '1', 0), worker('train-02', '0', 0)]);

    // when 10 s later
    const at10 = scrape(tracker, T0 + 10 * SECOND, [
      worker('train-01', '0', 100),
      worker('train-01', '1', 50),
      worker('train-02', '0', 20),
    ]);

    // then
    expect(at10).toEqual([
      ['train-01', 15], // 100 / 10 s + 50 / 10 s
      ['train-02', 2], // 20 / 10 s
    ]);
  });

  it('takes only the series the rule’s matchers select', () => {
    // given train-01's trainer series, and the same metric from an evaluation job
    const tracker = byLabel();
    scrape(tracker, T0, [worker('train-01', '0', 0), worker('train-01', '9', 0, 'eval')]);

    // when
    const at10 = scrape(tracker, T0 + 10 * SECOND, [
      worker('train-01', '0', 100),
      worker('train-01', '9', 900, 'eval'),
    ]);

    // then
    expect(at10).toEqual([['train-01', 10]]); // 100 / 10 s; the eval job's 90/s left out
  });

  it('reports a VM the inventory does not place as unplaced, with no event', () => {
    // given a series of a VM the inventory has never heard of
    const tracker = byLabel();
    tracker.observe([worker('ghost-vm', '0', 0)], T0, index, 'remote-write');

    // when
    const out = tracker.observe([worker('ghost-vm', '0', 100)], T0 + 10 * SECOND, index, 'remote-write');

    // then
    expect(out).toEqual({ events: [], unplaced: ['ghost-vm'] });
  });

  it('gives each placed VM a vm_sample v2 on its GPU with only the progress rate', () => {
    // given train-01's counter at 0 and then 100
    const tracker = stepsOfTrain01();
    tracker.observe([steps(0)], T0, index, 'remote-write');

    // when
    const { events } = tracker.observe([steps(100)], T0 + 10 * SECOND, index, 'remote-write');

    // then
    expect(events).toEqual([
      {
        id: expect.any(String),
        type: 'telemetry.vm_sample',
        version: 2,
        ts: '2026-07-17T09:14:15.000Z', // T0 + 10 s
        source: 'remote-write',
        data: {
          vmId: 'train-01',
          gpuId: 'gpu-a0', // where the inventory places train-01
          gpuUtilPct: null, // the progress metric says nothing of the device
          memUtilPct: null,
          fbUsedMib: null,
          pcieRxMBps: null,
          pcieTxMBps: null,
          vcpuUtilPct: null,
          vmMemUtilPct: null,
          progressRate: 10, // 100 steps / 10 s
        },
      },
    ]);
    expect(contractViolations(events)).toEqual([]);
  });

  it('is off, and reads nothing, without progress rules', () => {
    // given no rules
    const tracker = new ProgressTracker([]);

    // then
    expect(tracker.enabled).toBe(false);
    expect(tracker.observe([steps(0)], T0, index, 'remote-write')).toEqual({ events: [], unplaced: [] });
  });
});
