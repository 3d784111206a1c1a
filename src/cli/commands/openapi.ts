import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { openApiDocument } from '../../server/openapi-document.js';
import { cliConfig } from '../context.js';

/** `switchboard openapi`: the HTTP API's OpenAPI document, for client generators and linters. */
export function register(program: Command): void {
  program
    .command('openapi')
    .description('print the OpenAPI document of the HTTP API (what /docs/json serves)')
    .option('--out <file>', 'write it to a file instead of standard output')
    .action(async (opts: { out?: string }, command: Command) => {
      const text = `${JSON.stringify(await openApiDocument(cliConfig(command)), null, 2)}\n`;
      if (opts.out) writeFileSync(opts.out, text);
      else process.stdout.write(text);
    });
}
