import { currentTimestamp, dialectTypes } from '../../../ports/relational/dialect-helpers.js';
import type { Migration } from '../../../ports/relational/store.js';

/** Message templates in the relational store; the messaging module gives this step its version. */
export const templatesMigration: Omit<Migration, 'version'> = {
  name: 'message templates',
  async up(db, dialect) {
    const t = dialectTypes(dialect);
    await db.schema
      .createTable('message_templates')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      // Derived from the body on every write; kept so a list shows what each template needs.
      .addColumn('variables', t.json, (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(currentTimestamp(dialect)))
      .addColumn('updated_at', t.timestamp, (c) => c.notNull().defaultTo(currentTimestamp(dialect)))
      .execute();
  },
};

export interface TemplatesDatabase {
  message_templates: {
    name: string;
    body: string;
    description: string | null;
    /** JSON text of a string array (jsonb on PostgreSQL reads back as text too). */
    variables: string;
    created_at: string | Date;
    updated_at: string | Date;
  };
}
