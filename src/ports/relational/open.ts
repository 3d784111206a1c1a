import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SwitchboardConfig } from '../../config/index.js';
import { createPostgresRelationalStore } from './postgres.js';
import { createSqliteRelationalStore } from './sqlite.js';
import type { RelationalStore } from './store.js';

/** Opens the relational store `[store] relational` names. Migrations are not applied here. */
export async function openRelationalStore(
  config: SwitchboardConfig,
  deps: { registry: Registry; logger?: Logger },
): Promise<RelationalStore> {
  if (config.store.relational === 'postgres') {
    const pg = config.postgres;
    const store = await createPostgresRelationalStore({
      url: pg.url,
      poolSize: pg.pool_size,
      statementTimeoutMs: pg.statement_timeout_ms,
      ...(pg.schema !== undefined ? { schema: pg.schema } : {}),
      registry: deps.registry,
    });
    deps.logger?.info(
      { port: 'relational', adapter: 'postgres', schema: pg.schema ?? 'public' },
      'relational store open',
    );
    return store;
  }
  const path = join(config.store.data_dir, 'relational.db');
  const store = await createSqliteRelationalStore({ path, registry: deps.registry });
  deps.logger?.info({ port: 'relational', adapter: 'sqlite', path }, 'relational store open');
  return store;
}
