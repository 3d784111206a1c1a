import type { Command } from 'commander';
import { allMigrations, allTables, applySchema, schemaStatus } from '../../app/schema.js';
import { SwitchboardError } from '../../errors/index.js';
import { cqlSchemaStatements, type Replication } from '../../ports/wide-column/cql/index.js';
import { sqliteSchemaStatements } from '../../ports/wide-column/embedded/ddl.js';
import { cliConfig, withSwitchboard } from '../context.js';

function replicationOf(config: ReturnType<typeof cliConfig>): Replication {
  const s = config.scylla;
  return s.replication_strategy === 'SimpleStrategy'
    ? { strategy: 'SimpleStrategy', factor: s.replication_factor }
    : { strategy: 'NetworkTopologyStrategy', dcFactors: s.replication_dc_factors };
}

function statements(list: readonly string[]): string {
  return list.map((s) => (s.trimEnd().endsWith(';') ? s.trimEnd() : `${s.trimEnd()};`)).join('\n\n') + '\n';
}

/** `switchboard schema print | apply | status`. */
export function register(program: Command): void {
  const schema = program.command('schema').description('print, apply or check the schema of every module');

  schema
    .command('print')
    .description('print the DDL of every declared table')
    .option('--cql', 'the ScyllaDB / Cassandra keyspace and tables')
    .option('--sqlite', 'the embedded engine tables')
    .action((opts: { cql?: boolean; sqlite?: boolean }, command: Command) => {
      if (Boolean(opts.cql) === Boolean(opts.sqlite)) {
        throw new SwitchboardError('VALIDATION_FAILED', 'choose one of --cql or --sqlite', {
          field: 'format',
        });
      }
      const tables = allTables();
      if (opts.sqlite) {
        process.stdout.write(statements(sqliteSchemaStatements(tables)));
        return;
      }
      const config = cliConfig(command);
      const ddl = cqlSchemaStatements(tables, {
        keyspace: config.scylla.keyspace,
        flavor: config.scylla.flavor,
        replication: replicationOf(config),
      });
      process.stdout.write(`-- Switchboard schema, flavor ${config.scylla.flavor}\n\n${statements(ddl)}`);
    });

  schema
    .command('apply')
    .description('create or upgrade tables, run pending migrations, create topics (safe to re-run)')
    .action(async (_opts: unknown, command: Command) => {
      await withSwitchboard(command, async (switchboard) => {
        const report = await applySchema(switchboard);
        const lines: string[] = [];
        for (const change of report.wideColumn.changes) {
          if (change.action !== 'unchanged')
            lines.push(`wide-column  ${change.action.padEnd(13)} ${change.table}`);
        }
        for (const m of report.relational.applied)
          lines.push(`relational   migrated      ${m.module}@${m.version} ${m.name}`);
        for (const topic of report.topics) lines.push(`event-log    topic         ${topic}`);
        const unchanged = report.wideColumn.changes.filter((c) => c.action === 'unchanged').length;
        lines.push(
          `schema applied: ${report.wideColumn.changes.length - unchanged} table change(s), ` +
            `${unchanged} table(s) unchanged, ${report.relational.applied.length} migration(s) run, ` +
            `${report.relational.alreadyApplied} already applied`,
        );
        console.log(lines.join('\n'));
      });
    });

  schema
    .command('status')
    .description('list what `schema apply` would still do (exit 1 if anything is pending)')
    .action(async (_opts: unknown, command: Command) => {
      await withSwitchboard(command, async (switchboard) => {
        const status = await schemaStatus(switchboard);
        const tables = allTables().length;
        const migrations = allMigrations().reduce((n, m) => n + m.migrations.length, 0);
        if (status.applied) {
          console.log(`schema applied: ${tables} table(s), ${migrations} migration(s)`);
          return;
        }
        for (const t of status.tables) console.log(`pending table      ${t}`);
        for (const m of status.migrations) console.log(`pending migration  ${m}`);
        console.log('run `switchboard schema apply`');
        process.exitCode = 1;
      });
    });
}
