// bench/twin: twin-core apply + drift on one core, and the state's memory at 10k and 100k VMs.
// Run: SWC_NODE_PROJECT=tsconfig.json node --expose-gc -r @swc-node/register bench/twin/twin.bench.ts
import { fixtures, type InventoryEvent, type VmSample } from '@vgpu-twin/contracts';
import { mulberry32 } from '@vgpu-twin/scheduler';
import { defaultTwinConfig, initialState, step, type TwinState } from '@vgpu-twin/twin-core';
import { cpus } from 'node:os';

const config = defaultTwinConfig;
const VMS_PER_GPU = 4;

function inventory(vms: number): InventoryEvent[] {
  const out: InventoryEvent[] = [
    fixtures['host.registered'],
    {
      ...fixtures['workload.profiled'],
      id: 'wl',
      data: { ...fixtures['workload.profiled'].data, workload: 'w', soloProgressRate: 10 },
    },
  ];
  for (let g = 0; g < vms / VMS_PER_GPU; g++) {
    out.push({
      ...fixtures['gpu.registered'],
      id: `g${g}`,
      data: { ...fixtures['gpu.registered'].data, gpuId: `gpu-${g}` },
    });
    for (let v = 0; v < VMS_PER_GPU; v++) {
      const vmId = `vm-${g * VMS_PER_GPU + v}`;
      out.push({
        ...fixtures['vm.placed'],
        id: `p-${vmId}`,
        data: { vmId, gpuId: `gpu-${g}`, profile: '4Q', framebufferMib: 4096, workload: 'w' },
      });
    }
  }
  return out;
}

/** 1 Hz samples for every VM, with seeded noise on the progress rate and utilisation. */
function samples(vms: number, seconds: number, seed: number): VmSample[] {
  const rng = mulberry32(seed);
  const out: VmSample[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  for (let s = 0; s < seconds; s++) {
    const ts = new Date(t0 + s * 1000).toISOString();
    for (let v = 0; v < vms; v++) {
      out.push({
        ...fixtures['telemetry.vm_sample'],
        id: `s-${v}-${s}`,
        ts,
        data: {
          ...fixtures['telemetry.vm_sample'].data,
          vmId: `vm-${v}`,
          gpuId: `gpu-${Math.floor(v / VMS_PER_GPU)}`,
          gpuUtilPct: 20 + rng() * 4,
          fbUsedMib: 3000,
          progressRate: 10 * (0.95 + rng() * 0.1),
        },
      });
    }
  }
  return out;
}

function build(vms: number): TwinState {
  const state = initialState(config.dedupeWindow);
  for (const e of inventory(vms)) step(state, e, config);
  return state;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function throughput(): void {
  const vms = 10_000;
  const events = samples(vms, 100, 7); // 1,000,000 events
  const twin: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < 5; run++) {
    // Baseline in the same run: the cheapest fold imaginable over the same events (find the VM, keep its rate).
    const rates = new Map<string, number>();
    let t = process.hrtime.bigint();
    for (const e of events) rates.set(e.data.vmId, e.data.progressRate!);
    baseline.push(events.length / (Number(process.hrtime.bigint() - t) / 1e9));

    const state = build(vms);
    t = process.hrtime.bigint();
    for (const e of events) step(state, e, config);
    twin.push(events.length / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  const m = median(twin);
  console.log(
    `| twin-core step (apply + observation + drift + alerts), 10k VMs | ${Math.round(m).toLocaleString('en')} events/s | ${Math.round(median(baseline)).toLocaleString('en')} events/s | ${(m / median(baseline)).toFixed(3)} |`,
  );
}

function memory(vms: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  const before = process.memoryUsage().heapUsed;
  const state = build(vms);
  // fill every VM's windows: 10 samples each
  for (const e of samples(vms, 10, 3)) step(state, e, config);
  gc();
  const used = process.memoryUsage().heapUsed - before;
  console.log(
    `| ${vms.toLocaleString('en')} VMs | ${(used / 2 ** 20).toFixed(1)} MiB | ${(used / vms).toFixed(0)} B | ${state.vms.size === vms ? 'ok' : 'MISMATCH'} |`,
  );
}

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, Node ${process.version}\n`);
console.log(
  '| what | twin (median of 5) | baseline: Map.set per event (median of 5) | ratio |\n| --- | ---: | ---: | ---: |',
);
throughput();
console.log('\n| VMs | heap used by the twin state | per VM | check |\n| ---: | ---: | ---: | --- |');
memory(10_000);
memory(100_000);
