import { simulate, WORKLOAD_PRESETS as P } from '../../libs/scheduler/src/index';
const G = 16384;
const run = (policy: any, ws: any[], fb = 8192) => simulate({ policy, gpuFramebufferMib: G, vms: ws.map((w) => ({ framebufferMib: fb, workload: w })) }, { durationMs: 10000, seed: 1 });
const fmt = (r: any) => r.vms.map((v: any) => v.slowdown.toFixed(3) + '/' + v.share.toFixed(3)).join('  ') + ' busy ' + r.busy.toFixed(3) + ' ev ' + r.events;
console.log('spec fixed', fmt(run('fixed_share', [P['spec-accel']])), 'thr', 1 / run('fixed_share', [P['spec-accel']]).vms[0]!.slowdown);
console.log('hpl fixed', fmt(run('fixed_share', [P.hpl])), 'thr', 1 / run('fixed_share', [P.hpl]).vms[0]!.slowdown);
console.log('short+long', fmt(run('best_effort', [P['short-kernel'], P['long-kernel']])));
for (const cpu of [0.5, 0.3, 0.1, 0.05, 0.02, 0.005]) {
  const s = { ...P['short-kernel'], cpu: { kind: 'fixed', ms: cpu } };
  console.log('cpu', cpu, 'short+long', fmt(run('best_effort', [s, P['long-kernel']])), ' short+short', fmt(run('best_effort', [s, s])));
}
console.log('long+long', fmt(run('best_effort', [P['long-kernel'], P['long-kernel']])));
console.log('mem+mem', fmt(run('best_effort', [P['memory-bound'], P['memory-bound']])));
console.log('mem+long', fmt(run('best_effort', [P['memory-bound'], P['long-kernel']])));
console.log('pcie+long', fmt(run('best_effort', [P['pcie-bound'], P['long-kernel']])));
console.log('pcie+pcie', fmt(run('best_effort', [P['pcie-bound'], P['pcie-bound']])));
console.log('3x4 equal', fmt(simulate({ policy: 'equal_share', gpuFramebufferMib: G, vms: [P['long-kernel'], P.idle, P.idle].map((w) => ({ framebufferMib: 4096, workload: w as any })) })));
console.log('3x4 fixed', fmt(simulate({ policy: 'fixed_share', gpuFramebufferMib: G, vms: [P['long-kernel'], P.idle, P.idle].map((w) => ({ framebufferMib: 4096, workload: w as any })) })));
console.log('3x4 be', fmt(simulate({ policy: 'best_effort', gpuFramebufferMib: G, vms: [P['long-kernel'], P.idle, P.idle].map((w) => ({ framebufferMib: 4096, workload: w as any })) })));
