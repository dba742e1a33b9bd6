export { NotifierModule } from './notifier.module';
export { NotifierConfigSchema, type NotifierConfig } from './config';
export { DashboardReadModel } from './read-model';
