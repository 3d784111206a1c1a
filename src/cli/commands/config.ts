import type { Command } from 'commander';
import { stringify } from 'smol-toml';
import { configurationReference } from '../../config/reference.js';
import { cliConfig, configPath } from '../context.js';
import { redactConfig } from '../redact-config.js';

/** Drops unset optional values, which TOML cannot express. */
function defined(value: unknown): unknown {
  if (Array.isArray(value)) return value;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, defined(v)]),
  );
}

/** `switchboard config check`: validate, then print the effective configuration without secrets. */
export function register(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description(
      'validate the configuration (file, environment) and print the effective values, secrets redacted',
    )
    .action((_opts: unknown, command: Command) => {
      const effective = cliConfig(command);
      const source =
        configPath(command) ?? process.env.SWITCHBOARD_CONFIG ?? 'defaults, ./switchboard.toml if present';
      process.stdout.write(`# configuration is valid (from ${source} and the environment)\n\n`);
      process.stdout.write(`${stringify(defined(redactConfig(effective)))}\n`);
    });
  config
    .command('reference')
    .description('print every configuration key with its environment variable and default (Markdown)')
    .action(() => {
      process.stdout.write(configurationReference());
    });
}
