import type { ModuleDefinition } from '../module.js';
import { messagingMigrations } from './migrations.js';
import { messagingRoutes } from './http/routes.js';
import { createMessagingServices, type MessagingServices } from './services.js';
import { messagingTables } from './tables.js';
import { searchRoutes } from './search/routes.js';
import { telegramRoutes } from './telegram/routes.js';
import { templateRoutes } from './templates/routes.js';

/**
 * Discord-style messaging (seed 003): Snowflake ids, (channel, 10-day bucket) partitions,
 * reactions, pins, read positions; chat metadata relational; typing and presence hot.
 */
export const messagingModule: ModuleDefinition<MessagingServices> = {
  name: 'messaging',
  tables: messagingTables,
  migrations: messagingMigrations,
  createServices: (context) => createMessagingServices(context),
  routes: (app, services, context) => {
    messagingRoutes(app, services, context);
    searchRoutes(app, services.search);
    templateRoutes(app, services.templates);
    telegramRoutes(app, services.telegram);
  },
  workers: (services) => [
    {
      // Taking the worker-id lease at start makes `serve` refuse to run beside a process with the same id.
      name: 'messaging-snowflake-lease',
      start: async () => {
        await services.ids.start();
      },
      stop: () => services.ids.stop(),
      // Sends are refused (503 ID_LEASE_UNAVAILABLE) while no live lease is held: /ready says so.
      health: () => services.ids.health(),
    },
    {
      // Applies the effects outbox (search index) as sends commit; /ready shows its lag.
      name: 'messaging-effects',
      start: () => services.effects.start(),
      stop: () => services.effects.stop(),
      health: () => Promise.resolve(services.effects.health()),
    },
    {
      // Relays the durable Telegram outbox; stopping waits for the send in flight, the rest stays pending.
      name: 'messaging-telegram-mirror',
      start: () => services.telegram.mirror.start(),
      stop: () => services.telegram.mirror.stop(),
    },
  ],
};

export { createMessagingServices, type MessagingServices, type MessagingOptions } from './services.js';
export { SnowflakeGenerator, type TimeSource } from './snowflake.js';
export { composeId, decomposeId, idToTime, minIdAt, parseId, formatId, SNOWFLAKE_EPOCH_MS } from './ids.js';
export { BUCKET_MS, bucketOfId, bucketOfTime, minIdOfBucket, maxIdOfBucket } from './buckets.js';
export { messagingTables } from './tables.js';
export type * from './types.js';

declare module '../../app/services.js' {
  interface SwitchboardServices {
    messaging: MessagingServices;
  }
}
