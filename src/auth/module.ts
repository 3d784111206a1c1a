import type { ModuleDefinition } from '../modules/module.js';
import { ApiKeyService } from './key-service.js';
import { authMigrations } from './migrations.js';
import { authRoutes } from './routes.js';

export interface AuthServices {
  keys: ApiKeyService;
}

/**
 * Access control as a platform module: its migration (api_keys), the key service and the
 * key administration routes. `createSwitchboard` always includes it ahead of the domain
 * modules, and the server's /v1 guard uses its service.
 */
export const authModule: ModuleDefinition<AuthServices> = {
  name: 'auth',
  tables: [],
  migrations: authMigrations,
  createServices(context) {
    return {
      keys: new ApiKeyService({
        relational: context.relational,
        clock: context.clock,
        logger: context.logger.child({ module: 'auth' }),
        configuredKeys: context.config.auth.keys,
        cacheTtlMs: context.config.auth.cache_ttl_ms,
        staleWindowMs: context.config.auth.stale_key_window_ms,
      }),
    };
  },
  routes(app, services) {
    authRoutes(app, services);
  },
};
