import { Command, CommanderError } from 'commander';

export interface CliRun {
  readonly out: string;
  readonly err: string;
  readonly exitCode: number;
  /** stdout parsed as JSON when the command succeeded and printed an object. */
  readonly json: unknown;
}

/**
 * Runs one `vgpu-twin <command> …` in-process (synchronous commands) with stdout and stderr
 * captured, and commander's exits turned into an exit code.
 */
export function runCli(register: (program: Command) => void, args: readonly string[]): CliRun {
  const c = capture(register);
  try {
    c.program.parse([...args], { from: 'user' });
  } catch (e) {
    c.fail(e);
  }
  return c.done();
}

/** `runCli` for commands whose actions are async (they post, stream or wait). */
export async function runCliAsync(
  register: (program: Command) => void,
  args: readonly string[],
): Promise<CliRun> {
  const c = capture(register);
  try {
    await c.program.parseAsync([...args], { from: 'user' });
  } catch (e) {
    c.fail(e);
  }
  return c.done();
}

function capture(register: (program: Command) => void) {
  let out = '';
  let err = '';
  let exitCode = 0;
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out += c.toString();
    return true;
  });
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    err += c.toString();
    return true;
  });
  const program = new Command('vgpu-twin')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  register(program);
  return {
    program,
    fail(e: unknown): void {
      if (!(e instanceof CommanderError)) {
        so.mockRestore();
        se.mockRestore();
        throw e;
      }
      exitCode = e.exitCode;
    },
    done(): CliRun {
      so.mockRestore();
      se.mockRestore();
      return { out, err, exitCode, json: exitCode === 0 ? oneJson(out) : undefined };
    },
  };
}

/** stdout as one JSON object, or undefined (nothing, text, or NDJSON: several documents). */
function oneJson(out: string): unknown {
  if (!out.trim().startsWith('{')) return undefined;
  try {
    return JSON.parse(out) as unknown;
  } catch {
    return undefined;
  }
}
