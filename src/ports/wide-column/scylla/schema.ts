import type { Logger } from 'pino';
import { SwitchboardError, isSwitchboardError } from '../../../errors/index.js';
import {
  SCHEMA_TABLE,
  addColumnCql,
  alterOptionsCql,
  createKeyspaceCql,
  createTableCql,
  schemaTableCql,
  type KeyspaceOptions,
} from '../cql/ddl.js';
import { qualified } from '../cql/identifiers.js';
import type { ClusteringOrder, Compaction, TableDef } from '../declare.js';
import type { SchemaChange, SchemaReport, SchemaStatus } from '../engine.js';
import { diffTable, parseDeclaration, serializeDeclaration, type TableSnapshot } from '../schema-diff.js';
import { isTabletsOptionRejected } from './errors.js';
import type { CqlExecutor } from './executor.js';

/**
 * Schema management on ScyllaDB/Cassandra. The cluster's own catalogue (system_schema) is
 * the truth about what a table is; the declaration recorded in `switchboard_schema` is the
 * fallback when the catalogue cannot be read, and the record `schemaStatus` compares with.
 * Every unsafe change is found before any statement runs, so a refused upgrade changes nothing.
 */

export interface SchemaContext {
  executor: CqlExecutor;
  keyspaceOptions: KeyspaceOptions;
  logger?: Logger | undefined;
}

const COLUMNS_CQL =
  'SELECT column_name, kind, position, type, clustering_order FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?';
const TABLE_CQL =
  'SELECT default_time_to_live, compaction, comment FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?';

function checkNames(tables: readonly TableDef[]): void {
  const seen = new Map<string, TableDef>();
  for (const table of tables) {
    if (table.name === SCHEMA_TABLE) {
      throw new SwitchboardError(
        'DECLARATION_INVALID',
        `Table ${SCHEMA_TABLE}: the name is reserved for Switchboard`,
        {
          field: table.name,
        },
      );
    }
    const other = seen.get(table.name);
    if (other && other !== table && serializeDeclaration(other) !== serializeDeclaration(table)) {
      throw new SwitchboardError(
        'DECLARATION_INVALID',
        `Table ${table.name} is declared twice, differently`,
        {
          field: table.name,
        },
      );
    }
    seen.set(table.name, table);
  }
}

async function readRecorded(context: SchemaContext): Promise<Map<string, string>> {
  const { executor, keyspaceOptions } = context;
  const recorded = new Map<string, string>();
  let pageState: string | undefined;
  do {
    const result = await executor.execute(
      `SELECT table_name, declaration FROM ${qualified(keyspaceOptions.keyspace, SCHEMA_TABLE)}`,
      [],
      'read',
      { table: SCHEMA_TABLE, operation: 'schema-read' },
      { fetchSize: 1000, pageState },
    );
    for (const row of result.rows) recorded.set(row['table_name'] as string, row['declaration'] as string);
    pageState = result.pageState ?? undefined;
  } while (pageState);
  return recorded;
}

function compactionOf(options: Record<string, string> | null | undefined): Compaction | null {
  const cls = (options?.['class'] ?? '').split('.').pop();
  switch (cls) {
    case 'SizeTieredCompactionStrategy':
      return { kind: 'size-tiered' };
    case 'LeveledCompactionStrategy':
      return { kind: 'leveled' };
    case 'TimeWindowCompactionStrategy': {
      const unit = (options?.['compaction_window_unit'] ?? 'DAYS').toUpperCase();
      return {
        kind: 'time-window',
        windowUnit: unit === 'MINUTES' || unit === 'HOURS' ? unit : 'DAYS',
        windowSize: Number(options?.['compaction_window_size'] ?? 1),
      };
    }
    default:
      return null;
  }
}

/** A row of `system_schema.columns`, as read. */
export interface CatalogColumn {
  column_name: string;
  kind: string;
  position: number;
  type: string;
  clustering_order: string | null;
}

/** The row of `system_schema.tables` with the options a declaration controls. */
export interface CatalogTable {
  default_time_to_live?: number | null;
  compaction?: Record<string, string> | null;
  comment?: string | null;
}

/**
 * A table snapshot from the cluster's catalogue. `clustering_order` is compared without case:
 * Cassandra writes `asc`/`desc`/`none`, ScyllaDB writes `ASC`/`DESC`/`NONE`
 * (db/schema_tables.cc `make_column_mutation`).
 */
export function snapshotFromCatalog(
  name: string,
  columns: readonly CatalogColumn[],
  table: CatalogTable | null | undefined,
): TableSnapshot {
  const snapshot: TableSnapshot = {
    name,
    columns: {},
    partitionKey: [],
    clusteringKey: [],
    defaultTtlSeconds: Number(table?.default_time_to_live ?? 0),
    compaction: compactionOf(table?.compaction),
    comment: table?.comment ?? '',
  };
  const byPosition = (a: { position: number }, b: { position: number }) => a.position - b.position;
  const rows = columns.map((r) => ({
    name: r.column_name,
    kind: String(r.kind).toLowerCase(),
    position: Number(r.position),
    type: r.type,
    order: String(r.clustering_order ?? '').toLowerCase(),
  }));
  for (const row of rows) snapshot.columns[row.name] = row.type;
  snapshot.partitionKey = rows
    .filter((r) => r.kind === 'partition_key')
    .sort(byPosition)
    .map((r) => r.name);
  snapshot.clusteringKey = rows
    .filter((r) => r.kind === 'clustering')
    .sort(byPosition)
    .map((r) => ({ column: r.name, order: (r.order === 'desc' ? 'DESC' : 'ASC') as ClusteringOrder }));
  return snapshot;
}

/**
 * The table as the cluster describes it; null when it does not exist, undefined when the
 * catalogue cannot be read (permissions, an unusual server).
 */
async function readLive(context: SchemaContext, name: string): Promise<TableSnapshot | null | undefined> {
  const { executor, keyspaceOptions } = context;
  const params = [keyspaceOptions.keyspace, name];
  const call = { table: name, operation: 'schema-read' };
  try {
    // Every page: the client's default fetch size (100) would cut off a wide table's columns.
    const columns: CatalogColumn[] = [];
    let pageState: string | undefined;
    do {
      const page = await executor.execute(COLUMNS_CQL, params, 'read', call, { fetchSize: 1000, pageState });
      for (const row of page.rows) columns.push(row as unknown as CatalogColumn);
      pageState = page.pageState ?? undefined;
    } while (pageState);
    if (columns.length === 0) return null;
    const options = await executor.execute(TABLE_CQL, params, 'read', call);
    return snapshotFromCatalog(name, columns, options.first() as unknown as CatalogTable | null);
  } catch (error) {
    if (
      isSwitchboardError(error) &&
      (error.code === 'QUERY_REJECTED' || error.details?.['transient'] === false)
    ) {
      context.logger?.warn(
        { table: name, err: error },
        'system_schema is not readable; using the recorded declaration',
      );
      return undefined;
    }
    throw error;
  }
}

async function createKeyspace(context: SchemaContext, tables: readonly TableDef[]): Promise<void> {
  const { executor, keyspaceOptions } = context;
  const call = { table: keyspaceOptions.keyspace, operation: 'schema-keyspace' };
  try {
    await executor.ddl(createKeyspaceCql(tables, keyspaceOptions), call);
  } catch (error) {
    // ScyllaDB before 6.0 has no tablets and rejects the option; there is nothing to disable.
    if (!isTabletsOptionRejected(error)) throw error;
    context.logger?.info(
      { keyspace: keyspaceOptions.keyspace },
      'this ScyllaDB has no tablets option; creating the keyspace without it',
    );
    await executor.ddl(createKeyspaceCql(tables, keyspaceOptions, { withTablets: false }), call);
  }
}

interface Plan {
  table: TableDef;
  change: SchemaChange;
}

export async function applyScyllaSchema(
  context: SchemaContext,
  tables: readonly TableDef[],
): Promise<SchemaReport> {
  checkNames(tables);
  const { executor, keyspaceOptions } = context;
  const keyspace = keyspaceOptions.keyspace;
  await createKeyspace(context, tables);
  await executor.ddl(schemaTableCql(keyspace), { table: SCHEMA_TABLE, operation: 'schema-create' });
  const recorded = await readRecorded(context);

  const plans: Plan[] = [];
  const unsafe: { table: string; reasons: string[] }[] = [];
  for (const table of tables) {
    const live = await readLive(context, table.name);
    const record = recorded.get(table.name);
    const current =
      live === undefined ? (record === undefined ? null : (parseDeclaration(record) ?? null)) : live;
    if (current === null) {
      plans.push({
        table,
        change: { table: table.name, action: 'create', statements: [createTableCql(keyspace, table)] },
      });
      continue;
    }
    const diff = diffTable(current, table);
    if (diff.unsafe.length > 0) {
      unsafe.push({ table: table.name, reasons: diff.unsafe });
      continue;
    }
    const statements = diff.addColumns.map((c) => addColumnCql(keyspace, table.name, c.column, c.type));
    if (Object.keys(diff.options).length > 0)
      statements.push(alterOptionsCql(keyspace, table.name, diff.options));
    const action: SchemaChange['action'] =
      diff.addColumns.length > 0 ? 'add-columns' : statements.length > 0 ? 'alter-options' : 'unchanged';
    plans.push({ table, change: { table: table.name, action, statements } });
  }
  if (unsafe.length > 0) {
    const text = unsafe.map((u) => `${u.table}: ${u.reasons.join('; ')}`).join(' | ');
    throw new SwitchboardError(
      'SCHEMA_UNSAFE_CHANGE',
      `Refusing to change keyspace ${keyspace}: ${text}. Such a change needs a new table and a data migration.`,
      { details: { keyspace, tables: Object.fromEntries(unsafe.map((u) => [u.table, u.reasons])) } },
    );
  }

  const recordCql = `INSERT INTO ${qualified(keyspace, SCHEMA_TABLE)} (table_name, declaration, applied_at) VALUES (?, ?, ?)`;
  for (const { table, change } of plans) {
    for (const statement of change.statements) {
      await executor.ddl(statement, { table: table.name, operation: `schema-${change.action}` });
    }
    const declaration = serializeDeclaration(table);
    if (change.statements.length > 0 || recorded.get(table.name) !== declaration) {
      await executor.execute(recordCql, [table.name, declaration, new Date()], 'write', {
        table: SCHEMA_TABLE,
        operation: 'schema-record',
      });
    }
  }
  return { keyspace, changes: plans.map((p) => p.change) };
}

export async function scyllaSchemaStatus(
  context: SchemaContext,
  tables: readonly TableDef[],
): Promise<SchemaStatus> {
  let recorded: Map<string, string>;
  try {
    recorded = await readRecorded(context);
  } catch (error) {
    // No keyspace or no record table yet: nothing has been applied.
    if (isSwitchboardError(error, 'SCHEMA_NOT_APPLIED')) return { pending: tables.map((t) => t.name) };
    throw error;
  }
  return {
    pending: tables.filter((t) => recorded.get(t.name) !== serializeDeclaration(t)).map((t) => t.name),
  };
}
