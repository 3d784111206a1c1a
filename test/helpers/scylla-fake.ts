import { loadConfig } from '../../src/config/index.js';
import { ScyllaWideColumnEngine } from '../../src/ports/wide-column/scylla/engine.js';
import type { CqlExecutor } from '../../src/ports/wide-column/scylla/executor.js';

/**
 * The ScyllaDB engine over a stand-in for its executor (no server): unit tests see the
 * statements, classes and batches the engine would send. `executor` gives the methods the
 * test needs; `preparedStatements` is provided.
 */
export function engineOver(executor: Partial<Record<keyof CqlExecutor, unknown>>): ScyllaWideColumnEngine {
  return new ScyllaWideColumnEngine(
    { preparedStatements: () => 0, ...executor } as unknown as CqlExecutor,
    loadConfig({ env: {}, path: undefined }).scylla,
    { keyspace: 'ks', flavor: 'scylla', replication: { strategy: 'SimpleStrategy', factor: 1 } },
    undefined,
  );
}
