import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SwitchboardConfig } from '../../config/index.js';
import type { WideColumnEngine } from './engine.js';
import { createEmbeddedEngine } from './embedded/engine.js';

/**
 * Opens the wide-column engine the configuration names. Both factories wrap their engine with
 * `instrumentEngine` when given the registry (same metric names, label `engine` tells them
 * apart), so it is not wrapped again here: that would count every operation twice. Callers get
 * the port's interface only and never learn which engine it is.
 */
export async function openWideColumnEngine(
  config: SwitchboardConfig,
  deps: {
    registry: Registry;
    logger?: Logger;
    /** False for a second engine on the same store in this process: no purge, no checkpoints. */
    maintenance?: boolean;
  },
): Promise<WideColumnEngine> {
  if (config.store.wide_column === 'scylladb') {
    // Loaded on demand so the embedded default never loads cassandra-driver.
    const { createScyllaEngine } = await import('./scylla/engine.js');
    return createScyllaEngine(config.scylla, {
      registry: deps.registry,
      ...(deps.logger ? { logger: deps.logger } : {}),
    });
  }
  return createEmbeddedEngine({
    path: join(config.store.data_dir, 'wide-column.db'),
    purgeIntervalMs: deps.maintenance === false ? 0 : config.store.purge_interval_ms,
    checkpoints: deps.maintenance !== false,
    registry: deps.registry,
  });
}
