import type { Migration } from '../ports/relational/store.js';

/**
 * The API key ledger. Only the SHA-256 of a key is stored; `scopes` holds the implied scopes
 * as a comma-separated list (e.g. "read,write"). Timestamps are timestamptz on PostgreSQL and
 * ISO-8601 text on SQLite (which has no time type); both read back through `new Date()`.
 */
export const authMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'api_keys',
    async up(db, dialect) {
      const time = dialect === 'postgres' ? 'timestamptz' : 'text';
      await db.schema
        .createTable('api_keys')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('revoked_at', time)
        .addColumn('last_used_at', time)
        .execute();
    },
  },
];

/** Row shape of `api_keys` for Kysely. */
export interface ApiKeysTable {
  id: string;
  name: string;
  hash: string;
  scopes: string;
  created_at: string | Date;
  revoked_at: string | Date | null;
  last_used_at: string | Date | null;
}

export interface AuthDatabase {
  api_keys: ApiKeysTable;
}
