import type { Command } from 'commander';
import { assertSchemaApplied } from '../../app/schema.js';
import { cliConfig, loadSwitchboardFactory } from '../context.js';

function bootstrapBanner(secret: string): string {
  return [
    '',
    '  First start: created an admin API key. It is shown once, here, and stored only hashed:',
    '',
    `    ${secret}`,
    '',
    '  Use it as `Authorization: Bearer <key>`; create narrower keys with `switchboard keys create`.',
    '',
    '',
  ].join('\n');
}

/** `switchboard serve`: the HTTP API and the background workers, until SIGTERM / SIGINT. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('start the HTTP API and the background workers')
    .option('--port <port>', 'listen on this port (default [server] port, SWITCHBOARD_PORT, 8080)')
    .option('--host <host>', 'listen on this address (default [server] host, SWITCHBOARD_HOST, 127.0.0.1)')
    .action(async (opts: { port?: string; host?: string }, command: Command) => {
      // Strings on purpose: the loader validates them and names `server.port` when wrong.
      const overrides = {
        server: { ...(opts.port ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}) },
      };
      const config = cliConfig(command, overrides as never);
      const createSwitchboard = await loadSwitchboardFactory();
      const { handleSignals, startServer } = await import('../../server/lifecycle.js');
      const switchboard = await createSwitchboard(config);
      const log = switchboard.context.logger;
      try {
        await assertSchemaApplied(switchboard);
        if (config.auth.bootstrap_admin_key) {
          const created = await switchboard.services.auth.keys.ensureBootstrapKey();
          // stdout, never the logger: log lines are shipped and kept; this must not be.
          if (created) process.stdout.write(bootstrapBanner(created.secret));
        }
        await switchboard.startWorkers();
        const running = await startServer(switchboard);
        handleSignals(running, { timeoutMs: config.server.shutdown_timeout_ms });
        log.info(
          {
            address: running.address,
            stores: config.store,
            modules: switchboard.modules.map((m) => m.name),
            workers: switchboard.workers().map((w) => w.name),
          },
          `listening on ${running.address}`,
        );
      } catch (error) {
        await switchboard.close();
        throw error;
      }
    });
}
