import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { completeDocument } from './openapi-complete.js';

function packageVersion(): string {
  try {
    // src/server and dist/server are both two levels below package.json.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * The OpenAPI 3 document, generated from the route schemas, and its UI at /docs (the JSON
 * at /docs/json). Must be registered before any route so every route is collected. Keyed
 * routes share one bearer scheme; open routes declare `security: []`.
 */
export async function registerDocs(
  app: FastifyInstance,
  options: { guard?: onRequestHookHandler },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      // 3.1: the route schemas are JSON Schema (TypeBox), whose nullable fields are
      // `anyOf [T, {type: null}]`; 3.0 has no `null` type and would need every one rewritten.
      openapi: '3.1.0',
      info: {
        title: 'Switchboard',
        description:
          'The data backbone for AI voice and chat agents. Every /v1 route needs `Authorization: Bearer sb_...` ' +
          'with the scope the route names (read < write < admin).',
        version: packageVersion(),
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      // First relative: the document is served by the service it describes, wherever that runs;
      // then a template for a copy saved with `switchboard openapi --out`.
      servers: [
        { url: '/', description: 'the Switchboard service serving this document' },
        {
          url: 'http://{host}:{port}',
          description: '`switchboard serve` elsewhere (default [server] host and port)',
          variables: { host: { default: '127.0.0.1' }, port: { default: '8080' } },
        },
      ],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'sb_<key>',
            description: 'An API key from `switchboard keys create`',
          },
        },
      },
      security: [{ apiKey: [] }],
    },
    transformObject: (document) =>
      completeDocument(
        ('openapiObject' in document ? document.openapiObject : {}) as Record<string, unknown>,
      ),
    // Name shared schemas by their $id (ErrorResponse) instead of def-0, def-1, ...
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string | undefined) ?? `def-${i}`,
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    ...(options.guard ? { uiHooks: { onRequest: options.guard } } : {}),
  });
}
