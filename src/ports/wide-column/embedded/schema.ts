import type { Database } from 'better-sqlite3';
import { SwitchboardError } from '../../../errors/index.js';
import type { TableDef } from '../declare.js';
import type { SchemaChange } from '../engine.js';
import {
  SCHEMA_TABLE,
  addColumnStatements,
  createTableStatement,
  declarationOf,
  q,
  schemaTableStatement,
  type Declaration,
} from './ddl.js';

/**
 * Schema management of the embedded engine. Each applied table's declaration is recorded in
 * `_switchboard_schema` with a version; re-applying compares the declaration with the record
 * and does only what SQLite can do without rewriting data (add columns). Anything else that
 * changes stored data (key, column type, removed column) is refused, as on ScyllaDB.
 */

export interface AppliedTable {
  declaration: Declaration;
  version: number;
}

export function loadApplied(db: Database): Map<string, AppliedTable> {
  db.exec(schemaTableStatement());
  const rows = db.prepare(`SELECT table_name, declaration, version FROM ${q(SCHEMA_TABLE)}`).all() as {
    table_name: string;
    declaration: string;
    version: number;
  }[];
  return new Map(
    rows.map((r) => [
      r.table_name,
      { declaration: JSON.parse(r.declaration) as Declaration, version: r.version },
    ]),
  );
}

const keyText = (d: Declaration): string =>
  `(${d.partitionKey.join(', ')})${d.clusteringKey.map((c) => `, ${c.column} ${c.order}`).join('')}`;

/** What makes an applied declaration unusable for `wanted`; empty when the upgrade is safe. */
export function unsafeChanges(wanted: Declaration, applied: Declaration): string[] {
  const problems: string[] = [];
  if (keyText(wanted) !== keyText(applied)) {
    problems.push(`the primary key changed from ${keyText(applied)} to ${keyText(wanted)}`);
  }
  for (const [column, type] of Object.entries(applied.columns)) {
    const now = wanted.columns[column];
    if (now === undefined) problems.push(`column "${column}" was removed`);
    else if (now !== type) problems.push(`column "${column}" changed type from ${type} to ${now}`);
  }
  return problems;
}

/** Why the table cannot be used with the applied schema (SCHEMA_NOT_APPLIED), or undefined. */
export function usabilityProblem(
  table: TableDef,
  applied: AppliedTable | undefined,
  where: string,
): string | undefined {
  if (!applied) return `table ${table.name} does not exist in ${where}`;
  const wanted = declarationOf(table);
  if (keyText(wanted) !== keyText(applied.declaration)) {
    return `table ${table.name} in ${where} has primary key ${keyText(applied.declaration)}, not ${keyText(wanted)}`;
  }
  for (const [column, type] of Object.entries(wanted.columns)) {
    const has = applied.declaration.columns[column];
    if (has === undefined) return `table ${table.name} in ${where} has no column "${column}" yet`;
    if (has !== type) return `column ${table.name}.${column} in ${where} is ${has}, not ${type}`;
  }
  return undefined;
}

interface PlannedTable {
  table: TableDef;
  declaration: Declaration;
  change: SchemaChange;
}

function planTable(table: TableDef, applied: AppliedTable | undefined): PlannedTable | string[] {
  const declaration = declarationOf(table);
  if (!applied) {
    return {
      table,
      declaration,
      change: { table: table.name, action: 'create', statements: [createTableStatement(table)] },
    };
  }
  const problems = unsafeChanges(declaration, applied.declaration);
  if (problems.length > 0) return problems;
  const added = Object.keys(declaration.columns).filter((c) => !(c in applied.declaration.columns));
  if (added.length > 0) {
    const statements = added.flatMap((c) =>
      addColumnStatements(table.name, c, declaration.columns[c]!, table.isCounterTable),
    );
    return { table, declaration, change: { table: table.name, action: 'add-columns', statements } };
  }
  const same = JSON.stringify(declaration) === JSON.stringify(applied.declaration);
  return {
    table,
    declaration,
    change: { table: table.name, action: same ? 'unchanged' : 'alter-options', statements: [] },
  };
}

/**
 * Plans every table first and refuses the whole call if any change is unsafe, then runs the
 * DDL and the records in one transaction, so a refused or failed apply changes nothing.
 */
export function applyTables(
  db: Database,
  tables: readonly TableDef[],
  applied: Map<string, AppliedTable>,
  now: number,
): SchemaChange[] {
  const planned: PlannedTable[] = [];
  const refusals: string[] = [];
  const seen = new Map<string, string>();
  for (const table of tables) {
    const json = JSON.stringify(declarationOf(table));
    const previous = seen.get(table.name);
    if (previous !== undefined) {
      if (previous !== json) refusals.push(`table ${table.name} is declared twice, differently`);
      continue;
    }
    seen.set(table.name, json);
    const plan = planTable(table, applied.get(table.name));
    if (Array.isArray(plan)) refusals.push(`table ${table.name}: ${plan.join('; ')}`);
    else planned.push(plan);
  }
  if (refusals.length > 0) {
    throw new SwitchboardError(
      'SCHEMA_UNSAFE_CHANGE',
      `Refusing to change the embedded schema: ${refusals.join('. ')}. ` +
        'Such a change needs a new table and a data migration.',
      { details: { refusals } },
    );
  }
  const record = db.prepare(
    `INSERT INTO ${q(SCHEMA_TABLE)} (table_name, declaration, version, applied_at) VALUES (?, ?, ?, ?) ` +
      'ON CONFLICT (table_name) DO UPDATE SET declaration = excluded.declaration, version = excluded.version, ' +
      'applied_at = excluded.applied_at',
  );
  db.transaction(() => {
    for (const { table, declaration, change } of planned) {
      for (const statement of change.statements) db.exec(statement);
      if (change.action === 'unchanged') continue;
      const version = (applied.get(table.name)?.version ?? 0) + 1;
      record.run(table.name, JSON.stringify(declaration), version, now);
    }
  }).immediate();
  for (const { table, declaration, change } of planned) {
    if (change.action === 'unchanged') continue;
    applied.set(table.name, { declaration, version: (applied.get(table.name)?.version ?? 0) + 1 });
  }
  return planned.map((p) => p.change);
}

/** Declared tables that are missing or recorded with another declaration. */
export function pendingTables(tables: readonly TableDef[], applied: Map<string, AppliedTable>): string[] {
  return tables
    .filter((t) => {
      const record = applied.get(t.name);
      return !record || JSON.stringify(record.declaration) !== JSON.stringify(declarationOf(t));
    })
    .map((t) => t.name);
}
