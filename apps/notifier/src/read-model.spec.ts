import { fixtures, type AlertRaised, type DomainEvent, type PredictionMade } from '@vgpu-twin/contracts';
import { DashboardReadModel } from './read-model';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
let n = 0;
const id = () => `e-${++n}`;

const inventory: DomainEvent[] = [
  fixtures['host.registered'], // host-1 in cluster-a
  fixtures['gpu.registered'], // gpu-1
  { ...fixtures['vm.placed'], id: 'placed-1' }, // vm-1 runs resnet50-train
  {
    ...fixtures['vm.placed'],
    id: 'placed-2',
    data: { ...fixtures['vm.placed'].data, vmId: 'vm-2', workload: 'never-profiled' },
  },
  fixtures['workload.profiled'], // resnet50-train only
];

function prediction(
  s: number,
  vmId: string,
  predicted: number,
  extra: Partial<PredictionMade['data']> = {},
): PredictionMade {
  return {
    ...fixtures['twin.prediction'],
    id: id(),
    ts: at(s),
    data: {
      ...fixtures['twin.prediction'].data,
      vmId,
      predictedSlowdown: predicted,
      model: 'hybrid@0123456789ab',
      components: { scheduler: predicted - 0.1, residual: 0.1 },
      shareArithmetic: 2.4,
      ...extra,
    },
  };
}
const observation = (s: number, vmId: string, observed: number | null): DomainEvent => ({
  ...fixtures['twin.observation'],
  id: id(),
  ts: at(s),
  data: { ...fixtures['twin.observation'].data, vmId, observedSlowdown: observed },
});
const raised = (s: number, kind: AlertRaised['data']['kind'], alertId: string): AlertRaised => ({
  ...fixtures['alert.raised'],
  id: id(),
  ts: at(s),
  data: { ...fixtures['alert.raised'].data, vmId: 'vm-1', kind, alertId },
});

function given(events: DomainEvent[], timelineMinutes = 10): DashboardReadModel {
  const model = new DashboardReadModel({ feedSize: 50, timelineMinutes });
  for (const e of [...inventory, ...events]) model.apply(e);
  return model;
}
const vm = (model: DashboardReadModel, vmId: string) => model.snapshot().vms.find((v) => v.vmId === vmId)!;

describe('DashboardReadModel: timelines, models and markers', () => {
  it('given a prediction and two observations, then the VM’s timeline is the prediction as a step and the observations as points', () => {
    const model = given([
      prediction(0, 'vm-1', 1.8),
      observation(1, 'vm-1', 1.7),
      observation(2, 'vm-1', 1.95),
    ]);
    expect(vm(model, 'vm-1').timeline).toEqual({
      t: [T0, T0 + 1000, T0 + 2000], // epoch ms of each second with an event
      predicted: [1.8, 1.8, 1.8], // made at 0 s, in force until another
      observed: [null, 1.7, 1.95],
    });
    expect(vm(model, 'vm-1').observedSlowdown).toBe(1.95); // the existing field still holds the latest
  });

  it('given predictions, then each VM and the dashboard name the model, its components and the share arithmetic', () => {
    const model = given([
      prediction(0, 'vm-1', 1.8, { model: 'scheduler@1' }),
      prediction(5, 'vm-1', 1.62, { components: { scheduler: 1.5, residual: 0.12 }, shareArithmetic: 2.0 }),
    ]);
    expect(vm(model, 'vm-1')).toMatchObject({
      model: 'hybrid@0123456789ab', // the later prediction's
      components: { scheduler: 1.5, residual: 0.12 }, // 1.5 + 0.12 = the 1.62 predicted
      shareArithmetic: 2.0,
      predictedSlowdown: 1.62,
    });
    expect(model.snapshot().model).toBe('hybrid@0123456789ab');
  });

  it('given a late prediction from an older model, then the dashboard’s model stays the newest by event time', () => {
    const model = given([prediction(10, 'vm-1', 1.8), prediction(5, 'vm-1', 1.7, { model: 'scheduler@1' })]);
    expect(model.snapshot().model).toBe('hybrid@0123456789ab'); // made at 10 s, the other at 5 s
  });

  it('given a prediction without share arithmetic, then shareArithmetic is null', () => {
    const model = given([prediction(0, 'vm-1', 1.8, { shareArithmetic: undefined })]);
    expect(vm(model, 'vm-1').shareArithmetic).toBeNull();
  });

  it('given a VM whose workload was never profiled, then it is marked unprofiled until its workload is', () => {
    const model = given([]);
    expect(vm(model, 'vm-1').unprofiled).toBe(false); // resnet50-train has a workload.profiled event
    expect(vm(model, 'vm-2').unprofiled).toBe(true); // never-profiled has none
    expect(vm(model, 'vm-2').predictedSlowdown).toBeNull();

    const routed = model.apply({
      ...fixtures['workload.profiled'],
      id: 'profiled-late',
      data: { ...fixtures['workload.profiled'].data, workload: 'never-profiled' },
    });
    expect(vm(model, 'vm-2').unprofiled).toBe(false);
    // pushed to the rooms of the VM running it, so an open dashboard drops the badge
    expect(routed?.rooms).toEqual(['gpu:gpu-1', 'host:host-1', 'cluster:cluster-a', 'vm:vm-2']);
  });

  it('given a predicted_interference alert, then the VM’s open alert names its kind', () => {
    const model = given([raised(3, 'predicted_interference', 'a-pred')]);
    expect(vm(model, 'vm-1').alert).toMatchObject({ alertId: 'a-pred', kind: 'predicted_interference' });
  });

  it('given raised and resolved alerts, then the VM has a marker for each, with its kind, id and time', () => {
    const model = given([
      raised(3, 'predicted_interference', 'a-pred'),
      raised(20, 'interference', 'a-obs'),
      {
        ...fixtures['alert.resolved'],
        id: id(),
        ts: at(40),
        data: { ...fixtures['alert.resolved'].data, vmId: 'vm-1', kind: 'interference', alertId: 'a-obs' },
      },
    ]);
    expect(vm(model, 'vm-1').markers).toEqual([
      { t: T0 + 3000, ts: at(3), state: 'raised', kind: 'predicted_interference', alertId: 'a-pred' },
      { t: T0 + 20_000, ts: at(20), state: 'raised', kind: 'interference', alertId: 'a-obs' },
      { t: T0 + 40_000, ts: at(40), state: 'resolved', kind: 'interference', alertId: 'a-obs' },
    ]);
    // the row shows one open alert: a-obs took a-pred's place at 20 s and was resolved at 40 s
    expect(vm(model, 'vm-1').alert).toBeNull();
  });

  it('given event time 15 minutes on, then a 10-minute timeline holds the last 10 minutes and the prediction in force', () => {
    const events: DomainEvent[] = [prediction(0, 'vm-1', 1.8), raised(1, 'interference', 'early')];
    for (let s = 0; s <= 900; s += 2) events.push(observation(s, 'vm-1', 1.5));
    const model = given(events, 10);
    const { timeline, markers } = vm(model, 'vm-1');
    // window 300 s … 900 s (900 − 600); observations every 2 s: 301 points from 300 to 900
    expect(timeline.t[0]).toBe(T0 + 300_000);
    expect(timeline.t).toHaveLength(301);
    expect(timeline.predicted[0]).toBe(1.8); // made at 0 s, before the window, still in force
    expect(markers).toEqual([]); // the alert at 1 s has left the window
    expect(model.snapshot()).toMatchObject({ eventTime: at(900), timelineMinutes: 10 });
  });

  it('is deterministic: the same events give the same state, whatever the wall clock', () => {
    const events = [prediction(0, 'vm-1', 1.8), observation(1, 'vm-1', 1.7), raised(2, 'drift', 'd')];
    const a = given(events).snapshot();
    const b = given(events).snapshot();
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('given a VM that is removed and placed again, then its new placement starts with an empty timeline', () => {
    const model = given([
      prediction(0, 'vm-1', 1.8),
      { ...fixtures['vm.removed'], id: 'rm', data: { vmId: 'vm-1', gpuId: 'gpu-1' } },
      { ...fixtures['vm.placed'], id: 'placed-again' },
    ]);
    expect(vm(model, 'vm-1').timeline).toEqual({ t: [], predicted: [], observed: [] });
  });
});
