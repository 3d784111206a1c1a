import type { Kysely } from 'kysely';
import { SwitchboardError, isSwitchboardError } from '../../../errors/index.js';
import type { RelationalStore } from '../../../ports/relational/store.js';
import type { Clock } from '../../../shared/clock.js';
import { checkLimit, invalid } from '../validation.js';
import type { TemplatesDatabase } from './migrations.js';
import { renderTemplate, variablesOf, type TemplateValues } from './render.js';

const NAME_RE = /^[a-z][a-z0-9_.-]{0,63}$/;
export const MAX_TEMPLATE_BODY = 10_000;
const MAX_DESCRIPTION = 500;

export interface MessageTemplate {
  name: string;
  body: string;
  description: string | null;
  /** Variable names the body uses, in order of first use. */
  variables: string[];
  createdAt: string;
  updatedAt: string;
}

export interface CreateTemplateInput {
  name: string;
  body: string;
  description?: string | null;
}

export interface UpdateTemplateInput {
  body?: string;
  description?: string | null;
}

type Row = TemplatesDatabase['message_templates'];

function iso(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

function toTemplate(row: Row): MessageTemplate {
  return {
    name: row.name,
    body: row.body,
    description: row.description,
    variables: JSON.parse(row.variables) as string[],
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function checkTemplateName(raw: unknown, field = 'name'): string {
  if (typeof raw !== 'string' || !NAME_RE.test(raw)) {
    throw invalid(
      field,
      'expected 1 to 64 lower-case letters, digits, "_", "." or "-", starting with a letter',
    );
  }
  return raw;
}

function checkBody(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_TEMPLATE_BODY) {
    throw invalid('body', `expected 1 to ${MAX_TEMPLATE_BODY} characters`);
  }
  return raw;
}

function checkDescription(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string' || raw.length > MAX_DESCRIPTION) {
    throw invalid('description', `expected at most ${MAX_DESCRIPTION} characters`);
  }
  return raw;
}

function notFound(name: string): SwitchboardError {
  return new SwitchboardError('NOT_FOUND', `No message template named "${name}"`, {
    field: 'name',
    details: { template: name },
  });
}

/**
 * Message templates with named `{{variables}}`, shared by the whole integration (they are
 * not per channel or per user), in the relational store. A template is addressed by its
 * name, which is unique.
 */
export class TemplateService {
  constructor(
    private readonly relational: RelationalStore,
    private readonly clock: Clock,
  ) {}

  private get db(): Kysely<TemplatesDatabase> {
    return this.relational.db as Kysely<TemplatesDatabase>;
  }

  async create(input: CreateTemplateInput): Promise<MessageTemplate> {
    const name = checkTemplateName(input.name);
    const body = checkBody(input.body);
    const description = checkDescription(input.description);
    const now = this.clock.now().toISOString();
    const row: Row = {
      name,
      body,
      description,
      variables: JSON.stringify(variablesOf(body)),
      created_at: now,
      updated_at: now,
    };
    try {
      await this.db.insertInto('message_templates').values(row).execute();
    } catch (error) {
      if (isSwitchboardError(error, 'CONFLICT')) {
        throw new SwitchboardError('CONFLICT', `A message template named "${name}" already exists`, {
          field: 'name',
          details: { template: name },
        });
      }
      throw error;
    }
    return toTemplate(row);
  }

  /** Templates by name, a page at a time (`after` is the last name of the previous page). */
  async list(
    query: { limit?: number; after?: string } = {},
  ): Promise<{ templates: MessageTemplate[]; next: string | null }> {
    const limit = checkLimit(query.limit);
    let q = this.db
      .selectFrom('message_templates')
      .selectAll()
      .orderBy('name')
      .limit(limit + 1);
    if (query.after !== undefined) q = q.where('name', '>', checkTemplateName(query.after, 'after'));
    const rows = await q.execute();
    const page = rows.slice(0, limit).map(toTemplate);
    return { templates: page, next: rows.length > limit ? page[page.length - 1]!.name : null };
  }

  async get(name: string): Promise<MessageTemplate> {
    const checked = checkTemplateName(name);
    const row = await this.db
      .selectFrom('message_templates')
      .selectAll()
      .where('name', '=', checked)
      .executeTakeFirst();
    if (!row) throw notFound(checked);
    return toTemplate(row);
  }

  async update(name: string, input: UpdateTemplateInput): Promise<MessageTemplate> {
    const checked = checkTemplateName(name);
    if (input.body === undefined && input.description === undefined) {
      throw invalid('body', 'give a new body, a new description, or both');
    }
    const set: Partial<Row> = { updated_at: this.clock.now().toISOString() };
    if (input.body !== undefined) {
      const body = checkBody(input.body);
      set.body = body;
      set.variables = JSON.stringify(variablesOf(body));
    }
    if (input.description !== undefined) set.description = checkDescription(input.description);
    const result = await this.db
      .updateTable('message_templates')
      .set(set)
      .where('name', '=', checked)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound(checked);
    return this.get(checked);
  }

  async delete(name: string): Promise<void> {
    const checked = checkTemplateName(name);
    const result = await this.db
      .deleteFrom('message_templates')
      .where('name', '=', checked)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound(checked);
  }

  /** The template's body with every variable replaced; TEMPLATE_VARIABLE_MISSING names any without a value. */
  async render(name: string, values: TemplateValues = {}): Promise<{ name: string; content: string }> {
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      throw invalid('values', 'expected an object of variable name to value');
    }
    for (const [key, value] of Object.entries(values)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        throw invalid(`values.${key}`, 'expected a string, number or boolean');
      }
    }
    const template = await this.get(name);
    return { name: template.name, content: renderTemplate(template.body, values, template.name) };
  }
}
