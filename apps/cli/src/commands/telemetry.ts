import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  parseTelemetry,
  TELEMETRY_FORMATS,
  type Reading,
  type TelemetryFormat,
} from '@vgpu-twin/telemetry-formats';
import { readFileSync } from 'node:fs';
import { failOption } from './options';

/** One reading as `telemetry parse` prints it: the contract's fields first, then where it came from. */
export function readingLine(r: Reading): string {
  return JSON.stringify({
    kind: r.kind,
    gpuUuid: r.gpuUuid,
    gpuIndex: r.gpuIndex,
    busId: r.busId,
    model: r.model,
    host: r.host,
    vm: r.vm,
    vgpuId: r.vgpuId,
    vgpuType: r.vgpuType,
    metrics: r.metrics,
    line: r.line,
    timestampMs: r.timestampMs,
    mig: r.mig,
    process: r.process,
    pods: r.pods,
    labels: r.labels,
  });
}

const FORMAT_CHOICES: readonly string[] = ['auto', ...TELEMETRY_FORMATS];

/** commander's `choices` refuses with exit code 1, the code of "no readings" here: a bad option exits 2. */
function formatChoice(value: string): string {
  if (FORMAT_CHOICES.includes(value)) return value;
  const e = new InvalidArgumentError(`Allowed choices are ${FORMAT_CHOICES.join(', ')}.`);
  e.exitCode = 2;
  throw e;
}

/**
 * `vgpu-twin telemetry parse [--format F] FILE`: a capture of dcgm-exporter or nvidia-smi as one
 * JSON reading per line on stdout, problems on stderr as `FILE:LINE: message`. Exit 0 when at least
 * one reading was read, 1 when none was (or the text was refused), 2 for a bad option.
 */
export function registerTelemetryCommands(program: Command): void {
  const telemetry = program
    .command('telemetry')
    .description('Real telemetry captures: dcgm-exporter, Prometheus text, nvidia-smi and nvidia-smi vgpu');
  telemetry
    .command('parse')
    .description(
      'Parse a capture (dcgm-exporter /metrics, nvidia-smi --query-gpu/--query-compute-apps CSV, -q, -q -x, vgpu -q, dmon) ' +
        'into one JSON reading per line; problems go to stderr as FILE:LINE: message. FILE - reads stdin.',
    )
    .addOption(
      new Option('--format <format>', 'the capture format; auto detects it')
        .choices(FORMAT_CHOICES)
        .argParser(formatChoice)
        .default('auto'),
    )
    .option('--host <host>', 'the host the capture comes from, for readings that name none')
    .argument('<file>', 'the capture file, or - for stdin')
    .action(function (this: Command, file: string) {
      const opts = this.opts<{ format: TelemetryFormat | 'auto'; host?: string }>();
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (e) {
        failOption(
          this,
          '<file>',
          `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      const parsed = parseTelemetry(text, opts.format, opts.host !== undefined ? { host: opts.host } : {});
      const name = file === '-' ? '<stdin>' : file;
      for (const p of parsed.problems)
        process.stderr.write(
          `${name}:${p.line}: ${p.field !== undefined ? `${p.field}: ` : ''}${p.message}\n`,
        );
      const out = parsed.readings.map((r) => `${readingLine(r)}\n`).join('');
      process.stdout.write(out);
      if (parsed.readings.length === 0) {
        process.stderr.write(
          parsed.refused
            ? `${name}: not valid ${parsed.format} text: nothing was read\n`
            : `${name}: no readings in it (read as ${parsed.format}${opts.format === 'auto' ? ', detected' : ''}); try --format\n`,
        );
        process.exitCode = 1;
      }
    });
}
