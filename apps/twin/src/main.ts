import 'reflect-metadata';
import { bootService, loadConfig, runMain } from '@vgpu-twin/service-kit';
import { TwinConfigSchema } from './config';
import { TwinModule } from './twin.module';

runMain(() => {
  const config = loadConfig(TwinConfigSchema);
  return bootService({
    name: 'Twin',
    port: config.TWIN_PORT,
    modules: (_log, logConfig) => [TwinModule.forRoot(config, logConfig.VGPU_TWIN_DATA_DIR)],
    banner: (url, log) => `twin consuming (log: ${log.EVENT_LOG}); status on ${url}/v1/twin/status`,
  });
});
