import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import * as commands from './commands/index.js';
import { formatError } from './output.js';

function version(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(): Command {
  const program = new Command('switchboard')
    .description('The data backbone for AI voice and chat agents')
    .version(version())
    .option('--config <path>', 'configuration file (default SWITCHBOARD_CONFIG, then ./switchboard.toml)')
    .showHelpAfterError();
  for (const register of Object.values(commands)) register(program);
  return program;
}

/** Parses and runs; any error becomes `error CODE: message` on stderr and exit code 1. */
export async function run(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    console.error(formatError(error));
    process.exitCode = 1;
  }
}
