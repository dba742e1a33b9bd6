import 'reflect-metadata';
import { runMain } from '@vgpu-twin/service-kit';
import { buildProgram } from './program';

runMain(async () => {
  await buildProgram().parseAsync(process.argv);
});
