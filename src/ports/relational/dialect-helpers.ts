import { sql, type ColumnDataType, type CreateTableBuilder, type RawBuilder } from 'kysely';
import type { Dialect } from './store.js';

/**
 * The few places where SQLite and PostgreSQL need different DDL, behind one name each, so a
 * module's migration never branches on the dialect itself. Both stores also read values back
 * alike (see postgres-types.ts and sqlite.ts):
 *
 * - timestamps read back as ISO-8601 strings (`2024-05-01T12:00:00.000Z`) on both; write
 *   a Date or an ISO string; order and compare them as they are;
 * - JSON columns read back as the JSON text on both; write `JSON.stringify(value)`;
 * - integer and bigint columns read back as numbers (a PostgreSQL bigint beyond 2^53 stays a string);
 * - there is no boolean helper on purpose: PostgreSQL returns true/false and SQLite 1/0, so
 *   store flags as `integer` 0/1 on both.
 */
export interface DialectTypes {
  /** An instant: `timestamptz` on PostgreSQL, ISO-8601 `text` on SQLite. */
  timestamp: ColumnDataType;
  /** A JSON document: `jsonb` (validated) on PostgreSQL, `text` on SQLite. */
  json: ColumnDataType;
  /** A 64-bit integer (`bigint`; SQLite's `integer` is already 64-bit). */
  bigint: ColumnDataType;
}

export function dialectTypes(dialect: Dialect): DialectTypes {
  return dialect === 'postgres'
    ? { timestamp: 'timestamptz', json: 'jsonb', bigint: 'bigint' }
    : { timestamp: 'text', json: 'text', bigint: 'integer' };
}

/**
 * Adds an auto-increment primary key: `bigserial` on PostgreSQL, `integer primary key
 * autoincrement` on SQLite (the only SQLite form that never reuses ids of deleted rows).
 */
export function addAutoIncrementId<TB extends string, C extends string, N extends string = 'id'>(
  builder: CreateTableBuilder<TB, C>,
  dialect: Dialect,
  name: N = 'id' as N,
): CreateTableBuilder<TB, C | N> {
  return dialect === 'postgres'
    ? builder.addColumn(name, 'bigserial', (c) => c.primaryKey())
    : // NOT NULL is implied for SQLite's rowid alias; spelled out so both dialects declare (and
      // introspect) the same column.
      builder.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement().notNull());
}

/**
 * The current instant as a column default, in the same shape the store reads timestamps back:
 * `now()` on PostgreSQL, an ISO-8601 string with milliseconds and `Z` on SQLite.
 */
export function currentTimestamp(dialect: Dialect): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`now()` : sql<string>`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
}
