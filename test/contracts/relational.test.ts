import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openRelationalStore } from '../../src/ports/relational/open.js';
import { createPostgresRelationalStore } from '../../src/ports/relational/postgres.js';
import { createSqliteRelationalStore } from '../../src/ports/relational/sqlite.js';
import type { RelationalStore } from '../../src/ports/relational/store.js';
import { createMetricsRegistry } from '../../src/shared/metrics.js';
import { hostPort, postgresTestUrl, viaPort, withTcpProxy } from '../helpers/services.js';
import { relationalContract } from './relational.contract.js';

relationalContract('sqlite (embedded)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-relational-'));
  const path = join(dir, 'relational.db');
  const opened: RelationalStore[] = [];
  const open = async () => {
    const store = await createSqliteRelationalStore({ path, registry: createMetricsRegistry() });
    opened.push(store);
    return store;
  };
  return {
    store: await open(),
    openAnother: open,
    async cleanup() {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const pgUrl = postgresTestUrl();

async function dropSchema(url: string, schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await admin.end();
  }
}

describe.skipIf(!pgUrl)(
  pgUrl ? 'postgres' : 'postgres (skipped: set SWITCHBOARD_TEST_POSTGRES_URL to run the PostgreSQL suite)',
  () => {
    relationalContract('postgres', async () => {
      const url = pgUrl!;
      // A schema per test, dropped after: other suites share this server.
      const schema = `sb_test_${randomBytes(6).toString('hex')}`;
      const opened: RelationalStore[] = [];
      const open = async (target = url) => {
        const store = await createPostgresRelationalStore({
          url: target,
          schema,
          poolSize: 4,
          connectTimeoutMs: 2000,
          registry: createMetricsRegistry(),
        });
        opened.push(store);
        return store;
      };
      return {
        store: await open(),
        openAnother: () => open(),
        async openThroughProxy() {
          const { host, port } = hostPort(url, 5432);
          const proxy = await withTcpProxy(host, port);
          return { store: await open(viaPort(url, proxy.port)), proxy };
        },
        async cleanup() {
          for (const store of opened) await store.close();
          await dropSchema(url, schema);
        },
      };
    });
  },
);

describe('scale-out relational suite under CI', () => {
  it.runIf(process.env.CI === 'true')('has SWITCHBOARD_TEST_POSTGRES_URL set', () => {
    expect(
      pgUrl,
      'CI=true requires SWITCHBOARD_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test) so the PostgreSQL contract suite runs',
    ).toBeDefined();
  });
});

describe('openRelationalStore', () => {
  it('opens SQLite in the data directory by default and PostgreSQL from [postgres] when selected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-open-'));
    const registry = createMetricsRegistry();
    try {
      const embedded = await openRelationalStore(loadConfig({ env: { SWITCHBOARD_STORE_DATA_DIR: dir } }), {
        registry,
      });
      expect(embedded.dialect).toBe('sqlite');
      await sql`select 1`.execute(embedded.db);
      await embedded.close();
      expect(existsSync(join(dir, 'relational.db'))).toBe(true);
      const metrics = await registry.getSingleMetricAsString('switchboard_relational_query_seconds');
      expect(metrics).toMatch(
        /switchboard_relational_query_seconds_count\{dialect="sqlite",outcome="ok"\} [1-9]/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (!pgUrl) return;
    const schema = `sb_test_${randomBytes(6).toString('hex')}`;
    const config = loadConfig({
      env: {
        SWITCHBOARD_STORE_RELATIONAL: 'postgres',
        SWITCHBOARD_POSTGRES_URL: pgUrl,
        SWITCHBOARD_POSTGRES_SCHEMA: schema,
      },
    });
    expect(config.postgres).toMatchObject({ url: pgUrl, pool_size: 10, statement_timeout_ms: 5000, schema });
    const store = await openRelationalStore(config, { registry });
    try {
      expect(store.dialect).toBe('postgres');
      const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(store.db);
      expect(rows[0]!.s).toBe(schema);
      expect(await registry.getSingleMetricAsString('switchboard_relational_pool_connections')).toMatch(
        /state="total"\} [1-9]/,
      );
    } finally {
      await store.close();
      await dropSchema(pgUrl, schema);
    }
  });
});
