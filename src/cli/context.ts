import type { Command } from 'commander';
import pino from 'pino';
import type { Switchboard } from '../app/create-switchboard.js';
import { createLogger } from '../app/logger.js';
import { assertSchemaApplied } from '../app/schema.js';
import { loadConfig, type DeepPartial, type SwitchboardConfig } from '../config/index.js';

/**
 * The port adapters (and their drivers) are loaded only by commands that open ports, so
 * `config check`, `schema print` and `--help` start quickly.
 */
export async function loadSwitchboardFactory() {
  return (await import('../app/create-switchboard.js')).createSwitchboard;
}

/** The global `--config <path>` as seen from any subcommand. */
export function configPath(command: Command): string | undefined {
  return (command.optsWithGlobals() as { config?: string }).config;
}

export function cliConfig(command: Command, overrides?: DeepPartial<SwitchboardConfig>): SwitchboardConfig {
  const path = configPath(command);
  return loadConfig({ ...(path ? { path } : {}), ...(overrides ? { overrides } : {}) });
}

/**
 * Opens a Switchboard for a one-shot command, runs `fn`, and closes it whatever happens.
 * Logs go to stderr at warn so stdout carries only the command's output.
 */
export async function withSwitchboard<T>(
  command: Command,
  fn: (switchboard: Switchboard) => Promise<T>,
  options: { requireSchema?: boolean } = {},
): Promise<T> {
  const config = cliConfig(command);
  const logger = createLogger(
    { ...config, server: { ...config.server, log_level: 'warn' } },
    pino.destination(2),
  );
  const switchboard = await (await loadSwitchboardFactory())(config, { logger });
  try {
    if (options.requireSchema) await assertSchemaApplied(switchboard);
    return await fn(switchboard);
  } finally {
    await switchboard.close();
  }
}
