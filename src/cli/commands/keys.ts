import type { Command } from 'commander';
import { isScope } from '../../auth/scopes.js';
import { SwitchboardError } from '../../errors/index.js';
import { withSwitchboard } from '../context.js';
import { table } from '../output.js';

/** `switchboard keys create | list | revoke`, straight on the relational store (no server needed). */
export function register(program: Command): void {
  const keys = program.command('keys').description('manage API keys');

  keys
    .command('create')
    .description('create an API key; the secret is printed once')
    .requiredOption('--name <name>', 'who or what uses the key')
    .requiredOption('--scope <scope>', 'read, write or admin')
    .action(async (opts: { name: string; scope: string }, command: Command) => {
      if (!isScope(opts.scope)) {
        throw new SwitchboardError(
          'VALIDATION_FAILED',
          `--scope must be read, write or admin, not "${opts.scope}"`,
          {
            field: 'scope',
          },
        );
      }
      const scope = opts.scope;
      await withSwitchboard(
        command,
        async (switchboard) => {
          const created = await switchboard.services.auth.keys.create({ name: opts.name, scope });
          console.log(`created key ${created.id} (${created.name}, scope ${created.scope})`);
          console.log(`secret (shown once): ${created.secret}`);
        },
        { requireSchema: true },
      );
    });

  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .action(async (_opts: unknown, command: Command) => {
      await withSwitchboard(
        command,
        async (switchboard) => {
          const list = await switchboard.services.auth.keys.list();
          const rows = list.map((k) => [
            k.id,
            k.name,
            k.scope,
            k.source,
            k.createdAt?.toISOString() ?? '-',
            k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active',
            k.lastUsedAt?.toISOString() ?? '-',
          ]);
          console.log(table([['ID', 'NAME', 'SCOPE', 'SOURCE', 'CREATED', 'STATE', 'LAST USED'], ...rows]));
        },
        { requireSchema: true },
      );
    });

  keys
    .command('revoke')
    .description('revoke an API key (a running server notices within [auth] cache_ttl_ms)')
    .argument('<id>', 'the key id from `keys list`')
    .action(async (id: string, _opts: unknown, command: Command) => {
      await withSwitchboard(
        command,
        async (switchboard) => {
          const key = await switchboard.services.auth.keys.revoke(id);
          console.log(`revoked key ${key.id} (${key.name}) at ${key.revokedAt?.toISOString()}`);
        },
        { requireSchema: true },
      );
    });
}
