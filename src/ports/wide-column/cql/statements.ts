import type { TableDef } from '../declare.js';
import { qualified, quoteIdent } from './identifiers.js';

/**
 * DML statement text for the operations of the wide-column port. Every value is a `?` bind
 * marker, so the text depends only on the *shape* of an operation (which columns, which
 * options), never on its values: the same text is prepared once and reused. The functions
 * document the order in which the engine must bind values.
 */

export type LowerBound = '>' | '>=';
export type UpperBound = '<' | '<=';

/** The shape of a clustering restriction: equality on a prefix, then an optional range on the next column. */
export interface ClusteringShape {
  /** How many leading clustering columns are fixed by equality. */
  prefixLength: number;
  lower?: LowerBound;
  upper?: UpperBound;
}

const eq = (column: string) => `${quoteIdent(column)} = ?`;

function keyWhere(table: TableDef): string {
  return table.primaryKey.map(eq).join(' AND ');
}

function partitionWhere(table: TableDef): string[] {
  return table.partitionKey.map(eq);
}

/** Partition equality, clustering prefix equality, then the range on the next clustering column. */
function clusteringWhere(table: TableDef, shape: ClusteringShape): string {
  const clustering = table.clusteringKey.map((c) => c.column as string);
  if (shape.prefixLength > clustering.length)
    throw new Error(`${table.name}: clustering prefix longer than the key`);
  const parts = [...partitionWhere(table), ...clustering.slice(0, shape.prefixLength).map(eq)];
  if (shape.lower || shape.upper) {
    const column = clustering[shape.prefixLength];
    if (column === undefined) throw new Error(`${table.name}: no clustering column left for a range`);
    if (shape.lower) parts.push(`${quoteIdent(column)} ${shape.lower} ?`);
    if (shape.upper) parts.push(`${quoteIdent(column)} ${shape.upper} ?`);
  }
  return parts.join(' AND ');
}

function selectList(table: TableDef): string {
  return Object.keys(table.columns).map(quoteIdent).join(', ');
}

/**
 * `INSERT INTO t (c...) VALUES (?...) [IF NOT EXISTS] [USING TTL ?]`.
 * Binds: the column values in `columns` order, then the TTL. Without `ttl` the table's
 * default TTL applies; pass `ttl` (and bind 0) to write without expiry.
 */
export function insertCql(
  keyspace: string,
  table: TableDef,
  columns: readonly string[],
  options: { ttl: boolean; ifNotExists: boolean },
): string {
  const names = columns.map(quoteIdent).join(', ');
  const markers = columns.map(() => '?').join(', ');
  return (
    `INSERT INTO ${qualified(keyspace, table.name)} (${names}) VALUES (${markers})` +
    (options.ifNotExists ? ' IF NOT EXISTS' : '') +
    (options.ttl ? ' USING TTL ?' : '')
  );
}

/** `SELECT <all columns> FROM t WHERE <full primary key>`. Binds: the primary key in primary-key order. */
export function selectRowCql(keyspace: string, table: TableDef): string {
  return `SELECT ${selectList(table)} FROM ${qualified(keyspace, table.name)} WHERE ${keyWhere(table)}`;
}

/**
 * A partition slice. Binds: partition key, clustering prefix, lower bound, upper bound.
 * `reversed` emits `ORDER BY` with every clustering column flipped from the table order;
 * otherwise rows come in table order and no ORDER BY is needed. No LIMIT: the engine pages
 * with the driver's fetch size and paging state, which resume exactly after the last row.
 */
export function selectSliceCql(
  keyspace: string,
  table: TableDef,
  shape: ClusteringShape & { reversed: boolean },
): string {
  const base = `SELECT ${selectList(table)} FROM ${qualified(keyspace, table.name)} WHERE ${clusteringWhere(table, shape)}`;
  if (!shape.reversed || table.clusteringKey.length === 0) return base;
  const order = table.clusteringKey
    .map((c) => `${quoteIdent(c.column)} ${c.order === 'ASC' ? 'DESC' : 'ASC'}`)
    .join(', ');
  return `${base} ORDER BY ${order}`;
}

export type UpdateCondition =
  | { kind: 'none' }
  | { kind: 'exists' }
  | { kind: 'columns'; columns: readonly string[] };

/**
 * `UPDATE t [USING TTL ?] SET a = ?, ... WHERE <key> [IF EXISTS | IF c = ? AND ...]`.
 * Binds: TTL (if any), the SET values, the primary key, the condition values.
 */
export function updateCql(
  keyspace: string,
  table: TableDef,
  columns: readonly string[],
  options: { ttl: boolean; condition: UpdateCondition },
): string {
  if (columns.length === 0) throw new Error(`${table.name}: an update needs at least one column`);
  const set = columns.map(eq).join(', ');
  let condition = '';
  if (options.condition.kind === 'exists') condition = ' IF EXISTS';
  if (options.condition.kind === 'columns')
    condition = ` IF ${options.condition.columns.map(eq).join(' AND ')}`;
  return (
    `UPDATE ${qualified(keyspace, table.name)}${options.ttl ? ' USING TTL ?' : ''} SET ${set} WHERE ${keyWhere(table)}` +
    condition
  );
}

/** `DELETE FROM t WHERE <key> [IF EXISTS]`. Binds: the primary key. */
export function deleteRowCql(keyspace: string, table: TableDef, options: { ifExists: boolean }): string {
  return `DELETE FROM ${qualified(keyspace, table.name)} WHERE ${keyWhere(table)}${options.ifExists ? ' IF EXISTS' : ''}`;
}

/**
 * A range delete within one partition (a range tombstone): equality on a clustering prefix
 * and optionally a range on the next clustering column, which CQL allows for the last
 * restricted column. Binds: partition key, prefix, lower bound, upper bound.
 */
export function deleteSliceCql(keyspace: string, table: TableDef, shape: ClusteringShape): string {
  return `DELETE FROM ${qualified(keyspace, table.name)} WHERE ${clusteringWhere(table, shape)}`;
}

/** `DELETE FROM t WHERE <partition key>`. Binds: the partition key. */
export function deletePartitionCql(keyspace: string, table: TableDef): string {
  return `DELETE FROM ${qualified(keyspace, table.name)} WHERE ${partitionWhere(table).join(' AND ')}`;
}

/** `UPDATE t SET c = c + ?, ... WHERE <key>` on a counter table. Binds: the deltas, then the primary key. */
export function incrementCql(keyspace: string, table: TableDef, columns: readonly string[]): string {
  if (columns.length === 0) throw new Error(`${table.name}: an increment needs at least one counter column`);
  const set = columns.map((c) => `${quoteIdent(c)} = ${quoteIdent(c)} + ?`).join(', ');
  return `UPDATE ${qualified(keyspace, table.name)} SET ${set} WHERE ${keyWhere(table)}`;
}

/** The health probe: every CQL node answers it from its own system tables. */
export const HEALTH_CQL = 'SELECT release_version FROM system.local';
