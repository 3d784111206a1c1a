import type { Logger } from 'pino';
import { loadConfig, type LoadConfigOptions, type SwitchboardConfig } from '../config/index.js';
import { SwitchboardError } from '../errors/index.js';
import type { ModuleDefinition, SwitchboardContext, Worker } from '../modules/module.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { createMetricsRegistry } from '../shared/metrics.js';
import { createLogger } from './logger.js';
import { allModules } from './modules.js';
import { closePorts, openPorts, portHealth, type PortHealth, type PortName, type Ports } from './ports.js';
import type { SwitchboardServices } from './services.js';

export interface SwitchboardCore {
  readonly config: SwitchboardConfig;
  readonly context: SwitchboardContext;
  readonly ports: Ports;
  /** Every module's services by module name (typed for modules that augment SwitchboardServices). */
  readonly services: SwitchboardServices & Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly modules: readonly ModuleDefinition<any>[];
  /** Each port's health, keyed as in `[store]`; never throws (a failing port reports ok: false). */
  health(): Promise<Record<PortName, PortHealth>>;
  /** The background workers of every module (created, not started). */
  workers(): Worker[];
  /** Starts the workers (what `serve` does); an embedding process may call it too. */
  startWorkers(): Promise<void>;
  /** Stops started workers (they drain and flush), then closes the ports. Idempotent. */
  close(): Promise<void>;
}

/** The library handle: core members plus each module's services as a property (`switchboard.voice`). */
export type Switchboard = SwitchboardCore & SwitchboardServices;

export interface CreateSwitchboardOptions {
  logger?: Logger;
  clock?: Clock;
}

const CORE_KEYS = new Set([
  'config',
  'context',
  'ports',
  'services',
  'modules',
  'health',
  'workers',
  'startWorkers',
  'close',
]);

function isConfig(input: SwitchboardConfig | LoadConfigOptions): input is SwitchboardConfig {
  return 'store' in input && 'server' in input;
}

/**
 * Opens the ports named by the configuration, builds every module's services on them and
 * returns the handle an agent process embeds (the HTTP server is built on the same handle).
 * Nothing is migrated here: `applySchema` (or `switchboard schema apply`) does that.
 */
export async function createSwitchboard(
  input: SwitchboardConfig | LoadConfigOptions = {},
  options: CreateSwitchboardOptions = {},
): Promise<Switchboard> {
  const config = isConfig(input) ? input : loadConfig(input);
  const logger = options.logger ?? createLogger(config);
  const metrics = createMetricsRegistry({ processMetrics: true });
  const ports = await openPorts(config, { registry: metrics, logger });
  const context: SwitchboardContext = {
    config,
    ...ports,
    metrics,
    logger,
    clock: options.clock ?? systemClock,
  };

  const modules = allModules();
  const services: Record<string, unknown> = {};
  const workers: Worker[] = [];
  try {
    for (const m of modules) {
      if (CORE_KEYS.has(m.name)) throw new Error(`Module name ${m.name} collides with a Switchboard member`);
      services[m.name] = m.createServices(context);
    }
    for (const m of modules) workers.push(...(m.workers?.(services[m.name], context) ?? []));
  } catch (error) {
    await closePorts(ports, logger);
    throw error;
  }

  const started: Worker[] = [];
  let closing: Promise<void> | undefined;

  const core: SwitchboardCore = {
    config,
    context,
    ports,
    services: services as SwitchboardServices & Record<string, unknown>,
    modules,
    health: () => portHealth(ports, config.server.ready_timeout_ms),
    workers: () => [...workers],
    async startWorkers() {
      if (closing) throw new SwitchboardError('SHUTTING_DOWN');
      for (const worker of workers) {
        if (started.includes(worker)) continue;
        await worker.start();
        started.push(worker);
        logger.info({ worker: worker.name }, 'worker started');
      }
    },
    close() {
      closing ??= (async () => {
        // Reverse order: a worker may feed one started before it.
        for (const worker of [...started].reverse()) {
          try {
            await worker.stop();
            logger.info({ worker: worker.name }, 'worker stopped');
          } catch (error) {
            logger.error({ err: error, worker: worker.name }, 'worker did not stop cleanly');
          }
        }
        await closePorts(ports, logger);
      })();
      return closing;
    },
  };
  return Object.assign(core, services) as unknown as Switchboard;
}
