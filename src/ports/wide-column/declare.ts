import { SwitchboardError } from '../../errors/index.js';
import { CQL_TYPES, KEY_TYPES, type CqlType, type ValueOf } from './types.js';

export type ClusteringOrder = 'ASC' | 'DESC';

export type Compaction =
  | { kind: 'size-tiered' }
  | { kind: 'leveled' }
  /** TimeWindowCompactionStrategy, for time series written once and expired by TTL. */
  | { kind: 'time-window'; windowSize: number; windowUnit: 'MINUTES' | 'HOURS' | 'DAYS' };

export type Columns = Readonly<Record<string, CqlType>>;

export interface TableSpec<
  C extends Columns,
  P extends readonly (keyof C & string)[],
  K extends readonly { column: keyof C & string; order: ClusteringOrder }[],
> {
  name: string;
  /** The module that owns the table (for schema print grouping and docs). */
  module: string;
  columns: C;
  partitionKey: P;
  clusteringKey?: K;
  /** CQL `default_time_to_live` in seconds; 0 or absent means rows do not expire by default. */
  defaultTtlSeconds?: number;
  compaction?: Compaction;
  /** Whether the table is used with lightweight transactions (IF ...). Drives vendor options (tablets). */
  usesLwt?: boolean;
  /**
   * Plain writes timestamped by the ScyllaDB coordinator instead of the driver (always so with
   * `usesLwt`: see scylla/executor.ts). Declare it on a table written in one logged batch with
   * an LWT table, so that each table has one timestamp source for all its writes; a logged
   * batch may not mix the two kinds (QUERY_REJECTED).
   */
  serverTimestamps?: boolean;
  /**
   * How the embedded (SQLite) engine stores rows (ScyllaDB has no such choice and ignores it).
   * `clustered` (default): rows live in the primary-key b-tree (`WITHOUT ROWID`), best for
   * small rows and range reads. `appended`: rows are appended to a rowid table and only a small
   * primary-key index is kept in key order, for wide rows written in batches scattered over
   * many partitions (event logs): a batch then dirties a few index pages per partition instead
   * of rewriting the wide leaf pages (~7 vs ~12 µs of CPU per row, docs/ARCHITECTURE.md).
   * Point and range reads cost one more lookup per row. Fixed when the table is created.
   */
  embeddedLayout?: 'clustered' | 'appended';
  comment?: string;
}

export interface ClusteringColumn {
  readonly column: string;
  readonly order: ClusteringOrder;
}

/**
 * A declared table. Generic parameters carry the literal column names and types so row types
 * can be inferred; they are deliberately unconstrained here (constraints live on
 * `defineTable`) so every specific table is assignable to a plain `TableDef`.
 */
export interface TableDef<
  C extends Columns = Columns,
  P extends readonly string[] = readonly string[],
  K extends readonly ClusteringColumn[] = readonly ClusteringColumn[],
> {
  readonly name: string;
  readonly module: string;
  readonly columns: C;
  readonly partitionKey: P;
  readonly clusteringKey: K;
  readonly defaultTtlSeconds: number;
  readonly compaction: Compaction | undefined;
  readonly isCounterTable: boolean;
  readonly usesLwt: boolean;
  /** Plain writes take the coordinator's timestamp (true with usesLwt). */
  readonly serverTimestamps: boolean;
  readonly embeddedLayout: 'clustered' | 'appended';
  readonly comment: string | undefined;
  /** Partition key columns followed by clustering columns. */
  readonly primaryKey: readonly string[];
  /** Columns that are not part of the primary key. */
  readonly regularColumns: readonly string[];
}

type KeyNames<T extends TableDef> = T['partitionKey'][number] | T['clusteringKey'][number]['column'];
type ColumnValue<T extends TableDef, N extends keyof T['columns']> = ValueOf<T['columns'][N]>;

/** A full row as read: key columns always present, regular columns possibly null. */
export type Row<T extends TableDef> = {
  [N in KeyNames<T>]: ColumnValue<T, N>;
} & {
  [N in Exclude<keyof T['columns'] & string, KeyNames<T>>]: ColumnValue<T, N> | null;
};

/** A row to write: key columns required, regular columns optional (null writes a tombstone). */
export type RowInput<T extends TableDef> = {
  [N in KeyNames<T>]: ColumnValue<T, N>;
} & {
  [N in Exclude<keyof T['columns'] & string, KeyNames<T>>]?: ColumnValue<T, N> | null;
};

/**
 * A row being created, with its absent values left out: in CQL a written null is a tombstone,
 * and a partition full of them slows every read of it (and past `tombstone_failure_threshold`
 * fails it). Use for rows that do not exist yet; write null only to clear a value on purpose.
 */
export function newRow<R extends object>(row: R): R {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value !== null && value !== undefined) out[key] = value;
  }
  return out as R;
}

export type PartitionKeyOf<T extends TableDef> = { [N in T['partitionKey'][number]]: ColumnValue<T, N> };
export type PrimaryKeyOf<T extends TableDef> = { [N in KeyNames<T>]: ColumnValue<T, N> };
/** Partition key plus optionally a leading prefix of the clustering columns (checked at run time). */
export type SliceKeyOf<T extends TableDef> = PartitionKeyOf<T> & {
  [N in T['clusteringKey'][number]['column']]?: ColumnValue<T, N>;
};
export type ClusteringColumnOf<T extends TableDef> = T['clusteringKey'][number]['column'];
export type RegularColumnOf<T extends TableDef> = Exclude<keyof T['columns'] & string, KeyNames<T>>;
export type CounterColumnOf<T extends TableDef> = {
  [N in RegularColumnOf<T>]: T['columns'][N] extends 'counter' ? N : never;
}[RegularColumnOf<T>];

const IDENT = /^[a-z][a-z0-9_]{0,47}$/;

function bad(table: string, message: string): SwitchboardError {
  return new SwitchboardError('DECLARATION_INVALID', `Table ${table}: ${message}`, { field: table });
}

/**
 * Declares a wide-column table once; from this come the CQL DDL, the SQLite DDL and the
 * row types. Declarations are validated here so a mistake fails at import, not at query time.
 */
export function defineTable<
  const C extends Columns,
  const P extends readonly (keyof C & string)[],
  const K extends readonly { column: keyof C & string; order: ClusteringOrder }[] = readonly [],
>(spec: TableSpec<C, P, K>): TableDef<C, P, K> {
  const { name } = spec;
  if (!IDENT.test(name)) throw bad(name, 'the name must be lower-case letters, digits and underscores');
  const columnNames = Object.keys(spec.columns);
  if (columnNames.length === 0) throw bad(name, 'it has no columns');
  for (const [column, type] of Object.entries(spec.columns)) {
    if (!IDENT.test(column)) throw bad(name, `column "${column}" is not a valid identifier`);
    if (!CQL_TYPES.includes(type)) {
      throw bad(
        name,
        `column "${column}" has unknown type "${String(type)}"; expected one of ${CQL_TYPES.join(', ')}`,
      );
    }
  }
  if (spec.partitionKey.length === 0) throw bad(name, 'the partition key is empty');
  const clustering = spec.clusteringKey ?? ([] as unknown as K);
  const seen = new Set<string>();
  for (const column of [...spec.partitionKey, ...clustering.map((c) => c.column)]) {
    if (!(column in spec.columns)) throw bad(name, `key column "${column}" is not among the columns`);
    if (seen.has(column)) throw bad(name, `key column "${column}" appears twice in the primary key`);
    seen.add(column);
    const type = spec.columns[column] as CqlType;
    if (!KEY_TYPES.includes(type))
      throw bad(name, `key column "${column}" has type ${type}, which cannot be a key`);
  }
  for (const c of clustering) {
    if (c.order !== 'ASC' && c.order !== 'DESC')
      throw bad(name, `clustering column "${c.column}" needs order ASC or DESC`);
  }
  const regular = columnNames.filter((c) => !seen.has(c));
  const counters = regular.filter((c) => spec.columns[c] === 'counter');
  const isCounterTable = counters.length > 0;
  if (isCounterTable && counters.length !== regular.length) {
    const others = regular.filter((c) => spec.columns[c] !== 'counter');
    throw bad(
      name,
      `a counter table may hold only counter columns besides its key; found ${others.join(', ')}`,
    );
  }
  const ttl = spec.defaultTtlSeconds ?? 0;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 630_720_000) {
    throw bad(name, `defaultTtlSeconds must be an integer from 0 to 630720000 (20 years), got ${ttl}`);
  }
  if (isCounterTable && ttl > 0) throw bad(name, 'a counter table cannot have a default TTL');
  if (isCounterTable && spec.usesLwt) throw bad(name, 'counter tables cannot use lightweight transactions');
  const compaction = spec.compaction;
  if (
    compaction?.kind === 'time-window' &&
    (!Number.isInteger(compaction.windowSize) || compaction.windowSize < 1)
  ) {
    throw bad(name, 'a time-window compaction needs a positive integer windowSize');
  }
  return Object.freeze({
    name,
    module: spec.module,
    columns: spec.columns,
    partitionKey: spec.partitionKey,
    clusteringKey: clustering,
    defaultTtlSeconds: ttl,
    compaction,
    isCounterTable,
    usesLwt: spec.usesLwt ?? false,
    serverTimestamps: (spec.usesLwt ?? false) || (spec.serverTimestamps ?? false),
    embeddedLayout: spec.embeddedLayout ?? 'clustered',
    comment: spec.comment,
    primaryKey: [...spec.partitionKey, ...clustering.map((c) => c.column)],
    regularColumns: regular,
  });
}
