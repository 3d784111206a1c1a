import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import type { TemplateService } from './service.js';

const TAGS = ['messaging'];
const errors = { ...keyedErrorResponses, 404: Type.Ref('ErrorResponse'), 409: Type.Ref('ErrorResponse') };

const Name = Type.String({ minLength: 1, maxLength: 64, examples: ['appointment_confirmation'] });
const BODY_EXAMPLE = 'Hello {{customer_name}}, your appointment at {{branch}} is confirmed for {{time}}.';

export const TemplateView = Type.Object({
  name: Type.String(),
  body: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  variables: Type.Array(Type.String(), { examples: [['customer_name', 'branch', 'time']] }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const CreateBody = Type.Object(
  {
    name: Name,
    body: Type.String({ description: 'Text with {{variable}} placeholders (at most 10 000 characters)' }),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  },
  {
    additionalProperties: false,
    examples: [{ name: 'appointment_confirmation', body: BODY_EXAMPLE, description: 'Sent after booking' }],
  },
);

const UpdateBody = Type.Object(
  {
    body: Type.Optional(Type.String()),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  },
  { additionalProperties: false, examples: [{ body: 'Hi {{customer_name}}, see you at {{time}}.' }] },
);

const RenderBody = Type.Object(
  {
    values: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
      description: 'A value for every variable of the template (TEMPLATE_VARIABLE_MISSING names any missing)',
    }),
  },
  {
    additionalProperties: false,
    examples: [{ values: { customer_name: 'Dana', branch: 'Downtown', time: '10:30' } }],
  },
);

const NameParams = Type.Object({ name: Name });

/** `/v1/templates`: message templates shared by the integration. */
export function templateRoutes(app: FastifyInstance, templates: TemplateService): void {
  const r = typed(app);

  r.post(
    '/templates',
    {
      schema: {
        operationId: 'messaging.createTemplate',
        tags: TAGS,
        summary: 'Create a message template',
        body: CreateBody,
        response: { 201: TemplateView, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await templates.create(request.body)),
  );

  r.get(
    '/templates',
    {
      schema: {
        operationId: 'messaging.listTemplates',
        tags: TAGS,
        summary: 'Message templates by name, a page at a time',
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
            after: Type.Optional(Type.String({ description: 'The `next` of the previous page' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            templates: Type.Array(TemplateView),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request) =>
      templates.list({
        ...(request.query.limit !== undefined ? { limit: request.query.limit } : {}),
        ...(request.query.after !== undefined ? { after: request.query.after } : {}),
      }),
  );

  r.get(
    '/templates/:name',
    {
      schema: {
        operationId: 'messaging.getTemplate',
        tags: TAGS,
        summary: 'One message template',
        params: NameParams,
        response: { 200: TemplateView, ...errors },
      },
    },
    async (request) => templates.get(request.params.name),
  );

  r.patch(
    '/templates/:name',
    {
      schema: {
        operationId: 'messaging.updateTemplate',
        tags: TAGS,
        summary: 'Change a template body or description',
        params: NameParams,
        body: UpdateBody,
        response: { 200: TemplateView, ...errors },
      },
    },
    async (request) => templates.update(request.params.name, request.body),
  );

  r.delete(
    '/templates/:name',
    {
      schema: {
        operationId: 'messaging.deleteTemplate',
        tags: TAGS,
        summary: 'Delete a message template',
        params: NameParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await templates.delete(request.params.name);
      return reply.code(204).send();
    },
  );

  r.post(
    '/templates/:name/render',
    {
      // Rendering reads only; a read key may do it.
      config: { scope: 'read' },
      schema: {
        operationId: 'messaging.renderTemplate',
        tags: TAGS,
        summary: 'Render a template with values for its variables',
        params: NameParams,
        body: RenderBody,
        response: {
          200: Type.Object(
            { name: Type.String(), content: Type.String() },
            {
              examples: [
                {
                  name: 'appointment_confirmation',
                  content: 'Hello Dana, your appointment at Downtown is confirmed for 10:30.',
                },
              ],
            },
          ),
          ...errors,
        },
      },
    },
    async (request) => templates.render(request.params.name, request.body.values),
  );
}
