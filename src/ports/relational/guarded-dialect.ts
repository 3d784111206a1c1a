import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { SwitchboardError } from '../../errors/index.js';
import { mapRelationalError, unavailable } from './errors.js';
import type { Dialect } from './store.js';
import type { TransactionScope } from './transaction-scope.js';

export interface GuardOptions {
  dialect: Dialect;
  scope: TransactionScope;
  /** Replaces the driver's `begin` (SQLite: `begin immediate`, so writers queue on busy_timeout). */
  beginSql?: string;
  /** Rewrites parameters before they reach the driver (SQLite cannot bind Dates or booleans). */
  mapParameter?: (value: unknown) => unknown;
  /**
   * SQLite only: how long to keep retrying, asynchronously, a statement or BEGIN refused with
   * SQLITE_BUSY because another connection holds the write lock. better-sqlite3 is synchronous,
   * so waiting in SQLite's own busy handler would freeze the event loop (and, with a second
   * connection in the same process, wait for a lock holder that cannot run).
   */
  busyRetryMs?: number;
}

/**
 * Wraps a Kysely dialect's driver so both dialects behave alike where their drivers differ:
 * errors map to the catalogue; a query on the pool from inside one of the store's own
 * transactions is refused (TRANSACTION_MISUSE); and after a failed statement a transaction
 * accepts nothing but rollback, on SQLite as on PostgreSQL, and refuses to commit instead of
 * PostgreSQL's silent rollback on COMMIT.
 */
export function guardDialect(inner: KyselyDialect, options: GuardOptions): KyselyDialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver: () => new GuardedDriver(inner.createDriver(), options),
  };
}

class GuardedConnection implements DatabaseConnection {
  inTransaction = false;
  aborted = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly options: GuardOptions,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.aborted) {
      throw new SwitchboardError('TRANSACTION_ABORTED', undefined, {
        details: { dialect: this.options.dialect },
      });
    }
    try {
      return await this.retryBusy(() => this.inner.executeQuery<R>(this.rewrite(query)));
    } catch (error) {
      if (this.inTransaction) this.aborted = true;
      throw mapRelationalError(this.options.dialect, error);
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(this.rewrite(query), chunkSize);
    } catch (error) {
      if (this.inTransaction) this.aborted = true;
      throw mapRelationalError(this.options.dialect, error);
    }
  }

  /** Runs transaction control statements without the aborted check. */
  async control(sql: string): Promise<void> {
    try {
      await this.retryBusy(() => this.inner.executeQuery(CompiledQuery.raw(sql)));
    } catch (error) {
      throw mapRelationalError(this.options.dialect, error);
    }
  }

  /**
   * Retries only outside a transaction: there a refused statement or BEGIN did nothing, so
   * running it again is safe. Inside one, BEGIN IMMEDIATE already holds the write lock.
   */
  private async retryBusy<T>(run: () => Promise<T>): Promise<T> {
    const budget = this.options.busyRetryMs;
    if (budget === undefined || this.inTransaction) return run();
    const deadline = Date.now() + budget;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await run();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() >= deadline)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt, 50)));
      }
    }
  }

  private rewrite(query: CompiledQuery): CompiledQuery {
    const map = this.options.mapParameter;
    if (!map || query.parameters.length === 0) return query;
    return { ...query, parameters: query.parameters.map(map) };
  }
}

class GuardedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly options: GuardOptions,
  ) {}

  async init(): Promise<void> {
    try {
      await this.inner.init();
    } catch (error) {
      throw unavailable(this.options.dialect, error);
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.options.scope.inside) {
      throw new SwitchboardError('TRANSACTION_MISUSE', undefined, {
        details: { dialect: this.options.dialect },
      });
    }
    try {
      return new GuardedConnection(await this.inner.acquireConnection(), this.options);
    } catch (error) {
      throw mapRelationalError(this.options.dialect, error);
    }
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const conn = connection as GuardedConnection;
    if (this.options.beginSql) await conn.control(this.options.beginSql);
    else {
      try {
        await this.inner.beginTransaction(conn.inner, settings);
      } catch (error) {
        throw mapRelationalError(this.options.dialect, error);
      }
    }
    conn.inTransaction = true;
    conn.aborted = false;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as GuardedConnection;
    if (conn.aborted) {
      // The caller swallowed a failed statement and returned normally; committing the rest
      // would be a half-write. Kysely rolls back when commit throws.
      throw new SwitchboardError('TRANSACTION_ABORTED', undefined, {
        details: { dialect: this.options.dialect },
      });
    }
    try {
      await this.inner.commitTransaction(conn.inner);
    } catch (error) {
      throw mapRelationalError(this.options.dialect, error);
    } finally {
      conn.inTransaction = false;
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as GuardedConnection;
    conn.inTransaction = false;
    conn.aborted = false;
    try {
      await this.inner.rollbackTransaction(conn.inner);
    } catch (error) {
      throw mapRelationalError(this.options.dialect, error);
    }
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['savepoint']>>[2],
  ): Promise<void> {
    await this.inner.savepoint!((connection as GuardedConnection).inner, name, compile);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['rollbackToSavepoint']>>[2],
  ): Promise<void> {
    const conn = connection as GuardedConnection;
    await this.inner.rollbackToSavepoint!(conn.inner, name, compile);
    conn.aborted = false;
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['releaseSavepoint']>>[2],
  ): Promise<void> {
    await this.inner.releaseSavepoint!((connection as GuardedConnection).inner, name, compile);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.inner.releaseConnection((connection as GuardedConnection).inner);
  }

  async destroy(): Promise<void> {
    await this.inner.destroy();
  }
}
