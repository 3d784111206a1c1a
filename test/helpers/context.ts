import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig, type SwitchboardConfig } from '../../src/config/index.js';
import type { SwitchboardContext } from '../../src/modules/module.js';
import { createEmbeddedEventLog } from '../../src/ports/event-log/embedded/log.js';
import { createMemoryHotState } from '../../src/ports/hot-state/embedded/memory.js';
import { createSqliteRelationalStore } from '../../src/ports/relational/sqlite.js';
import { createEmbeddedEngine } from '../../src/ports/wide-column/embedded/engine.js';
import { createMetricsRegistry } from '../../src/shared/metrics.js';
import { systemClock, type Clock } from '../../src/shared/clock.js';

export interface TestContext extends SwitchboardContext {
  dataDir: string;
  cleanup(): Promise<void>;
}

/**
 * A context on the embedded ports in a fresh temporary data directory, for module tests.
 * Pass `config` overrides for module settings; ports are always embedded here (the contract
 * suites cover the scale-out adapters).
 */
export async function createTestContext(
  options: { env?: NodeJS.ProcessEnv; clock?: Clock; dataDir?: string } = {},
): Promise<TestContext> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  const config: SwitchboardConfig = loadConfig({ env: { SWITCHBOARD_STORE_DATA_DIR: dataDir, ...options.env }, path: undefined });
  const metrics = createMetricsRegistry();
  const wideColumn = await createEmbeddedEngine({ path: join(dataDir, 'wide-column.db'), registry: metrics });
  const relational = await createSqliteRelationalStore({ path: join(dataDir, 'relational.db'), registry: metrics });
  const hotState = createMemoryHotState({ registry: metrics });
  const eventLog = await createEmbeddedEventLog({ path: join(dataDir, 'event-log.db'), registry: metrics, config });
  const ownsDir = options.dataDir === undefined;
  return {
    config,
    wideColumn,
    relational,
    hotState,
    eventLog,
    metrics,
    logger: pino({ level: 'silent' }),
    clock: options.clock ?? systemClock,
    dataDir,
    async cleanup() {
      await eventLog.close();
      await hotState.close();
      await relational.close();
      await wideColumn.close();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
