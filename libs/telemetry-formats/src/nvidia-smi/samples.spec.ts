import { readdirSync } from 'node:fs';
import { type ParseOutcome } from '../reading';
import { parseComputeAppsCsv } from './compute-apps-csv';
import { parseDmon } from './dmon';
import { parseNvidiaSmiQ } from './q-text';
import { parseQueryGpuCsv } from './query-gpu-csv';
import { invariantViolations, readFixture, readSample, SAMPLES_DIR } from './testing/samples';
import { parseNvidiaSmiVgpuQ } from './vgpu-q';
import { parseNvidiaSmiXml } from './xml';

type Parser = (text: string) => ParseOutcome;

/** Every nvidia-smi capture in shared/data/telemetry, its parser and how many readings it holds. */
const SAMPLES: Record<string, [Parser, number]> = {
  'nvidia-smi-query-gpu-h100-load.csv': [parseQueryGpuCsv, 1],
  'nvidia-smi-query-gpu-l40s-load.csv': [parseQueryGpuCsv, 1],
  'nvidia-smi-query-compute-apps-h100-load.csv': [parseComputeAppsCsv, 3],
  'nvidia-smi-query-compute-apps-h200-idle-empty.csv': [parseComputeAppsCsv, 0],
  'nvidia-smi-q-h100-load.txt': [parseNvidiaSmiQ, 1],
  'nvidia-smi-q-vgpu-guest-grid-v100d-8c.txt': [parseNvidiaSmiQ, 1],
  'nvidia-smi-q-x-8x-h100.xml': [parseNvidiaSmiXml, 8],
  'nvidia-smi-q-x-aws-g4dn-t4-passthrough.xml': [parseNvidiaSmiXml, 1],
  'nvidia-smi-dmon-h100-load.txt': [parseDmon, 5],
};

const FIXTURES: Record<string, [Parser, number]> = {
  'vgpu-q-2gpu-3vm.txt': [parseNvidiaSmiVgpuQ, 6], // 2 GPUs + 4 vGPUs
  'vgpu-q-restart.txt': [parseNvidiaSmiVgpuQ, 6],
  'vgpu-q-empty.txt': [parseNvidiaSmiVgpuQ, 2], // 2 GPUs, no vGPU
};

describe('the nvidia-smi captures', () => {
  it('has a parser for every nvidia-smi capture in the shared folder', () => {
    const captures = readdirSync(SAMPLES_DIR).filter((f) => f.startsWith('nvidia-smi-'));
    expect(captures.sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(Object.entries(SAMPLES))('reads %s with no problems', (name, [parse, count]) => {
    const text = readSample(name);
    const outcome = parse(text);
    expect(outcome.problems).toEqual([]);
    expect(outcome.readings).toHaveLength(count);
    expect(invariantViolations(text, outcome)).toEqual([]);
  });

  it.each(Object.entries(FIXTURES))('reads fixture %s with no problems', (name, [parse, count]) => {
    const text = readFixture(name);
    const outcome = parse(text);
    expect(outcome.problems).toEqual([]);
    expect(outcome.readings).toHaveLength(count);
    expect(invariantViolations(text, outcome)).toEqual([]);
  });
});
