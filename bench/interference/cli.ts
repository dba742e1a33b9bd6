// Runs `vgpu-twin model …` before the command is wired into apps/cli/src/program.ts:
//   SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register bench/interference/cli.ts model --help
import { Command } from 'commander';
import { registerModelCommands } from '../../apps/cli/src/commands/model';

const program = new Command('vgpu-twin').showHelpAfterError();
registerModelCommands(program);
program.parse(process.argv.slice(2), { from: 'user' });
