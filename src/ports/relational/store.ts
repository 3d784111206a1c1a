import type { Kysely, Transaction } from 'kysely';
import type { HealthReport } from '../wide-column/engine.js';

/**
 * The relational port: transactional state (agents, queues, chat metadata, templates, API
 * keys) through Kysely, on embedded SQLite or PostgreSQL. Modules own typed database
 * interfaces and their migrations; the store owns the connection and the migration ledger.
 */
export type Dialect = 'sqlite' | 'postgres';

/** Anything a service can run queries on: the store's Kysely or a caller's transaction. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor<DB = any> = Kysely<DB> | Transaction<DB>;

export interface Migration {
  /** Monotonic per module, starting at 1. */
  version: number;
  name: string;
  /** Written with Kysely's schema builder so one migration serves both dialects. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

export interface ModuleMigrations {
  module: string;
  migrations: readonly Migration[];
}

export interface AppliedMigration {
  module: string;
  version: number;
  name: string;
  appliedAt: Date;
}

export interface MigrationReport {
  applied: AppliedMigration[];
  alreadyApplied: number;
}

export interface RelationalStore {
  readonly dialect: Dialect;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  /** Runs `fn` in a transaction; if `outer` is given, joins it instead of opening a new one. */
  transaction<T>(fn: (trx: Executor) => Promise<T>, outer?: Executor): Promise<T>;
  /** Applies pending migrations in (module, version) order, each in its own transaction. Safe to re-run. */
  migrate(modules: readonly ModuleMigrations[]): Promise<MigrationReport>;
  /** Migrations declared but not applied. */
  pendingMigrations(
    modules: readonly ModuleMigrations[],
  ): Promise<{ module: string; version: number; name: string }[]>;
  health(): Promise<HealthReport>;
  close(): Promise<void>;
}
