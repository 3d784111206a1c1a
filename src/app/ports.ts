import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SwitchboardConfig } from '../config/index.js';
import type { EventLog } from '../ports/event-log/log.js';
import { openEventLog } from '../ports/event-log/open.js';
import type { HotState } from '../ports/hot-state/store.js';
import { openHotState } from '../ports/hot-state/open.js';
import { openRelationalStore } from '../ports/relational/open.js';
import type { RelationalStore } from '../ports/relational/store.js';
import type { HealthReport, WideColumnEngine } from '../ports/wide-column/engine.js';
import { openWideColumnEngine } from '../ports/wide-column/open.js';

export interface Ports {
  wideColumn: WideColumnEngine;
  relational: RelationalStore;
  hotState: HotState;
  eventLog: EventLog;
}

/** Port names as in `[store]` and in /ready. */
export type PortName = 'wide_column' | 'relational' | 'hot_state' | 'event_log';

export const PORT_KEYS: readonly { name: PortName; key: keyof Ports }[] = [
  { name: 'wide_column', key: 'wideColumn' },
  { name: 'relational', key: 'relational' },
  { name: 'hot_state', key: 'hotState' },
  { name: 'event_log', key: 'eventLog' },
];

export interface PortHealth extends HealthReport {
  /** Which adapter serves the port (embedded, postgres, redis, ...). */
  engine: string;
}

/**
 * Opens the four ports from configuration, in order; when one fails, the ones already
 * opened are closed before the error is rethrown, so a failed start leaks no connection.
 */
export async function openPorts(
  config: SwitchboardConfig,
  deps: { registry: Registry; logger: Logger },
): Promise<Ports> {
  const opened: { close(): Promise<void> }[] = [];
  const open = async <P extends { close(): Promise<void> }>(fn: () => Promise<P> | P): Promise<P> => {
    const port = await fn();
    opened.push(port);
    return port;
  };
  try {
    const wideColumn = await open(() =>
      openWideColumnEngine(config, {
        registry: deps.registry,
        logger: deps.logger,
      }),
    );
    const relational = await open(() =>
      openRelationalStore(config, {
        registry: deps.registry,
        logger: deps.logger,
      }),
    );
    const hotState = await open(() => openHotState(config, { registry: deps.registry, logger: deps.logger }));
    const eventLog = await open(() => openEventLog(config, { registry: deps.registry, logger: deps.logger }));
    return { wideColumn, relational, hotState, eventLog };
  } catch (error) {
    for (const port of opened.reverse()) {
      await port.close().catch((closeError: unknown) => {
        deps.logger.warn({ err: closeError }, 'closing a port after a failed start failed');
      });
    }
    throw error;
  }
}

/** Closes ports in reverse opening order; every port gets its close even if one fails. */
export async function closePorts(ports: Ports, logger: Logger): Promise<void> {
  for (const { name, key } of [...PORT_KEYS].reverse()) {
    try {
      await ports[key].close();
    } catch (error) {
      logger.error({ err: error, port: name }, 'closing a port failed');
    }
  }
}

function engineOf(ports: Ports, key: keyof Ports): string {
  if (key === 'relational') return ports.relational.dialect === 'sqlite' ? 'embedded' : 'postgres';
  return ports[key].kind;
}

/** Each port's health, bounded by `timeoutMs` so one hung engine cannot hang /ready. */
export async function portHealth(ports: Ports, timeoutMs: number): Promise<Record<PortName, PortHealth>> {
  const entries = await Promise.all(
    PORT_KEYS.map(async ({ name, key }) => {
      const started = performance.now();
      const report = await withTimeout(ports[key].health(), timeoutMs).catch(
        (error: unknown): HealthReport => ({
          ok: false,
          detail: error instanceof Error ? error.message : String(error),
          latencyMs: Math.round(performance.now() - started),
        }),
      );
      return [name, { ...report, engine: engineOf(ports, key) }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<PortName, PortHealth>;
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
