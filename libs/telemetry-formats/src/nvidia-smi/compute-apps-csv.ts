/**
 * `nvidia-smi --query-compute-apps=… --format=csv[,nounits]`: one reading per process, kind `gpu`
 * (the GPU the process runs on, named by `gpu_uuid` and `gpu_bus_id`), with `process: {pid, name}`
 * and `metrics.fbUsedMib` = `used_memory` (printed `used_gpu_memory`): the framebuffer memory that
 * one process holds, not the GPU's total. Every other metric is null. An idle GPU prints the header
 * alone: no readings and no problems.
 */
import { emptyReading, type ParseOutcome, type Problem } from '../reading';
import { columnUnits, findColumn, readSmiCsv, type CsvColumn } from './csv';
import { MIB, readBusId, readCount, readNumber, readText, readTimestamp } from './values';

const KNOWN = ['pid', 'gpu_uuid', 'gpu_bus_id', 'process_name', 'used_memory', 'used_gpu_memory'];

export function parseComputeAppsCsv(text: string, options: { host?: string } = {}): ParseOutcome {
  const problems: Problem[] = [];
  const table = readSmiCsv(text, KNOWN, problems);
  if (!table) return { readings: [], problems, refused: true };

  const col = (...names: string[]) => findColumn(table, ...names);
  const uuid = col('gpu_uuid');
  const bus = col('gpu_bus_id');
  const gpuName = col('gpu_name');
  const pid = col('pid');
  const processName = col('process_name', 'name');
  const timestamp = col('timestamp');
  const memory = col('used_gpu_memory', 'used_memory');
  const memoryUnits = memory && columnUnits(table, memory, MIB, problems);

  const readings = table.rows.map(({ line, fields }) => {
    const cell = (c: CsvColumn | null) => (c ? (fields[c.index] ?? '') : '');
    const reading = emptyReading('gpu', line);
    reading.gpuUuid = readText(cell(uuid));
    reading.busId = bus && readBusId(cell(bus), { line, field: bus.name }, problems);
    reading.model = readText(cell(gpuName));
    reading.host = options.host ?? null;
    reading.timestampMs =
      timestamp && readTimestamp(cell(timestamp), { line, field: timestamp.name }, problems);
    reading.process = {
      pid: pid && readCount(cell(pid), { line, field: pid.name }, problems),
      name: readText(cell(processName)),
    };
    if (memory && memoryUnits) {
      reading.metrics.fbUsedMib = readNumber(
        cell(memory),
        memoryUnits,
        { line, field: memory.name },
        problems,
      );
    }
    return reading;
  });
  return { readings, problems };
}
