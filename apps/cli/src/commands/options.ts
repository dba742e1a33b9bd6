import type { Command } from 'commander';

/** Reports a bad option on stderr, naming it, and exits with code 2 (commander's usage error). */
export function failOption(cmd: Command, option: string, message: string): never {
  cmd.error(`error: option '${option}' ${message}`, { exitCode: 2, code: 'vgpu-twin.invalidOption' });
}
