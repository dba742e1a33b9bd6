/**
 * `nvidia-smi vgpu -q` on a vGPU host.
 *
 * Output, per `GPU 00000000:xx:00.0` block, in input order:
 * - one reading of kind `gpu` for the physical GPU, carrying only `busId` (from the block header)
 *   and `labels.activeVgpus` (its `Active vGPUs` line): inventory learns of a GPU even when no VM
 *   uses it. All its metrics are null; `vgpu -q` prints none for the physical device.
 * - then one reading of kind `vgpu` per `vGPU ID` block: `busId` of the physical GPU, `vgpuId`,
 *   `vm: {name, uuid}` from `VM Name` and `VM UUID`, `vgpuType` = `vGPU Name` (`GRID P40-6Q`), and
 *   metrics from `FB Memory Usage` (`Total` is the vGPU's framebuffer, `Used`, `Free`) and
 *   `Utilization` (`Gpu`, `Memory`). Labels: `vgpuTypeId` (`vGPU Type`), `vgpuUuid`, `mdevUuid`,
 *   `guestDriverVersion`, `licenseStatus`, `gpuInstanceId` (MIG-backed vGPUs) and `guestBusId` (the
 *   vGPU's `PCI/Bus Id` as the guest sees it), each only when it has a value.
 *
 * Several vGPUs may belong to one VM (same `vm.uuid`). A VM that restarts comes back with a new
 * vGPU ID, so `vgpuId` identifies a vGPU instance, not a VM. `gpuUuid` and `model` stay null: the
 * output names the physical GPU only by its bus id. `Timestamp` is read as UTC (see `readSmiTime`).
 * An `Active vGPUs` count that disagrees with the vGPU blocks found is a problem (a cut capture).
 */
import { emptyReading, type ParseOutcome, type Problem, type Reading } from '../reading';
import { checkCount, qAt, qChild, qDocument, qFind, qNumber, type QNode } from './q-tree';
import { MIB, PERCENT, quote, readBusId, readText, type Units } from './values';

export function parseNvidiaSmiVgpuQ(text: string, options: { host?: string } = {}): ParseOutcome {
  const problems: Problem[] = [];
  const { blocks, timestampMs, driverVersion } = qDocument(text, 'nvidia-smi vgpu -q', problems);
  const readings = blocks.flatMap(({ node, busId: header }) => {
    const gpu = emptyReading('gpu', node.line);
    gpu.busId = readBusId(header, qAt(node, 'GPU'), problems);
    const active = qChild(node, 'Active vGPUs');
    if (active?.value) gpu.labels['activeVgpus'] = active.value;
    const vgpus = vgpuBlocks(node).map((block) => readVgpu(block, gpu.busId, problems));
    checkCount(active, vgpus.length, problems);
    return [gpu, ...vgpus].map((reading) => {
      reading.host = options.host ?? null;
      reading.timestampMs = timestampMs;
      if (driverVersion) reading.labels['driverVersion'] = driverVersion;
      return reading;
    });
  });
  return { readings, problems };
}

/**
 * Each `vGPU ID` line with its fields. nvidia-smi indents the fields beneath the `vGPU ID` line; a
 * capture that lost that indentation lists them as siblings after it, which is read the same way.
 */
function vgpuBlocks(gpu: QNode): QNode[] {
  const blocks: QNode[] = [];
  for (const child of gpu.children) {
    if (child.key.toLowerCase() === 'vgpu id') blocks.push({ ...child, children: [...child.children] });
    else if (blocks.length > 0 && child.key.toLowerCase() !== 'active vgpus')
      blocks.at(-1)!.children.push(child);
  }
  return blocks;
}

function readVgpu(block: QNode, busId: string | null, problems: Problem[]): Reading {
  const reading = emptyReading('vgpu', block.line);
  const text = (...path: string[]) => readText(qFind(block, path)?.node.value);
  const num = (units: Units, ...path: string[]) => qNumber(block, path, units, problems);

  reading.busId = busId;
  reading.vgpuId = readText(block.value);
  if (reading.vgpuId === null) {
    problems.push({ ...qAt(block), message: `no vGPU ID: ${quote(block.value ?? '')}` });
  }
  reading.vm = { name: text('VM Name'), uuid: text('VM UUID') };
  reading.vgpuType = text('vGPU Name');
  const m = reading.metrics;
  m.fbTotalMib = num(MIB, 'FB Memory Usage', 'Total');
  m.fbUsedMib = num(MIB, 'FB Memory Usage', 'Used');
  m.fbFreeMib = num(MIB, 'FB Memory Usage', 'Free');
  m.gpuUtilPct = num(PERCENT, 'Utilization', 'Gpu');
  m.memUtilPct = num(PERCENT, 'Utilization', 'Memory');

  const labels: [string, string | null][] = [
    ['vgpuTypeId', text('vGPU Type')],
    ['vgpuUuid', text('vGPU UUID')],
    ['mdevUuid', text('MDEV UUID')],
    ['guestDriverVersion', text('Guest Driver Version')],
    ['licenseStatus', text('License Status')],
    ['gpuInstanceId', text('GPU Instance ID')],
    ['guestBusId', text('PCI', 'Bus Id')],
  ];
  for (const [name, value] of labels) if (value) reading.labels[name] = value;
  return reading;
}
