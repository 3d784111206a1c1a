import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig, type SwitchboardConfig } from '../../src/config/index.js';
import type { SwitchboardContext } from '../../src/modules/module.js';
import { openEventLog } from '../../src/ports/event-log/open.js';
import type { EventLog } from '../../src/ports/event-log/log.js';
import { openHotState } from '../../src/ports/hot-state/open.js';
import type { HotState } from '../../src/ports/hot-state/store.js';
import { openRelationalStore } from '../../src/ports/relational/open.js';
import type { RelationalStore } from '../../src/ports/relational/store.js';
import { openWideColumnEngine } from '../../src/ports/wide-column/open.js';
import type { WideColumnEngine } from '../../src/ports/wide-column/engine.js';
import { createMetricsRegistry } from '../../src/shared/metrics.js';
import { systemClock, type Clock } from '../../src/shared/clock.js';
import { backendEnv, prepareScaleOut } from './backends.js';

export interface TestContext extends SwitchboardContext {
  dataDir: string;
  cleanup(): Promise<void>;
}

/**
 * A context for module tests, opened from configuration like `createSwitchboard` does: the
 * embedded ports in a fresh temporary data directory, or, in the `modules (scale-out)` test
 * project, the configured ScyllaDB / PostgreSQL / Redis / Kafka (see backends.ts). Pass `env`
 * for module settings. Passing the same `dataDir` again reopens the same state.
 */
export async function createTestContext(
  options: { env?: NodeJS.ProcessEnv; clock?: Clock; dataDir?: string } = {},
): Promise<TestContext> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  await prepareScaleOut(dataDir);
  const config: SwitchboardConfig = loadConfig({
    env: { SWITCHBOARD_STORE_DATA_DIR: dataDir, ...backendEnv(dataDir), ...options.env },
    path: undefined,
  });
  const metrics = createMetricsRegistry();
  const logger = pino({ level: process.env.SWITCHBOARD_TEST_LOG_LEVEL ?? 'silent' });
  const opened: { close(): Promise<void> }[] = [];
  const open = async <T extends { close(): Promise<void> }>(port: Promise<T>): Promise<T> => {
    const value = await port;
    opened.push(value);
    return value;
  };
  try {
    const wideColumn: WideColumnEngine = await open(
      openWideColumnEngine(config, { registry: metrics, logger }),
    );
    const relational: RelationalStore = await open(
      openRelationalStore(config, { registry: metrics, logger }),
    );
    const hotState: HotState = await open(openHotState(config, { registry: metrics, logger }));
    const eventLog: EventLog = await open(openEventLog(config, { registry: metrics, logger }));
    const ownsDir = options.dataDir === undefined;
    return {
      config,
      wideColumn,
      relational,
      hotState,
      eventLog,
      metrics,
      logger,
      clock: options.clock ?? systemClock,
      dataDir,
      async cleanup() {
        for (const port of opened.reverse()) await port.close();
        if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const port of opened.reverse()) await port.close().catch(() => undefined);
    throw error;
  }
}
