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
  deps: { registry: Registry; logger?: Logger },
): Promise<WideColumnEngine> {
  if (config.store.wide_column === 'scylladb') {
    // Loaded on demand so the embedded default never loads cassandra-driver.
    const { createScyllaEngine } = await import('./scylla/engine.js');
    return createScyllaEngine(config.scylla, deps);
  }
  return createEmbeddedEngine({
    path: join(config.store.data_dir, 'wide-column.db'),
    purgeIntervalMs: config.store.purge_interval_ms,
    registry: deps.registry,
  });
}
