import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorResponse, keyedErrorResponses } from '../server/schemas.js';
import { typed } from '../server/type-provider.js';
import type { ApiKey } from './key-service.js';
import type { AuthServices } from './module.js';

const ScopeSchema = Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')]);

const ApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: ScopeSchema,
  scopes: Type.Array(ScopeSchema),
  source: Type.Union([Type.Literal('store'), Type.Literal('config')]),
  createdAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

function view(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    scope: key.scope,
    scopes: key.scopes,
    source: key.source,
    createdAt: key.createdAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

/** Key administration, admin scope only. The secret is in the creation response and nowhere else. */
export function authRoutes(app: FastifyInstance, services: AuthServices): void {
  const r = typed(app);
  r.post(
    '/keys',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'keys.create',
        tags: ['keys'],
        summary: 'Create an API key (the secret is shown only in this response)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.\\- ]+$' }),
            scope: ScopeSchema,
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Composite([ApiKeySchema, Type.Object({ secret: Type.String() })]),
          ...keyedErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const created = await services.keys.create(request.body);
      return reply.code(201).send({ ...view(created), secret: created.secret });
    },
  );
  r.get(
    '/keys',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'keys.list',
        tags: ['keys'],
        summary: 'List API keys (without secrets)',
        response: { 200: Type.Object({ keys: Type.Array(ApiKeySchema) }), ...keyedErrorResponses },
      },
    },
    async () => ({ keys: (await services.keys.list()).map(view) }),
  );
  r.delete(
    '/keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'keys.revoke',
        tags: ['keys'],
        summary:
          'Revoke an API key (effective at once in this process); the last active admin key is 409 LAST_ADMIN_KEY',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: {
          200: ApiKeySchema,
          404: Type.Ref(ErrorResponse),
          409: Type.Ref(ErrorResponse),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => view(await services.keys.revoke(request.params.id)),
  );
}
