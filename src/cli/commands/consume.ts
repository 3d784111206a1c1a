import type { Command } from 'commander';
import { createSwitchboard } from '../../app/create-switchboard.js';
import { assertSchemaApplied } from '../../app/schema.js';
import { cliConfig } from '../context.js';

/**
 * `switchboard consume`: only the interactions logging consumer, for a deployment that runs
 * it apart from `serve` (then set `[interactions] consumer_enabled = false` on the servers).
 * Replicas share the consumer group; on SIGTERM / SIGINT the batch in flight is finished
 * and committed (or, if the store is down, left uncommitted for the next member) and the
 * ports are closed.
 */
export function register(program: Command): void {
  program
    .command('consume')
    .description('run the interactions logging consumer alone until SIGTERM / SIGINT')
    .action(async (_opts: unknown, command: Command) => {
      const config = cliConfig(command);
      const switchboard = await createSwitchboard(config);
      const log = switchboard.context.logger;
      const consumer = switchboard.services.interactions.consumer;
      try {
        await assertSchemaApplied(switchboard);
        await consumer.start();
      } catch (error) {
        await switchboard.close();
        throw error;
      }
      log.info(
        { group: config.interactions.consumer_group, stores: config.store },
        'interactions consumer running',
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log.info({ signal }, 'stopping the interactions consumer');
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      await consumer.stop();
      await switchboard.close();
      log.info('interactions consumer stopped');
    });
}
