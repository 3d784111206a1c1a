import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createSwitchboard } from '../app/create-switchboard.js';
import { loadConfig } from '../config/index.js';
import { buildServer } from './build-server.js';

/**
 * The OpenAPI document `switchboard serve` publishes at /docs/json, produced without a running
 * service: the routes and their schemas do not depend on which adapters are configured, so a
 * throwaway Switchboard on the embedded ports in a temporary directory registers the same
 * document. Used by `switchboard openapi` and by the build, which generates the typed client.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-openapi-'));
  try {
    const config = loadConfig({ path: undefined, env: { SWITCHBOARD_STORE_DATA_DIR: dir } });
    const switchboard = await createSwitchboard(config, { logger: pino({ level: 'silent' }) });
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
