import { PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Registry } from 'prom-client';
import { SwitchboardError } from '../../errors/index.js';
import { buildRelationalStore } from './base-store.js';
import { mapRelationalError } from './errors.js';
import { trackPool } from './metrics.js';
import { postgresTypes } from './postgres-types.js';
import type { RelationalStore } from './store.js';

export interface PostgresStoreOptions {
  url: string;
  poolSize?: number;
  /** Created if absent and used as every connection's search_path; default `public`. */
  schema?: string;
  statementTimeoutMs?: number;
  /** Bound on opening a connection (and on health checks). */
  connectTimeoutMs?: number;
  registry?: Registry;
}

// Plain lower-case identifiers only: they need no quoting in `-c search_path=` nor in DDL, and
// PostgreSQL would fold an unquoted mixed-case name anyway.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The scale-out relational store: a pg Pool through Kysely. */
export async function createPostgresRelationalStore(options: PostgresStoreOptions): Promise<RelationalStore> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new SwitchboardError(
      'CONFIG_INVALID',
      `Invalid configuration postgres.schema = ${JSON.stringify(schema)}: expected a lower-case identifier`,
      { field: 'postgres.schema' },
    );
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs ?? 5000,
    application_name: 'switchboard',
    // A startup parameter rather than a `SET` after connecting: it applies to every connection
    // the pool ever opens, reconnections included, with no extra round trip.
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    types: postgresTypes,
  });
  // An idle client whose socket dies (server restart, network cut) is dropped by the pool and
  // reported here; without a listener that report would crash the process. The next query
  // opens a new connection, which is how the store recovers on its own.
  pool.on('error', () => {});
  // A checked-out client (inside a Kysely query or transaction) reports a dead socket as an
  // 'error' event too, and pg-pool only listens while the client is idle: without this, a
  // network cut mid-query is an uncaught exception. The failing query still rejects, and the
  // pool discards the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });

  try {
    if (schema) {
      // `create schema if not exists` can still race another process on the catalog's unique
      // index; the loser's error means the schema now exists, which is all we need.
      await pool.query(`create schema if not exists ${schema}`).catch((error: { code?: string }) => {
        if (error.code !== '23505' && error.code !== '42P06') throw error;
      });
    }
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw mapRelationalError('postgres', error);
  }

  const untrack = trackPool(options.registry, pool);
  return buildRelationalStore({
    dialect: 'postgres',
    kyselyDialect: new PostgresDialect({ pool }),
    registry: options.registry,
    async lockMigrations(trx) {
      // Keyed by schema, so runs in different schemas (parallel test runs) do not wait on each other.
      await sql`select pg_advisory_xact_lock(hashtext(current_schema() || ':switchboard_migrations'))`.execute(
        trx,
      );
    },
    async ledgerExists(db) {
      const { rows } = await sql<{
        t: string | null;
      }>`select to_regclass('switchboard_migrations')::text as t`.execute(db);
      return rows[0]?.t != null;
    },
    async describe(db) {
      const { rows } = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db);
      return `postgres ${rows[0]?.v ?? '?'}`;
    },
    healthTimeoutMs: connectTimeoutMs,
    afterClose: untrack,
  });
}
