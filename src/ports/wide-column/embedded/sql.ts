import type { ClusteringOrder, TableDef } from '../declare.js';
import type { CheckedRange } from '../rules.js';
import { MARKER, MARKER_EXP, expColumn, isCounterDeclaration, q, type Declaration } from './ddl.js';

/**
 * SQL text for every statement the embedded engine runs. Statements bind the current time
 * as `@now` and a write's expiry as `@exp` (one reused parameter object), and everything
 * else positionally, so a call builds one small array and nothing else.
 */

export interface TableShape {
  name: string;
  partitionKey: readonly string[];
  clustering: readonly { column: string; order: ClusteringOrder }[];
  /** Columns outside the primary key, in declaration order. */
  regular: readonly string[];
  counter: boolean;
}

export function shapeOfTable(table: TableDef): TableShape {
  return {
    name: table.name,
    partitionKey: table.partitionKey,
    clustering: table.clusteringKey,
    regular: table.regularColumns,
    counter: table.isCounterTable,
  };
}

export function shapeOfDeclaration(name: string, declaration: Declaration): TableShape {
  const keys = new Set([...declaration.partitionKey, ...declaration.clusteringKey.map((c) => c.column)]);
  return {
    name,
    partitionKey: declaration.partitionKey,
    clustering: declaration.clusteringKey,
    regular: Object.keys(declaration.columns).filter((c) => !keys.has(c)),
    counter: isCounterDeclaration(declaration),
  };
}

function primaryKey(shape: TableShape): string[] {
  return [...shape.partitionKey, ...shape.clustering.map((c) => c.column)];
}

const live = (exp: string): string => `(${q(exp)} IS NULL OR ${q(exp)} > @now)`;

/** A row is visible while its marker or any regular cell is live (counter rows: any counter set). */
export function visiblePredicate(shape: TableShape): string {
  if (shape.counter) return `(${shape.regular.map((c) => `${q(c)} IS NOT NULL`).join(' OR ')})`;
  const terms = [`(${q(MARKER)} IS NOT NULL AND ${live(MARKER_EXP)})`];
  for (const c of shape.regular) terms.push(`(${q(c)} IS NOT NULL AND ${live(expColumn(c))})`);
  return `(${terms.join(' OR ')})`;
}

/** Key columns, then regular columns with expired cells read as NULL; the order rows are decoded in. */
export function selectList(shape: TableShape): string {
  const parts = primaryKey(shape).map(q);
  for (const c of shape.regular) {
    parts.push(shape.counter ? q(c) : `CASE WHEN ${live(expColumn(c))} THEN ${q(c)} END`);
  }
  return parts.join(', ');
}

function equalities(columns: readonly string[]): string {
  return columns.map((c) => `${q(c)} = ?`).join(' AND ');
}

export function getSql(shape: TableShape): string {
  return `SELECT ${selectList(shape)} FROM ${q(shape.name)} WHERE ${equalities(primaryKey(shape))} AND ${visiblePredicate(shape)}`;
}

/** INSERT: sets the row marker and the named cells, all with the write's expiry; other cells are kept. */
export function insertSql(shape: TableShape, columns: readonly string[]): string {
  return upsertSql(shape, columns, true);
}

/** UPDATE: an upsert of the named cells only; unlike INSERT it writes no row marker. */
export function updateSql(shape: TableShape, columns: readonly string[]): string {
  return upsertSql(shape, columns, false);
}

/**
 * CQL writes are upserts: the named cells (each with the write's expiry `@exp`) replace what
 * was there, and cells not named are kept. Only INSERT also (re)writes the row marker.
 */
function upsertSql(shape: TableShape, columns: readonly string[], withMarker: boolean): string {
  const key = primaryKey(shape);
  const names = key.map(q);
  const values = key.map(() => '?');
  const sets: string[] = [];
  const changes: string[] = [];
  const assign = (column: string, value: string) => {
    sets.push(`${q(column)} = ${value}`);
    changes.push(`${q(column)} IS NOT ${value}`);
  };
  if (withMarker) {
    names.push(q(MARKER), q(MARKER_EXP));
    values.push('1', '@exp');
    assign(MARKER, '1');
    assign(MARKER_EXP, `excluded.${q(MARKER_EXP)}`);
  }
  for (const c of columns) {
    names.push(q(c), q(expColumn(c)));
    values.push('?', '@exp');
    assign(c, `excluded.${q(c)}`);
    assign(expColumn(c), `excluded.${q(expColumn(c))}`);
  }
  // An UPDATE naming no cell never happens (rules.checkSet refuses it); an INSERT of only the
  // key still sets the marker, so `sets` is never empty. A write that would leave the row as
  // it is (an index row written again, without TTL) is skipped by the WHERE: the same result,
  // but its page is not dirtied, so the commit writes no WAL frame for it.
  return (
    `INSERT INTO ${q(shape.name)} (${names.join(', ')}) VALUES (${values.join(', ')}) ` +
    `ON CONFLICT (${key.map(q).join(', ')}) DO UPDATE SET ${sets.join(', ')} WHERE ${changes.join(' OR ')}`
  );
}

export function incrementSql(shape: TableShape, columns: readonly string[]): string {
  const key = primaryKey(shape);
  const sets = columns.map((c) => `${q(c)} = coalesce(${q(shape.name)}.${q(c)}, 0) + excluded.${q(c)}`);
  return (
    `INSERT INTO ${q(shape.name)} (${[...key, ...columns].map(q).join(', ')}) ` +
    `VALUES (${[...key, ...columns].map(() => '?').join(', ')}) ` +
    `ON CONFLICT (${key.map(q).join(', ')}) DO UPDATE SET ${sets.join(', ')}`
  );
}

export function deleteRowSql(shape: TableShape): string {
  return `DELETE FROM ${q(shape.name)} WHERE ${equalities(primaryKey(shape))}`;
}

/** WHERE terms for a partition, a clustering prefix and a range on the next clustering column. */
export function sliceWhere(shape: TableShape, prefixLength: number, range: CheckedRange | undefined): string {
  const terms = [
    equalities([...shape.partitionKey, ...shape.clustering.slice(0, prefixLength).map((c) => c.column)]),
  ];
  if (range?.lower) terms.push(`${q(range.column)} ${range.lower.inclusive ? '>=' : '>'} ?`);
  if (range?.upper) terms.push(`${q(range.column)} ${range.upper.inclusive ? '<=' : '<'} ?`);
  return terms.join(' AND ');
}

export function deleteSliceSql(
  shape: TableShape,
  prefixLength: number,
  range: CheckedRange | undefined,
): string {
  return `DELETE FROM ${q(shape.name)} WHERE ${sliceWhere(shape, prefixLength, range)}`;
}

/**
 * A page of a slice. `reversed` flips every clustering column's direction (CQL allows only
 * the table order or its full reverse). With `resume`, rows start strictly after the row
 * whose clustering values (from the prefix on) are bound: for mixed ASC/DESC columns that is
 * an OR chain, preceded by a bound on the first free column that SQLite can seek on.
 */
export function sliceSql(
  shape: TableShape,
  prefixLength: number,
  range: CheckedRange | undefined,
  reversed: boolean,
  resume: boolean,
): string {
  const free = shape.clustering.slice(prefixLength).map((c) => ({
    column: c.column,
    asc: (c.order === 'ASC') !== reversed,
  }));
  const terms = [sliceWhere(shape, prefixLength, range)];
  if (resume && free.length > 0) {
    terms.push(`${q(free[0]!.column)} ${free[0]!.asc ? '>=' : '<='} ?`);
    const chain: string[] = [];
    for (let j = 0; j < free.length; j += 1) {
      const parts = free.slice(0, j).map((c) => `${q(c.column)} = ?`);
      parts.push(`${q(free[j]!.column)} ${free[j]!.asc ? '>' : '<'} ?`);
      chain.push(`(${parts.join(' AND ')})`);
    }
    terms.push(`(${chain.join(' OR ')})`);
  }
  terms.push(visiblePredicate(shape));
  const orderBy =
    free.length > 0
      ? ` ORDER BY ${free.map((c) => `${q(c.column)} ${c.asc ? 'ASC' : 'DESC'}`).join(', ')}`
      : '';
  return `SELECT ${selectList(shape)} FROM ${q(shape.name)} WHERE ${terms.join(' AND ')}${orderBy} LIMIT ${LIMIT_PARAM}`;
}

/**
 * The bound LIMIT of a slice, written `+?` on purpose. SQLite (3.4x and later) treats a bare
 * `LIMIT ?` as a plan input: binding it marks the statement expired, so every execution is
 * silently re-prepared (measured: a one-row slice of session_summaries took ~75 µs instead of
 * ~5 µs, nearly all of it re-preparation). The unary plus keeps the value a runtime operand
 * with the same meaning, so the prepared statement is reused as intended.
 */
export const LIMIT_PARAM = '+?';

/** The positional values for the resume condition of `sliceSql`, from the last row's free clustering values. */
export function resumeParams(last: readonly unknown[]): unknown[] {
  const out: unknown[] = [last[0]];
  for (let j = 0; j < last.length; j += 1) {
    for (let i = 0; i <= j; i += 1) out.push(last[i]);
  }
  return out;
}

/** Physical purge: clears expired cells, then deletes rows nothing live is left in. */
export function purgeSql(shape: TableShape): string[] {
  if (shape.counter) return [];
  const exps = [MARKER_EXP, ...shape.regular.map(expColumn)];
  const clear = [
    `${q(MARKER)} = CASE WHEN ${q(MARKER_EXP)} <= @now THEN NULL ELSE ${q(MARKER)} END`,
    `${q(MARKER_EXP)} = CASE WHEN ${q(MARKER_EXP)} <= @now THEN NULL ELSE ${q(MARKER_EXP)} END`,
  ];
  for (const c of shape.regular) {
    const e = expColumn(c);
    clear.push(
      `${q(c)} = CASE WHEN ${q(e)} <= @now THEN NULL ELSE ${q(c)} END`,
      `${q(e)} = CASE WHEN ${q(e)} <= @now THEN NULL ELSE ${q(e)} END`,
    );
  }
  return [
    `UPDATE ${q(shape.name)} SET ${clear.join(', ')} WHERE ${exps.map((e) => `${q(e)} <= @now`).join(' OR ')}`,
    `DELETE FROM ${q(shape.name)} WHERE NOT ${visiblePredicate(shape)}`,
  ];
}
