import { SwitchboardError } from '../../../errors/index.js';
import type { Compaction, TableDef } from '../declare.js';
import { qualified, quoteIdent, stringLiteral } from './identifiers.js';

/**
 * CQL DDL generated from table declarations. Pure functions: the ScyllaDB engine executes
 * these statements and `switchboard schema print --cql` prints them (adding `;`), so what is
 * printed is exactly what is applied.
 */

export type CqlFlavor = 'scylla' | 'cassandra';

export type Replication =
  | { strategy: 'SimpleStrategy'; factor: number }
  | { strategy: 'NetworkTopologyStrategy'; dcFactors: Readonly<Record<string, number>> };

export interface KeyspaceOptions {
  keyspace: string;
  flavor: CqlFlavor;
  replication: Replication;
}

/** Name of the table where applied declarations are recorded. */
export const SCHEMA_TABLE = 'switchboard_schema';

function replicationMap(replication: Replication): string {
  if (replication.strategy === 'SimpleStrategy') {
    if (!Number.isInteger(replication.factor) || replication.factor < 1) {
      throw new SwitchboardError(
        'CONFIG_INVALID',
        `replication factor must be a positive integer, got ${replication.factor}`,
        {
          field: 'scylla.replication_factor',
        },
      );
    }
    return `{'class': 'SimpleStrategy', 'replication_factor': ${replication.factor}}`;
  }
  const entries = Object.entries(replication.dcFactors);
  if (entries.length === 0) {
    throw new SwitchboardError(
      'CONFIG_INVALID',
      'NetworkTopologyStrategy needs at least one data center factor (scylla.replication_dc_factors)',
      { field: 'scylla.replication_dc_factors' },
    );
  }
  const parts = entries.map(([dc, factor]) => {
    if (!Number.isInteger(factor) || factor < 0) {
      throw new SwitchboardError(
        'CONFIG_INVALID',
        `replication factor for data center "${dc}" must be an integer >= 0`,
        {
          field: 'scylla.replication_dc_factors',
        },
      );
    }
    return `${stringLiteral(dc)}: ${factor}`;
  });
  return `{'class': 'NetworkTopologyStrategy', ${parts.join(', ')}}`;
}

/**
 * Whether ScyllaDB tablets must be disabled for this keyspace. Tablets do not support
 * counters or LWT (ScyllaDB 6.x), and SimpleStrategy cannot use tablets at all: ScyllaDB
 * 2025.4+ enables tablets by default and rejects a SimpleStrategy keyspace unless tablets
 * are explicitly disabled. Cassandra has no tablets and would reject the option.
 */
export function needsTabletsDisabled(tables: readonly TableDef[], options: KeyspaceOptions): boolean {
  if (options.flavor !== 'scylla') return false;
  if (options.replication.strategy === 'SimpleStrategy') return true;
  return tables.some((t) => t.isCounterTable || t.usesLwt);
}

/** `CREATE KEYSPACE IF NOT EXISTS` with the configured replication (and tablets off where needed). */
export function createKeyspaceCql(
  tables: readonly TableDef[],
  options: KeyspaceOptions,
  { withTablets = true }: { withTablets?: boolean } = {},
): string {
  const tablets =
    withTablets && needsTabletsDisabled(tables, options) ? " AND tablets = {'enabled': false}" : '';
  return `CREATE KEYSPACE IF NOT EXISTS ${quoteIdent(options.keyspace)} WITH replication = ${replicationMap(options.replication)}${tablets}`;
}

/** The `compaction = {...}` map for a compaction hint. */
export function compactionMap(compaction: Compaction): string {
  switch (compaction.kind) {
    case 'size-tiered':
      return "{'class': 'SizeTieredCompactionStrategy'}";
    case 'leveled':
      return "{'class': 'LeveledCompactionStrategy'}";
    case 'time-window':
      return `{'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': '${compaction.windowUnit}', 'compaction_window_size': ${compaction.windowSize}}`;
  }
}

/** `CREATE TABLE IF NOT EXISTS keyspace.table (...) WITH ...`, multi-line for readable printing. */
export function createTableCql(keyspace: string, table: TableDef): string {
  const columns = Object.entries(table.columns).map(([name, type]) => `  ${quoteIdent(name)} ${type},`);
  const partition = `(${table.partitionKey.map(quoteIdent).join(', ')})`;
  const clustering = table.clusteringKey.map((c) => quoteIdent(c.column));
  const primaryKey = `  PRIMARY KEY (${[partition, ...clustering].join(', ')})`;
  const options: string[] = [];
  if (table.clusteringKey.length > 0) {
    options.push(
      `CLUSTERING ORDER BY (${table.clusteringKey.map((c) => `${quoteIdent(c.column)} ${c.order}`).join(', ')})`,
    );
  }
  options.push(...tableOptions(table, { includeDefaults: false }));
  const head = `CREATE TABLE IF NOT EXISTS ${qualified(keyspace, table.name)} (\n${columns.join('\n')}\n${primaryKey}\n)`;
  return options.length === 0 ? head : `${head} WITH ${options.join('\n  AND ')}`;
}

/**
 * The table options of a declaration. On CREATE a zero TTL and an absent comment are left out
 * (they are the defaults); on ALTER they are written so that a removed TTL or comment is reset.
 */
function tableOptions(
  table: Pick<TableDef, 'defaultTtlSeconds' | 'compaction' | 'comment'>,
  { includeDefaults }: { includeDefaults: boolean },
): string[] {
  const options: string[] = [];
  if (table.defaultTtlSeconds > 0 || includeDefaults)
    options.push(`default_time_to_live = ${table.defaultTtlSeconds}`);
  if (table.compaction) options.push(`compaction = ${compactionMap(table.compaction)}`);
  if (table.comment !== undefined || includeDefaults)
    options.push(`comment = ${stringLiteral(table.comment ?? '')}`);
  return options;
}

/** `ALTER TABLE ... ADD column type`, one statement per column (portable across engines and versions). */
export function addColumnCql(keyspace: string, table: string, column: string, type: string): string {
  return `ALTER TABLE ${qualified(keyspace, table)} ADD ${quoteIdent(column)} ${type}`;
}

/** `ALTER TABLE ... WITH` for the options that changed. */
export function alterOptionsCql(
  keyspace: string,
  table: string,
  changes: { defaultTtlSeconds?: number; compaction?: Compaction; comment?: string },
): string {
  const parts: string[] = [];
  if (changes.defaultTtlSeconds !== undefined)
    parts.push(`default_time_to_live = ${changes.defaultTtlSeconds}`);
  if (changes.compaction !== undefined) parts.push(`compaction = ${compactionMap(changes.compaction)}`);
  if (changes.comment !== undefined) parts.push(`comment = ${stringLiteral(changes.comment)}`);
  if (parts.length === 0) throw new Error('alterOptionsCql: nothing to change');
  return `ALTER TABLE ${qualified(keyspace, table)} WITH ${parts.join(' AND ')}`;
}

/** The table recording which declaration was applied to each table. */
export function schemaTableCql(keyspace: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(keyspace, SCHEMA_TABLE)} (table_name text PRIMARY KEY, declaration text, applied_at timestamp)`;
}

/** The whole keyspace: the keyspace, then every table, in declaration order. */
export function cqlSchemaStatements(tables: readonly TableDef[], options: KeyspaceOptions): string[] {
  return [createKeyspaceCql(tables, options), ...tables.map((t) => createTableCql(options.keyspace, t))];
}
