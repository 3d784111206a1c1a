import type { ModuleDefinition } from '../module.js';
import { callcenterRoutes } from './http/routes.js';
import { callcenterMigrations } from './migrations.js';
import { createCallCenterServices, type CallCenterServices } from './services.js';
import { createSweepWorker } from './sweeper.js';

/**
 * The call center (seed 001): agents with skills and a status state machine, a priority
 * queue, atomic assignment, the call lifecycle with durable records, and analytics.
 */
export const callcenterModule: ModuleDefinition<CallCenterServices> = {
  name: 'callcenter',
  tables: [],
  migrations: callcenterMigrations,
  topics: (config) => (config.callcenter.mode === 'hybrid' ? [{ name: config.callcenter.events_topic }] : []),
  createServices: (context) => createCallCenterServices(context),
  routes: (app, services, context) => callcenterRoutes(app, services, context),
  workers: (services, context) => [
    createSweepWorker(services.sweeper, {
      intervalMs: context.config.callcenter.sweep_interval_ms,
      logger: context.logger.child({ module: 'callcenter', worker: 'sweeper' }),
    }),
    ...(services.sync ? [services.sync] : []),
  ],
};

export { createCallCenterServices, type CallCenterServices, type CallCenterOptions } from './services.js';
export { callcenterMigrations } from './migrations.js';
export type * from './types.js';
export type { Analytics, AnalyticsQuery, Figures, RealTimeView } from './analytics.js';
export type { CallCenterEvent } from './events.js';

declare module '../../app/services.js' {
  interface SwitchboardServices {
    callcenter: CallCenterServices;
  }
}
