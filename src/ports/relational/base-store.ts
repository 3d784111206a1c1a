import { Kysely, sql, type Dialect as KyselyDialect, type Transaction } from 'kysely';
import type { Registry } from 'prom-client';
import type { HealthReport } from '../wide-column/engine.js';
import { guardDialect, type GuardOptions } from './guarded-dialect.js';
import { queryTimer } from './metrics.js';
import { pendingMigrations, runMigrations, type MigrationHost } from './migrations.js';
import type { Dialect, Executor, RelationalStore } from './store.js';
import { TransactionScope } from './transaction-scope.js';

export interface StoreSpec {
  dialect: Dialect;
  kyselyDialect: KyselyDialect;
  registry?: Registry;
  guard?: Pick<GuardOptions, 'beginSql' | 'mapParameter' | 'busyRetryMs'>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  lockMigrations(trx: Transaction<any>): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ledgerExists(db: Kysely<any>): Promise<boolean>;
  /** A one-row query naming the server release, used by health(). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  describe(db: Kysely<any>): Promise<string>;
  healthTimeoutMs: number;
  /** Runs after Kysely has destroyed its driver. */
  afterClose?(): void;
}

/** The dialect-independent half of a relational store: transactions, migrations, health. */
export function buildRelationalStore(spec: StoreSpec): RelationalStore {
  const scope = new TransactionScope();
  const log = queryTimer(spec.registry, spec.dialect);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({
    dialect: guardDialect(spec.kyselyDialect, { dialect: spec.dialect, scope, ...spec.guard }),
    ...(log ? { log } : {}),
  });
  let closed: Promise<void> | undefined;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const transaction = <T>(fn: (trx: Transaction<any>) => Promise<T>, outer?: Executor): Promise<T> => {
    // Joining: a service method called with the caller's transaction runs inside it, so the
    // caller's rollback undoes the service's writes too.
    if (outer?.isTransaction) return fn(outer as Transaction<unknown>);
    return db.transaction().execute((trx) => scope.run(() => fn(trx)));
  };

  const host: MigrationHost = {
    dialect: spec.dialect,
    db,
    transaction: (fn) => transaction(fn),
    lockMigrations: spec.lockMigrations,
    ledgerExists: spec.ledgerExists,
  };

  return {
    dialect: spec.dialect,
    db,
    transaction,
    migrate: (modules) => runMigrations(host, modules),
    pendingMigrations: (modules) => pendingMigrations(host, modules),
    async health(): Promise<HealthReport> {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${spec.healthTimeoutMs} ms`)),
            spec.healthTimeoutMs,
          );
        });
        const probe = (async () => {
          await sql`select 1`.execute(db);
          return spec.describe(db);
        })();
        probe.catch(() => {}); // a probe that loses the race must not become an unhandled rejection
        const detail = await Promise.race([probe, timeout]);
        return { ok: true, detail, latencyMs: performance.now() - started };
      } catch (error) {
        return {
          ok: false,
          detail: `${spec.dialect}: ${error instanceof Error ? error.message : String(error)}`,
          latencyMs: performance.now() - started,
        };
      } finally {
        clearTimeout(timer);
      }
    },
    close(): Promise<void> {
      closed ??= db.destroy().then(() => spec.afterClose?.());
      return closed;
    },
  };
}
