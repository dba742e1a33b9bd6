import 'reflect-metadata';
import { bootService, loadConfig, runMain } from '@vgpu-twin/service-kit';
import { NotifierConfigSchema } from './config';
import { NotifierModule } from './notifier.module';

runMain(() => {
  const config = loadConfig(NotifierConfigSchema);
  return bootService({
    name: 'Notifier',
    port: config.NOTIFIER_PORT,
    modules: (_log, logConfig) => [NotifierModule.forRoot(config, logConfig.VGPU_TWIN_DATA_DIR)],
    banner: (url, log) => `dashboard on ${url}/ (log: ${log.EVENT_LOG})`,
  });
});
