/**
 * `nvidia-smi -q` (text): one reading (kind `gpu`) per `GPU 00000000:xx:00.0` block.
 *
 * Read from each block: `Product Name`, `GPU UUID`, `PCI/Bus Id` (else the block header),
 * `Utilization/GPU` and `/Memory`, `FB Memory Usage/Total`, `/Used`, `/Free`, `PCI/Rx Throughput`
 * and `/Tx Throughput` (KB/s → MB/s), `Clocks/SM`, `GPU Power Readings` (older drivers:
 * `Power Readings`) `Power Draw`, else `Average Power Draw`, else `Instantaneous Power Draw`, and
 * `Temperature/GPU Current Temp`. `gpuIndex` stays null: `-q` prints no index, and `Minor Number`
 * (the /dev/nvidiaN number, kept in `labels.minorNumber`) need not be the index nvidia-smi's
 * other commands use.
 *
 * Labels: `driverVersion`, `minorNumber`, `virtualizationMode` (`None`, `Pass-Through`, `VGPU` in a
 * vGPU guest, `Host VGPU` on a vGPU host), `hostVgpuMode`, the vGPU licence (`vgpuLicensedProduct`,
 * `vgpuLicenseStatus`), and `clocksEventReasons`: the active `Clocks Event Reasons` (formerly
 * `Clocks Throttle Reasons`), snake_case, comma-joined, '' when none is active.
 *
 * Inside a vGPU guest the block is the device the guest sees (`GRID V100D-8C`): still kind `gpu`,
 * with `vgpuType` set to that product name; the guest cannot see its VM's name or vGPU id.
 * `Timestamp` is read as UTC (see `readSmiTime`). `N/A` and the other notes are null.
 */
import { emptyReading, type ParseOutcome, type Problem, type Reading } from '../reading';
import { qAt, qChild, qDocument, qFind, qNumber, type QNode } from './q-tree';
import {
  CELSIUS,
  clockReasonName,
  KBPS_AS_MBPS,
  labelClockReasons,
  MHZ,
  MIB,
  PERCENT,
  readBusId,
  readText,
  WATTS,
  type Units,
} from './values';

export function parseNvidiaSmiQ(text: string, options: { host?: string } = {}): ParseOutcome {
  const problems: Problem[] = [];
  const { blocks, timestampMs, driverVersion } = qDocument(text, 'nvidia-smi -q', problems);
  const readings = blocks.map(({ node, busId }) => {
    const reading = readGpuBlock(node, busId, problems);
    reading.host = options.host ?? null;
    reading.timestampMs = timestampMs;
    if (driverVersion) reading.labels['driverVersion'] = driverVersion;
    return reading;
  });
  return { readings, problems };
}

function readGpuBlock(block: QNode, headerBusId: string, problems: Problem[]): Reading {
  const reading = emptyReading('gpu', block.line);
  const num = (units: Units, ...path: (string | string[])[]) => qNumber(block, path, units, problems);
  const text = (...path: (string | string[])[]) => readText(qFind(block, path)?.node.value);

  const pciBus = qFind(block, ['PCI', 'Bus Id']);
  reading.busId =
    (pciBus?.node.value && readBusId(pciBus.node.value, qAt(pciBus.node, pciBus.field), problems)) ||
    readBusId(headerBusId, qAt(block, 'GPU'), problems);
  reading.model = text('Product Name');
  reading.gpuUuid = text('GPU UUID');
  const m = reading.metrics;
  m.gpuUtilPct = num(PERCENT, 'Utilization', 'GPU');
  m.memUtilPct = num(PERCENT, 'Utilization', 'Memory');
  m.fbTotalMib = num(MIB, 'FB Memory Usage', 'Total');
  m.fbUsedMib = num(MIB, 'FB Memory Usage', 'Used');
  m.fbFreeMib = num(MIB, 'FB Memory Usage', 'Free');
  m.pcieRxMBps = num(KBPS_AS_MBPS, 'PCI', 'Rx Throughput');
  m.pcieTxMBps = num(KBPS_AS_MBPS, 'PCI', 'Tx Throughput');
  m.smClockMhz = num(MHZ, 'Clocks', 'SM');
  m.tempC = num(CELSIUS, 'Temperature', 'GPU Current Temp');
  const powerGroup = ['GPU Power Readings', 'Power Readings'];
  const power = ['Power Draw', 'Average Power Draw', 'Instantaneous Power Draw'].map((key) =>
    num(WATTS, powerGroup, key),
  );
  m.powerW = power.find((w) => w !== null) ?? null;

  const labels: [string, string | null][] = [
    ['minorNumber', text('Minor Number')],
    ['virtualizationMode', text('GPU Virtualization Mode', 'Virtualization Mode')],
    ['hostVgpuMode', text('GPU Virtualization Mode', 'Host VGPU Mode')],
    ['vgpuLicensedProduct', text('vGPU Software Licensed Product', 'Product Name')],
    ['vgpuLicenseStatus', text('vGPU Software Licensed Product', 'License Status')],
  ];
  for (const [name, value] of labels) if (value) reading.labels[name] = value;
  const reasons = qChild(block, 'Clocks Event Reasons', 'Clocks Throttle Reasons');
  labelClockReasons(
    reading.labels,
    descendants(reasons).map((n) => ({ name: clockReasonName(n.key), state: n.value ?? '' })),
  );
  if (reading.labels['virtualizationMode']?.toUpperCase() === 'VGPU') reading.vgpuType = reading.model;
  return reading;
}

function descendants(node: QNode | undefined): QNode[] {
  if (!node) return [];
  return node.children.flatMap((c) => [...(c.value !== null ? [c] : []), ...descendants(c)]);
}
