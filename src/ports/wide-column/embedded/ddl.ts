import type { Columns, Compaction, TableDef } from '../declare.js';
import type { CqlType } from '../types.js';
import { sqlTypeOf } from './codec.js';

/**
 * The SQLite layout of a declared table. Besides the declared columns, every regular column
 * `c` has a companion `_exp_c` (expiry in epoch ms, NULL = never) and every row a marker
 * `_marker` / `_marker_exp`: CQL keeps a TTL per cell and a row marker written by INSERT (not
 * by UPDATE), and a row exists while its marker or any regular cell is live. Modelling that
 * exactly is what makes `UPDATE ... USING TTL` expire only the updated cells, as on ScyllaDB.
 *
 * Companion names start with an underscore because declared names cannot (declare.ts), so
 * they never collide with a declared column (a `c__exp` suffix could).
 * Counter tables have no TTL, so they get neither companions nor a marker.
 */

export const SCHEMA_TABLE = '_switchboard_schema';
export const MARKER = '_marker';
export const MARKER_EXP = '_marker_exp';

export function q(identifier: string): string {
  return `"${identifier}"`;
}

export function expColumn(column: string): string {
  return `_exp_${column}`;
}

export function schemaTableStatement(): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${q(SCHEMA_TABLE)} (table_name TEXT PRIMARY KEY, declaration TEXT NOT NULL, ` +
    `version INTEGER NOT NULL, applied_at INTEGER NOT NULL) STRICT`
  );
}

/** The storage columns a regular column needs (the value and, outside counter tables, its expiry). */
export function addColumnStatements(
  tableName: string,
  column: string,
  type: CqlType,
  counterTable: boolean,
): string[] {
  const out = [`ALTER TABLE ${q(tableName)} ADD COLUMN ${q(column)} ${sqlTypeOf(type)}`];
  if (!counterTable) out.push(`ALTER TABLE ${q(tableName)} ADD COLUMN ${q(expColumn(column))} INTEGER`);
  return out;
}

export function createTableStatement(table: TableDef): string {
  const lines: string[] = [];
  const keys = new Set<string>(table.primaryKey);
  for (const column of table.primaryKey) {
    lines.push(`${q(column)} ${sqlTypeOf(table.columns[column]!)} NOT NULL`);
  }
  for (const column of table.regularColumns) {
    if (keys.has(column)) continue;
    lines.push(`${q(column)} ${sqlTypeOf(table.columns[column]!)}`);
    if (!table.isCounterTable) lines.push(`${q(expColumn(column))} INTEGER`);
  }
  if (!table.isCounterTable) lines.push(`${q(MARKER)} INTEGER`, `${q(MARKER_EXP)} INTEGER`);
  lines.push(`PRIMARY KEY (${table.primaryKey.map(q).join(', ')})`);
  // The layout is physical only: the engine's statements never name the rowid, so both read
  // and write the same way. It is chosen when a table is created (see TableSpec.embeddedLayout).
  const layout = table.embeddedLayout === 'appended' ? '' : ', WITHOUT ROWID';
  return `CREATE TABLE IF NOT EXISTS ${q(table.name)} (\n  ${lines.join(',\n  ')}\n) STRICT${layout}`;
}

/** The embedded DDL for `switchboard schema print --sqlite`. */
export function sqliteSchemaStatements(tables: readonly TableDef[]): string[] {
  return [schemaTableStatement(), ...tables.map(createTableStatement)];
}

/**
 * The parts of a declaration that the stored schema depends on, in a canonical form (columns
 * sorted by name) so that reordering columns in the source is not a schema change.
 */
export interface Declaration {
  columns: Record<string, CqlType>;
  partitionKey: string[];
  clusteringKey: { column: string; order: 'ASC' | 'DESC' }[];
  defaultTtlSeconds: number;
  compaction: Compaction | null;
}

export function declarationOf(table: TableDef): Declaration {
  const columns: Record<string, CqlType> = {};
  for (const name of Object.keys(table.columns).sort()) columns[name] = (table.columns as Columns)[name]!;
  return {
    columns,
    partitionKey: [...table.partitionKey],
    clusteringKey: table.clusteringKey.map((c) => ({ column: c.column, order: c.order })),
    defaultTtlSeconds: table.defaultTtlSeconds,
    compaction: canonicalCompaction(table.compaction),
  };
}

function canonicalCompaction(compaction: Compaction | undefined): Compaction | null {
  if (!compaction) return null;
  return compaction.kind === 'time-window'
    ? { kind: compaction.kind, windowSize: compaction.windowSize, windowUnit: compaction.windowUnit }
    : { kind: compaction.kind };
}

export function isCounterDeclaration(declaration: Declaration): boolean {
  return Object.values(declaration.columns).includes('counter');
}
