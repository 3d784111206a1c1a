import type { SwitchboardConfig } from '../config/index.js';
import { SwitchboardError } from '../errors/index.js';
import type { TopicSpec } from '../ports/event-log/log.js';
import type { MigrationReport, ModuleMigrations } from '../ports/relational/store.js';
import type { TableDef } from '../ports/wide-column/declare.js';
import type { SchemaReport } from '../ports/wide-column/engine.js';
import { allModules } from './modules.js';
import type { Ports } from './ports.js';

/** Every wide-column table every module declares, in module order. */
export function allTables(): TableDef[] {
  return allModules().flatMap((m) => [...m.tables]);
}

/** Every module's relational migrations (auth's included). */
export function allMigrations(): ModuleMigrations[] {
  return allModules()
    .filter((m) => (m.migrations?.length ?? 0) > 0)
    .map((m) => ({ module: m.name, migrations: m.migrations ?? [] }));
}

/** Every topic the modules publish to or consume from. */
export function allTopics(config: SwitchboardConfig): TopicSpec[] {
  return allModules().flatMap((m) => [...(m.topics?.(config) ?? [])]);
}

export interface ApplySchemaReport {
  wideColumn: SchemaReport;
  relational: MigrationReport;
  topics: string[];
}

export interface SchemaStatusReport {
  applied: boolean;
  /** Wide-column tables not created, or created from an older declaration. */
  tables: string[];
  /** Relational migrations not yet run, as `module@version name`. */
  migrations: string[];
}

type Target = { ports: Ports; config: SwitchboardConfig } | (Ports & { config: SwitchboardConfig });

function portsOf(target: Target): Ports {
  return 'ports' in target ? target.ports : target;
}

/**
 * Creates or upgrades everything the modules declare: wide-column tables, relational
 * migrations, event-log topics. Every step is idempotent, so it is safe to re-run.
 */
export async function applySchema(target: Target): Promise<ApplySchemaReport> {
  const ports = portsOf(target);
  const wideColumn = await ports.wideColumn.applySchema(allTables());
  const relational = await ports.relational.migrate(allMigrations());
  const topics = allTopics(target.config);
  if (topics.length > 0) await ports.eventLog.ensureTopics(topics);
  return { wideColumn, relational, topics: topics.map((t) => t.name) };
}

/**
 * What `schema apply` would still do for tables and migrations (topics are created
 * idempotently and not tracked, so they are not reported here).
 */
export async function schemaStatus(target: Target): Promise<SchemaStatusReport> {
  const ports = portsOf(target);
  const tables = (await ports.wideColumn.schemaStatus(allTables())).pending;
  const migrations = (await ports.relational.pendingMigrations(allMigrations())).map(
    (m) => `${m.module}@${m.version} ${m.name}`,
  );
  return { applied: tables.length === 0 && migrations.length === 0, tables, migrations };
}

/** Throws SCHEMA_NOT_APPLIED naming what is pending; `serve` calls this before listening. */
export async function assertSchemaApplied(target: Target): Promise<void> {
  const status = await schemaStatus(target);
  if (status.applied) return;
  const parts = [
    status.tables.length > 0 ? `tables ${status.tables.join(', ')}` : '',
    status.migrations.length > 0 ? `migrations ${status.migrations.join(', ')}` : '',
  ].filter((p) => p !== '');
  throw new SwitchboardError(
    'SCHEMA_NOT_APPLIED',
    `The schema has not been applied (pending: ${parts.join('; ')}); run \`switchboard schema apply\` first`,
    { details: { tables: status.tables, migrations: status.migrations } },
  );
}
