import type { Kysely, Transaction } from 'kysely';
import { SwitchboardError } from '../../errors/index.js';
import { dialectTypes } from './dialect-helpers.js';
import type { AppliedMigration, Dialect, Migration, MigrationReport, ModuleMigrations } from './store.js';

export const LEDGER_TABLE = 'switchboard_migrations';

interface LedgerRow {
  module: string;
  version: number;
  name: string;
  applied_at: string | Date;
}

interface LedgerDb {
  [LEDGER_TABLE]: LedgerRow;
}

/** What the shared runner needs from a dialect. */
export interface MigrationHost {
  dialect: Dialect;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>;
  /** Opens a transaction through the store (so it is scoped and guarded like any other). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  transaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T>;
  /**
   * Serialises migration work across processes for the rest of the transaction. PostgreSQL
   * takes an advisory transaction lock; SQLite needs nothing because its transactions begin
   * IMMEDIATE, which already holds the database's write lock.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  lockMigrations(trx: Transaction<any>): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ledgerExists(db: Kysely<any>): Promise<boolean>;
}

/** Declared migrations in the order they apply: modules as given, versions ascending. */
function ordered(modules: readonly ModuleMigrations[]): { module: string; migration: Migration }[] {
  const out: { module: string; migration: Migration }[] = [];
  const seenModules = new Set<string>();
  for (const { module, migrations } of modules) {
    if (seenModules.has(module)) {
      throw new SwitchboardError('DECLARATION_INVALID', `Migrations for module "${module}" are given twice`);
    }
    seenModules.add(module);
    const versions = new Set<number>();
    for (const m of migrations) {
      if (!Number.isInteger(m.version) || m.version < 1 || versions.has(m.version)) {
        throw new SwitchboardError(
          'DECLARATION_INVALID',
          `Migration "${m.name}" of module "${module}" has version ${m.version}; versions are unique integers from 1`,
        );
      }
      versions.add(m.version);
    }
    for (const migration of [...migrations].sort((a, b) => a.version - b.version))
      out.push({ module, migration });
  }
  return out;
}

async function appliedSet(host: MigrationHost): Promise<Map<string, LedgerRow>> {
  if (!(await host.ledgerExists(host.db))) return new Map();
  const rows = await (host.db as Kysely<LedgerDb>).selectFrom(LEDGER_TABLE).selectAll().execute();
  return new Map(rows.map((r) => [`${r.module}\u0000${r.version}`, r]));
}

async function ensureLedger(host: MigrationHost): Promise<void> {
  if (await host.ledgerExists(host.db)) return;
  // Under the lock: two processes creating the table at once can collide on PostgreSQL's
  // catalog even with IF NOT EXISTS.
  await host.transaction(async (trx) => {
    await host.lockMigrations(trx);
    const types = dialectTypes(host.dialect);
    await trx.schema
      .createTable(LEDGER_TABLE)
      .ifNotExists()
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', types.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint(`${LEDGER_TABLE}_pk`, ['module', 'version'])
      .execute();
  });
}

export async function pendingMigrations(
  host: MigrationHost,
  modules: readonly ModuleMigrations[],
): Promise<{ module: string; version: number; name: string }[]> {
  const applied = await appliedSet(host);
  return ordered(modules)
    .filter(({ module, migration }) => !applied.has(`${module}\u0000${migration.version}`))
    .map(({ module, migration }) => ({ module, version: migration.version, name: migration.name }));
}

/**
 * Applies every pending migration, each in its own transaction together with its ledger row,
 * so a failure leaves the earlier ones applied and recorded and this one not at all. The
 * ledger is re-read under the lock, so a concurrent runner that got there first turns the
 * migration into a no-op here.
 */
export async function runMigrations(
  host: MigrationHost,
  modules: readonly ModuleMigrations[],
): Promise<MigrationReport> {
  const plan = ordered(modules);
  await ensureLedger(host);
  const report: MigrationReport = { applied: [], alreadyApplied: 0 };
  const known = await appliedSet(host);
  for (const { module, migration } of plan) {
    const key = `${module}\u0000${migration.version}`;
    if (known.has(key)) {
      report.alreadyApplied += 1;
      continue;
    }
    const applied = await host.transaction(async (trx): Promise<AppliedMigration | null> => {
      await host.lockMigrations(trx);
      const ledger = trx as unknown as Transaction<LedgerDb>;
      const existing = await ledger
        .selectFrom(LEDGER_TABLE)
        .select('name')
        .where('module', '=', module)
        .where('version', '=', migration.version)
        .executeTakeFirst();
      if (existing) return null;
      await migration.up(trx, host.dialect);
      const appliedAt = new Date();
      await ledger
        .insertInto(LEDGER_TABLE)
        .values({
          module,
          version: migration.version,
          name: migration.name,
          applied_at: appliedAt.toISOString(),
        })
        .execute();
      return { module, version: migration.version, name: migration.name, appliedAt };
    });
    if (applied) report.applied.push(applied);
    else report.alreadyApplied += 1;
  }
  return report;
}
