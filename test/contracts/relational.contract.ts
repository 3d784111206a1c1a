import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors/index.js';
import {
  addAutoIncrementId,
  currentTimestamp,
  dialectTypes,
} from '../../src/ports/relational/dialect-helpers.js';
import type {
  Executor,
  Migration,
  ModuleMigrations,
  RelationalStore,
} from '../../src/ports/relational/store.js';
import { eventually, type TcpProxy } from '../helpers/services.js';

export interface RelationalFixture {
  store: RelationalStore;
  /** A second store on the same database, as a second process would open it. */
  openAnother(): Promise<RelationalStore>;
  /** A store reaching the database through a proxy the test can cut; absent for embedded stores. */
  openThroughProxy?(): Promise<{ store: RelationalStore; proxy: TcpProxy }>;
  cleanup(): Promise<void>;
}

const accountsV1: Migration = {
  version: 1,
  name: 'accounts',
  async up(db, dialect) {
    const types = dialectTypes(dialect);
    await addAutoIncrementId(db.schema.createTable('accounts'), dialect)
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('balance', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', types.timestamp, (c) => c.notNull().defaultTo(currentTimestamp(dialect)))
      .addColumn('meta', types.json)
      .execute();
  },
};

const accountsV2: Migration = {
  version: 2,
  name: 'accounts_note',
  async up(db) {
    await db.schema.alterTable('accounts').addColumn('note', 'text').execute();
    await db.schema.createIndex('accounts_balance_idx').on('accounts').column('balance').execute();
  },
};

const transfersV1: Migration = {
  version: 1,
  name: 'transfers',
  async up(db, dialect) {
    await addAutoIncrementId(db.schema.createTable('transfers'), dialect)
      .addColumn('account_id', dialectTypes(dialect).bigint, (c) => c.notNull().references('accounts.id'))
      .addColumn('amount', 'integer', (c) => c.notNull())
      .execute();
  },
};

// Given out of version order on purpose: the runner sorts within a module.
const MODULES: ModuleMigrations[] = [
  { module: 'contract_accounts', migrations: [accountsV2, accountsV1] },
  { module: 'contract_transfers', migrations: [transfersV1] },
];

/** The schema both dialects must produce, as Kysely's introspection reports it (types aside). */
const EXPECTED_SCHEMA = {
  accounts: [
    'balance notnull default',
    'created_at notnull default',
    'id notnull auto',
    'meta null',
    'name notnull',
    'note null',
  ],
  switchboard_migrations: ['applied_at notnull', 'module notnull', 'name notnull', 'version notnull'],
  transfers: ['account_id notnull', 'amount notnull', 'id notnull auto'],
};

interface Db {
  accounts: { id?: number; name: string; balance?: number; created_at?: string | Date; meta?: string | null };
  transfers: { id?: number; account_id: number; amount: number };
  switchboard_migrations: { module: string; version: number; name: string; applied_at: string };
}

async function describeSchema(store: RelationalStore): Promise<Record<string, string[]>> {
  const current = await sql<{ s: string | null }>`select ${sql.raw(
    store.dialect === 'postgres' ? 'current_schema()' : "'main'",
  )} as s`.execute(store.db);
  const schema = current.rows[0]?.s;
  const tables = await store.db.introspection.getTables({ withInternalKyselyTables: false });
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    // PostgreSQL introspection lists every schema; other test runs live next door.
    if (store.dialect === 'postgres' && table.schema !== schema) continue;
    out[table.name] = table.columns
      .map(
        (c) =>
          `${c.name} ${c.isNullable ? 'null' : 'notnull'}${c.isAutoIncrementing ? ' auto' : ''}${
            c.hasDefaultValue && !c.isAutoIncrementing ? ' default' : ''
          }`,
      )
      .sort();
  }
  return out;
}

/** A service method in the style modules use: joins the caller's transaction when given one. */
function openAccount(
  store: RelationalStore,
  name: string,
  balance: number,
  outer?: Executor,
): Promise<number> {
  return store.transaction(async (trx) => {
    const db = trx as Kysely<Db>;
    const row = await db
      .insertInto('accounts')
      .values({ name, balance })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }, outer);
}

async function names(store: RelationalStore): Promise<string[]> {
  const rows = await (store.db as Kysely<Db>).selectFrom('accounts').select('name').orderBy('name').execute();
  return rows.map((r) => r.name);
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSwitchboardError(error) ? error.code : error).toBe(code);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function relationalContract(name: string, factory: () => Promise<RelationalFixture>): void {
  describe(`relational store contract: ${name}`, () => {
    let fx: RelationalFixture;
    let store: RelationalStore;

    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    describe('migrations', () => {
      it('applies pending migrations in (module, version) order and records each once', async () => {
        expect(await store.pendingMigrations(MODULES)).toEqual([
          { module: 'contract_accounts', version: 1, name: 'accounts' },
          { module: 'contract_accounts', version: 2, name: 'accounts_note' },
          { module: 'contract_transfers', version: 1, name: 'transfers' },
        ]);
        const before = Date.now();
        const report = await store.migrate(MODULES);
        expect(report.alreadyApplied).toBe(0);
        expect(report.applied.map((m) => `${m.module}/${m.version}/${m.name}`)).toEqual([
          'contract_accounts/1/accounts',
          'contract_accounts/2/accounts_note',
          'contract_transfers/1/transfers',
        ]);
        for (const m of report.applied) expect(m.appliedAt.getTime()).toBeGreaterThanOrEqual(before - 1);

        const ledger = await (store.db as Kysely<Db>)
          .selectFrom('switchboard_migrations')
          .selectAll()
          .orderBy('module')
          .orderBy('version')
          .execute();
        expect(ledger.map((r) => [r.module, r.version, r.name])).toEqual([
          ['contract_accounts', 1, 'accounts'],
          ['contract_accounts', 2, 'accounts_note'],
          ['contract_transfers', 1, 'transfers'],
        ]);
        expect(new Date(ledger[0]!.applied_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(await store.pendingMigrations(MODULES)).toEqual([]);
      });

      it('is a no-op when re-run, and applies only what was added since', async () => {
        await store.migrate([{ module: 'contract_accounts', migrations: [accountsV1] }]);
        const second = await store.migrate(MODULES);
        expect(second.alreadyApplied).toBe(1);
        expect(second.applied.map((m) => m.name)).toEqual(['accounts_note', 'transfers']);
        const third = await store.migrate(MODULES);
        expect(third).toEqual({ applied: [], alreadyApplied: 3 });
      });

      it('leaves a failed migration neither applied nor recorded, and earlier ones in place', async () => {
        const broken: Migration = {
          version: 2,
          name: 'broken',
          async up(db) {
            await db.schema.createTable('half_done').addColumn('x', 'integer').execute();
            throw new Error('migration bug');
          },
        };
        await expect(
          store.migrate([{ module: 'contract_accounts', migrations: [accountsV1, broken] }]),
        ).rejects.toThrow('migration bug');
        const tables = Object.keys(await describeSchema(store));
        expect(tables).toContain('accounts');
        expect(tables).not.toContain('half_done');
        expect(await store.pendingMigrations(MODULES)).toHaveLength(2);
        expect((await store.migrate(MODULES)).applied.map((m) => m.name)).toEqual([
          'accounts_note',
          'transfers',
        ]);
      });

      it('applies each migration exactly once when two processes migrate at the same time', async () => {
        const other = await fx.openAnother();
        try {
          const [a, b] = await Promise.all([store.migrate(MODULES), other.migrate(MODULES)]);
          expect(a.applied.length + b.applied.length).toBe(3);
          expect(a.alreadyApplied + b.alreadyApplied).toBe(3);
          const count = await sql<{ n: number }>`select count(*) as n from switchboard_migrations`.execute(
            store.db,
          );
          expect(Number(count.rows[0]!.n)).toBe(3);
        } finally {
          await other.close();
        }
      });

      it('refuses duplicate or non-positive versions', async () => {
        await expectCode(
          store.migrate([{ module: 'm', migrations: [accountsV1, { ...accountsV2, version: 1 }] }]),
          'DECLARATION_INVALID',
        );
        await expectCode(
          store.migrate([{ module: 'm', migrations: [{ ...accountsV1, version: 0 }] }]),
          'DECLARATION_INVALID',
        );
      });

      it('produces the same tables and columns on every dialect', async () => {
        await store.migrate(MODULES);
        expect(await describeSchema(store)).toEqual(EXPECTED_SCHEMA);
      });
    });

    describe('values', () => {
      beforeEach(async () => {
        await store.migrate(MODULES);
      });

      it('reads timestamps as ISO-8601 strings, JSON as text and counts as numbers on every dialect', async () => {
        const db = store.db as Kysely<Db>;
        const at = new Date('2024-05-01T12:34:56.789Z');
        await db
          .insertInto('accounts')
          .values({ name: 'a', created_at: at, meta: JSON.stringify({ tier: 'gold' }) })
          .execute();
        await db.insertInto('accounts').values({ name: 'b' }).execute();
        const rows = await db
          .selectFrom('accounts')
          .select(['name', 'created_at', 'meta', 'balance'])
          .orderBy('name')
          .execute();
        expect(rows[0]).toMatchObject({ name: 'a', created_at: '2024-05-01T12:34:56.789Z', balance: 0 });
        // The text itself may be normalised (jsonb re-spaces it); its meaning is the same.
        expect(typeof rows[0]!.meta).toBe('string');
        expect(JSON.parse(rows[0]!.meta as string)).toEqual({ tier: 'gold' });
        expect(rows[1]!.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(Math.abs(new Date(rows[1]!.created_at as string).getTime() - Date.now())).toBeLessThan(60_000);
        const count = await db
          .selectFrom('accounts')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        expect(count.n).toBe(2);
        const later = await db
          .selectFrom('accounts')
          .select('name')
          .where('created_at', '>', new Date('2024-06-01T00:00:00.000Z'))
          .execute();
        expect(later.map((r) => r.name)).toEqual(['b']);
      });
    });

    describe('transactions', () => {
      beforeEach(async () => {
        await store.migrate(MODULES);
      });

      it('commits on return and rolls back on throw', async () => {
        await store.transaction(async (trx) => {
          await (trx as Kysely<Db>).insertInto('accounts').values({ name: 'kept' }).execute();
        });
        await expect(
          store.transaction(async (trx) => {
            await (trx as Kysely<Db>).insertInto('accounts').values({ name: 'undone' }).execute();
            throw new Error('business rule');
          }),
        ).rejects.toThrow('business rule');
        expect(await names(store)).toEqual(['kept']);
      });

      it('joins an outer transaction, so the outer rollback undoes the inner writes', async () => {
        await expect(
          store.transaction(async (trx) => {
            const id = await openAccount(store, 'inner', 10, trx);
            await (trx as Kysely<Db>).insertInto('transfers').values({ account_id: id, amount: 5 }).execute();
            // The inner call joined: its row is visible inside the outer transaction.
            expect(await (trx as Kysely<Db>).selectFrom('accounts').select('name').execute()).toEqual([
              { name: 'inner' },
            ]);
            throw new Error('outer fails after the service call');
          }),
        ).rejects.toThrow('outer fails');
        expect(await names(store)).toEqual([]);

        await store.transaction(async (trx) => {
          await openAccount(store, 'both', 1, trx);
          await openAccount(store, 'committed', 2, trx);
        });
        expect(await names(store)).toEqual(['both', 'committed']);
        // Without an outer transaction the service opens its own.
        await openAccount(store, 'alone', 3);
        expect(await names(store)).toContain('alone');
      });

      it('keeps concurrent transactions apart: one rolling back never undoes the other', async () => {
        const db = (e: Executor) => e as Kysely<Db>;
        const seenByB: string[][] = [];
        const a = store.transaction(async (trx) => {
          await db(trx).insertInto('accounts').values({ name: 'a1' }).execute();
          await sleep(30);
          await db(trx).insertInto('accounts').values({ name: 'a2' }).execute();
          await sleep(30);
          throw new Error('a rolls back');
        });
        const b = store.transaction(async (trx) => {
          await db(trx).insertInto('accounts').values({ name: 'b1' }).execute();
          await sleep(20);
          seenByB.push(
            (await db(trx).selectFrom('accounts').select('name').orderBy('name').execute()).map(
              (r) => r.name,
            ),
          );
          await db(trx).insertInto('accounts').values({ name: 'b2' }).execute();
        });
        const [ra, rb] = await Promise.allSettled([a, b]);
        expect(ra.status).toBe('rejected');
        expect(rb.status).toBe('fulfilled');
        expect(await names(store)).toEqual(['b1', 'b2']);
        // B never saw A's uncommitted rows.
        expect(seenByB).toEqual([['b1']]);
      });

      it('refuses a query on the store from inside its own transaction instead of deadlocking', async () => {
        await expectCode(
          store.transaction(async () => {
            await (store.db as Kysely<Db>).selectFrom('accounts').selectAll().execute();
          }),
          'TRANSACTION_MISUSE',
        );
        await expectCode(
          store.transaction(() => store.transaction(async () => 1)),
          'TRANSACTION_MISUSE',
        );
        // The store is still usable afterwards.
        await openAccount(store, 'after', 0);
        expect(await names(store)).toEqual(['after']);
      });
    });

    describe('errors', () => {
      beforeEach(async () => {
        await store.migrate(MODULES);
      });

      it('surfaces unique and foreign-key violations as CONFLICT on every dialect', async () => {
        await openAccount(store, 'dup', 0);
        const error = await openAccount(store, 'dup', 0).catch((e: unknown) => e);
        expect(isSwitchboardError(error, 'CONFLICT')).toBe(true);
        expect((error as { details: { constraint: string } }).details.constraint).toBe('unique');

        const fk = await (store.db as Kysely<Db>)
          .insertInto('transfers')
          .values({ account_id: 999_999, amount: 1 })
          .execute()
          .catch((e: unknown) => e);
        expect(isSwitchboardError(fk, 'CONFLICT')).toBe(true);
        expect((fk as { details: { constraint: string } }).details.constraint).toBe('foreign_key');
      });

      it('after a failed statement a transaction accepts nothing more and will not commit', async () => {
        await openAccount(store, 'taken', 0);
        let afterFailure: unknown;
        await expectCode(
          store.transaction(async (trx) => {
            const db = trx as Kysely<Db>;
            await db.insertInto('accounts').values({ name: 'first' }).execute();
            await db
              .insertInto('accounts')
              .values({ name: 'taken' })
              .execute()
              .catch(() => undefined); // swallowed on purpose
            afterFailure = await db
              .insertInto('accounts')
              .values({ name: 'second' })
              .execute()
              .catch((e: unknown) => e);
          }),
          'TRANSACTION_ABORTED',
        );
        expect(isSwitchboardError(afterFailure, 'TRANSACTION_ABORTED')).toBe(true);
        expect(await names(store)).toEqual(['taken']);
      });
    });

    describe('health', () => {
      it('reports ok with a latency', async () => {
        const report = await store.health();
        expect(report.ok).toBe(true);
        expect(report.detail).toMatch(store.dialect === 'postgres' ? /^postgres \d+/ : /^sqlite \d+/);
        expect(report.latencyMs).toBeGreaterThanOrEqual(0);
      });

      it('turns unhealthy while the server is unreachable and recovers without reopening', async (ctx) => {
        if (!fx.openThroughProxy) return ctx.skip('embedded store: there is no network to cut');
        const { store: proxied, proxy } = await fx.openThroughProxy();
        try {
          expect((await proxied.health()).ok).toBe(true);
          proxy.cut();
          const down = await proxied.health();
          expect(down.ok).toBe(false);
          expect(down.detail.length).toBeGreaterThan(0);
          await expectCode(sql`select 1`.execute(proxied.db), 'STORE_UNAVAILABLE');
          proxy.restore();
          expect(await eventually(async () => (await proxied.health()).ok)).toBe(true);
          await sql`select 1`.execute(proxied.db);
        } finally {
          await proxied.close();
          await proxy.close();
        }
      });
    });
  });
}
