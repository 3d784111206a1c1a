import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { createSwitchboard, type Switchboard } from '../../src/app/create-switchboard.js';
import { applySchema } from '../../src/app/schema.js';
import type { Scope } from '../../src/auth/scopes.js';
import { loadConfig } from '../../src/config/index.js';
import { buildServer, type BuildServerOptions } from '../../src/server/build-server.js';
import type { Clock } from '../../src/shared/clock.js';
import { backendEnv, prepareScaleOut } from './backends.js';

export interface TestServer {
  app: FastifyInstance;
  switchboard: Switchboard;
  /** A stored admin key (`Authorization: Bearer ${adminKey}`). */
  adminKey: string;
  /** Creates a stored key with that scope and returns its secret. */
  keyWithScope(scope: Scope): Promise<string>;
  /** `{ authorization: 'Bearer ...' }` for app.inject. */
  auth(key: string): { authorization: string };
  dataDir: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Extra `SWITCHBOARD_*` settings (module sections, or other adapters for the ports). */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Reuse a directory (e.g. to reopen after close); otherwise a fresh temp dir, removed on close. */
  dataDir?: string;
  logger?: Logger;
  /** Skip `applySchema` (to test what happens without it). */
  skipSchema?: boolean;
  /** Extra routes under /v1 (behind the key guard), e.g. a route that throws. */
  routes?: BuildServerOptions['routes'];
  bodyLimit?: number;
  /** Where the built dashboard is (default: dist/dashboard). */
  dashboardDir?: string;
  /** Do not create the admin key (to test the bootstrap key on an empty store). */
  noAdminKey?: boolean;
}

/**
 * The whole service in a temporary data directory (embedded ports, or the configured scale-out
 * ones in the `modules (scale-out)` project: see backends.ts), schema applied, with
 * an admin key: module tests call `app.inject` on it. Nothing listens on a port.
 */
export async function createTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'switchboard-server-'));
  await prepareScaleOut(dataDir);
  const config = loadConfig({
    path: undefined,
    env: { SWITCHBOARD_STORE_DATA_DIR: dataDir, ...backendEnv(dataDir), ...options.env },
  });
  const switchboard = await createSwitchboard(config, {
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  let app: FastifyInstance | undefined;
  try {
    if (!options.skipSchema) await applySchema(switchboard);
    app = await buildServer(switchboard, {
      ...(options.routes ? { routes: options.routes } : {}),
      ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
      ...(options.dashboardDir ? { dashboardDir: options.dashboardDir } : {}),
    });
  } catch (error) {
    await switchboard.close();
    throw error;
  }
  const keys = switchboard.services.auth.keys;
  const adminKey =
    options.skipSchema || options.noAdminKey
      ? ''
      : (await keys.create({ name: 'test admin', scope: 'admin' })).secret;
  const ownsDir = options.dataDir === undefined;
  return {
    app,
    switchboard,
    adminKey,
    dataDir,
    keyWithScope: async (scope) => (await keys.create({ name: `test ${scope}`, scope })).secret,
    auth: (key) => ({ authorization: `Bearer ${key}` }),
    async close() {
      await app.close();
      await switchboard.close();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
