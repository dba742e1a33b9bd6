import type { AlertLabels, AlertView } from '@vgpu-twin/contracts';
import { fingerprint } from '../fingerprint';

/** A firing interference alert on vm-1 (the contracts' `alert.raised` fixture), changed by `over`. */
export function anAlertView(
  over: Partial<Omit<AlertView, 'labels'>> & { labels?: Partial<AlertLabels> } = {},
): AlertView {
  const labels: AlertLabels = {
    alertname: 'VgpuInterference',
    cluster: 'cluster-a',
    host: 'host-1',
    gpu: 'gpu-1',
    vm: 'vm-1',
    kind: 'interference',
    severity: 'warning',
    workload: 'resnet50-train',
    ...over.labels,
  };
  return {
    alertId: 'interference:vm-1:fx',
    fingerprint: fingerprint(labels),
    incidentId: 'inc-1',
    state: 'firing',
    message: 'vm-1 runs 1.90× slower than alone (threshold 1.50×) for 5 samples',
    aggressorVmId: 'vm-2',
    evidence: {
      observedSlowdown: 1.9,
      predictedSlowdown: 1.84,
      threshold: 1.5,
      samples: 5,
      windowStart: '2026-01-01T00:00:00.000Z',
      windowEnd: '2026-01-01T00:00:04.000Z',
    },
    startsAt: '2026-01-01T00:00:04.000Z',
    endsAt: null,
    acknowledged: null,
    silencedBy: [],
    inhibitedBy: null,
    flapping: false,
    ...over,
    labels,
  };
}
