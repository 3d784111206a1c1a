import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createSwitchboard } from '../app/create-switchboard.js';
import { loadConfig, type SwitchboardConfig } from '../config/index.js';
import { buildServer } from './build-server.js';

/**
 * The OpenAPI document `switchboard serve` publishes at /docs/json, produced without a running
 * service: the routes and their schemas do not depend on which adapters are configured, so a
 * throwaway Switchboard on the embedded ports in a temporary directory registers the same
 * document. Only `config`'s store section is replaced (what it says about the server, such as
 * whether /metrics needs a key, shows in the document); without one, the defaults. Used by
 * `switchboard openapi` and by the build, which generates the typed client.
 */
export async function openApiDocument(config?: SwitchboardConfig): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-openapi-'));
  try {
    const base = config ?? loadConfig({ path: undefined, env: {} });
    const embedded = {
      ...base,
      store: {
        ...base.store,
        wide_column: 'embedded',
        relational: 'embedded',
        hot_state: 'embedded',
        event_log: 'embedded',
        data_dir: dir,
      },
    } satisfies SwitchboardConfig;
    const switchboard = await createSwitchboard(embedded, { logger: pino({ level: 'silent' }) });
    try {
      const app = await buildServer(switchboard);
      try {
        return app.swagger() as unknown as Record<string, unknown>;
      } finally {
        await app.close();
      }
    } finally {
      await switchboard.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
