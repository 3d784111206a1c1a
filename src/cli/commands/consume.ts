import type { Command } from 'commander';
import { createSwitchboard } from '../../app/create-switchboard.js';
import { assertSchemaApplied } from '../../app/schema.js';
import { cliConfig } from '../context.js';

/**
 * `switchboard consume`: only the interactions logging consumer, for a deployment that runs
 * it apart from `serve` (then set `[interactions] consumer_enabled = false` on the servers).
 * Replicas share the consumer group; on SIGTERM / SIGINT the batch in flight is finished
 * and committed (or, if the store is down, left uncommitted for the next member) and the
 * ports are closed. It serves /health, /ready (ports and the consumer, 503 while the store is
 * down) and /metrics on [server] host/port (or --host/--port), so it can be probed and scraped
 * like `serve`; it serves no /v1 API.
 */
export function register(program: Command): void {
  program
    .command('consume')
    .description(
      'run the interactions logging consumer alone until SIGTERM / SIGINT (with /health, /ready, /metrics)',
    )
    .option('--port <port>', 'port of /health, /ready and /metrics (default [server] port)')
    .option('--host <host>', 'address of /health, /ready and /metrics (default [server] host)')
    .action(async (opts: { port?: string; host?: string }, command: Command) => {
      // Strings on purpose: the loader validates them and names `server.port` when wrong.
      const overrides = {
        server: { ...(opts.port ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}) },
      };
      const loaded = cliConfig(command, overrides as never);
      // This process does nothing else, so its own event loop is the consumer's "thread":
      // a worker thread would only add a second set of connections.
      const config = { ...loaded, interactions: { ...loaded.interactions, consumer_thread: false } };
      const { handleSignals, startServer } = await import('../../server/lifecycle.js');
      const switchboard = await createSwitchboard(config);
      const log = switchboard.context.logger;
      const consumer = switchboard.services.interactions.consumer;
      try {
        await assertSchemaApplied(switchboard);
        await consumer.start();
        const running = await startServer(switchboard, { opsOnly: true });
        // Started here rather than as a worker (it runs even where `consumer_enabled` is false
        // for the `serve` replicas), so the shutdown drains it explicitly before the ports close.
        let stopping: Promise<void> | undefined;
        const shutdown = () => (stopping ??= consumer.stop().finally(() => running.shutdown()));
        handleSignals({ ...running, shutdown }, { timeoutMs: config.server.shutdown_timeout_ms });
        log.info(
          { group: config.interactions.consumer_group, stores: config.store, address: running.address },
          `interactions consumer running; /health, /ready and /metrics on ${running.address}`,
        );
      } catch (error) {
        await switchboard.close();
        throw error;
      }
    });
}
