import type { FastifyInstance } from 'fastify';
import type { Switchboard } from '../app/create-switchboard.js';
import { buildServer, type BuildServerOptions } from './build-server.js';

export interface StartServerOptions extends BuildServerOptions {
  /** Override `[server] port` / `host` (the CLI's --port / --host). */
  port?: number;
  host?: string;
}

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. `http://127.0.0.1:8080`. */
  address: string;
  port: number;
  /**
   * Stops accepting connections and waits for in-flight requests, then stops the workers
   * (they drain and flush) and closes the ports. Idempotent.
   */
  shutdown(): Promise<void>;
}

/** Builds the server on `switchboard` and listens. The caller owns signals (see `handleSignals`). */
export async function startServer(
  switchboard: Switchboard,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const app = await buildServer(switchboard, options);
  const port = options.port ?? switchboard.config.server.port;
  const host = options.host ?? switchboard.config.server.host;
  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const bound = app.server.address();
  const actualPort = typeof bound === 'object' && bound ? bound.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let stopping: Promise<void> | undefined;
  return {
    app,
    address: `http://${shownHost}:${actualPort}`,
    port: actualPort,
    shutdown() {
      stopping ??= (async () => {
        await app.close();
        await switchboard.close();
      })();
      return stopping;
    },
  };
}

export interface SignalOptions {
  /** After this long the process exits with 1 even if draining is not finished. */
  timeoutMs: number;
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
}

/**
 * SIGTERM / SIGINT: a graceful shutdown, then exit 0 (1 if it failed). A second signal, or
 * the timeout, forces exit 1 at once: an operator who presses Ctrl-C twice means it.
 */
export function handleSignals(server: RunningServer, options: SignalOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? (['SIGTERM', 'SIGINT'] as const);
  const log = server.app.log;
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      log.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      exit(1);
      return;
    }
    received = true;
    log.info({ signal, timeoutMs: options.timeoutMs }, 'shutting down: draining requests, workers and ports');
    const timer = setTimeout(() => {
      log.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out: exiting');
      exit(1);
    }, options.timeoutMs);
    timer.unref();
    server.shutdown().then(
      () => {
        clearTimeout(timer);
        log.info('shutdown complete');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        log.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
