import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyTypeProvider } from 'fastify';

/**
 * Fastify type provider for TypeBox schemas: request and reply types are inferred from the
 * route schema. (Equivalent to @fastify/type-provider-typebox, which is a few lines and not
 * worth a dependency; Fastify's own Ajv validates TypeBox schemas as plain JSON Schema.)
 */
export interface TypeBoxTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
}

/** The same instance, typed for TypeBox schemas (what module route files call first). */
export function typed(app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxTypeProvider>();
}
