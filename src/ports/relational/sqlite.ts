import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDialect, sql, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Registry } from 'prom-client';
import { buildRelationalStore } from './base-store.js';
import { unavailable } from './errors.js';
import type { RelationalStore } from './store.js';

export interface SqliteStoreOptions {
  /** A file path (its folder is created) or ':memory:'. */
  path: string;
  registry?: Registry;
  /** How long a writer waits for another process's write lock before STORE_TIMEOUT. */
  busyTimeoutMs?: number;
}

/**
 * The embedded relational store: one better-sqlite3 connection through Kysely.
 *
 * Concurrency: Kysely's SqliteDriver hands out its single connection under a mutex that a
 * transaction holds from BEGIN to COMMIT, so two concurrent `transaction()` calls already run
 * one after the other and never interleave statements; no extra lock is needed here. What the
 * mutex cannot cover is another connection (the CLI's `schema apply` next to a running
 * server): for that, transactions begin IMMEDIATE, taking the write lock up front (retried
 * without blocking the event loop while another writer holds it), instead of DEFERRED
 * transactions that fail with SQLITE_BUSY when they try to upgrade to writing.
 */
export async function createSqliteRelationalStore(options: SqliteStoreOptions): Promise<RelationalStore> {
  let database: Database.Database;
  try {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    database = new Database(options.path);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // A short synchronous wait absorbs brief contention; longer waits are retried
    // asynchronously (see busyRetryMs) so the event loop never blocks on another writer.
    database.pragma('busy_timeout = 20');
  } catch (error) {
    throw unavailable('sqlite', error);
  }
  const store = buildRelationalStore({
    dialect: 'sqlite',
    kyselyDialect: new SqliteDialect({ database: reusingStatements(database, STATEMENT_CACHE) }),
    registry: options.registry,
    guard: {
      beginSql: 'begin immediate',
      mapParameter: sqliteParameter,
      busyRetryMs: options.busyTimeoutMs ?? 5000,
    },
    lockMigrations: async () => {},
    async ledgerExists(db) {
      const { rows } = await sql<{ n: number }>`
        select count(*) as n from sqlite_master where type = 'table' and name = 'switchboard_migrations'`.execute(
        db,
      );
      return (rows[0]?.n ?? 0) > 0;
    },
    async describe(db) {
      const { rows } = await sql<{ v: string }>`select sqlite_version() as v`.execute(db);
      return `sqlite ${rows[0]?.v ?? '?'}`;
    },
    healthTimeoutMs: 5000,
  });
  return store;
}

/** Distinct SQL texts whose prepared statements are kept (most recently used). */
const STATEMENT_CACHE = 500;

/**
 * Kysely's SQLite driver prepares every statement it runs, and better-sqlite3 compiles the SQL
 * on every `prepare`: 16% of the CPU of a call-center assignment went there. A prepared
 * statement is reusable as soon as its `run` or `all` returns, and the driver's connection
 * mutex keeps a streamed `iterate` alone on the connection, so the most recently used texts
 * keep theirs. Bounded, because `in (?, ?, …)` lists of every length are distinct texts.
 */
function reusingStatements(database: Database.Database, max: number): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(text: string): SqliteStatement {
      let statement = cache.get(text);
      if (statement) {
        // Re-inserted: the Map's order is then least to most recently used.
        cache.delete(text);
      } else {
        statement = database.prepare(text);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

/**
 * better-sqlite3 binds only numbers, strings, bigints, buffers and null. Dates become the same
 * ISO-8601 text that PostgreSQL timestamps read back as, booleans become 0/1.
 */
function sqliteParameter(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
