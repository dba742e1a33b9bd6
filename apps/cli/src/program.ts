import { Command } from 'commander';
import { registerAgentCommand } from './commands/agent';
import { registerKeysCommands } from './commands/keys';
import { registerModelCommands } from './commands/model';
import { registerPlaceCommands } from './commands/place';
import { registerReplayCommand } from './commands/replay';
import { registerSilenceCommands } from './commands/silence';
import { registerSimCommands } from './commands/sim';
import { registerStartCommand } from './commands/start';
import { registerTelemetryCommands } from './commands/telemetry';

export function buildProgram(): Command {
  const program = new Command('vgpu-twin')
    .description(
      'Event-sourced digital twin of GPU clusters shared by vGPU VMs: predicts, measures and explains interference.',
    )
    .version('0.1.0')
    .showHelpAfterError();
  registerStartCommand(program);
  registerSimCommands(program);
  registerReplayCommand(program);
  registerPlaceCommands(program);
  registerModelCommands(program);
  registerTelemetryCommands(program);
  registerAgentCommand(program);
  registerKeysCommands(program);
  registerSilenceCommands(program);
  return program;
}
