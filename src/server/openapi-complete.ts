import { STATUS_CODES } from 'node:http';
import { ERROR_CATALOGUE } from '../errors/index.js';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const ERROR_REF = '#/components/schemas/ErrorResponse';

/** Catalogue codes by HTTP status, in catalogue order. */
const codesByStatus = new Map<number, string[]>();
for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
  codesByStatus.set(status, [...(codesByStatus.get(status) ?? []), code]);
}

const errorContent = () => ({ 'application/json': { schema: { $ref: ERROR_REF } } });
const codesOf = (inRange: (status: number) => boolean, except: ReadonlySet<number>): string[] =>
  [...codesByStatus]
    .filter(([status]) => inRange(status) && !except.has(status))
    .flatMap(([, codes]) => codes);

/**
 * Finishes the document @fastify/swagger derives from the route schemas, for what a route
 * schema cannot say once for all routes:
 * - every error response names the catalogue codes its status carries (a client switches on
 *   `error.code`, so it needs the list, not "Default Response");
 * - every operation documents `4XX` and `5XX` in the catalogue's shape: the edge can answer any
 *   route with 408, 413, 415, 429 or 431, and any route that touches a store with 503;
 * - success responses without a description get the status's reason phrase.
 * Route-specific errors (404 NOT_FOUND, 409 CONFLICT, ...) stay on the routes that raise them.
 */
export function completeDocument<T extends Json>(document: T): T {
  const paths = (document.paths ?? {}) as Record<string, Json>;
  for (const item of Object.values(paths)) {
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (operation) completeResponses((operation.responses ??= {}) as Json);
    }
  }
  return document;
}

function completeResponses(responses: Json): void {
  const explicit = new Set(
    Object.keys(responses)
      .map(Number)
      .filter((s) => Number.isInteger(s)),
  );
  for (const [key, value] of Object.entries(responses)) {
    const response = value as Json;
    const status = Number(key);
    if (!Number.isInteger(status)) continue;
    const reason = STATUS_CODES[status] ?? `HTTP ${status}`;
    if (status >= 400 && isErrorResponse(response)) {
      const codes = codesByStatus.get(status) ?? [];
      response.description = codes.length > 0 ? `${reason}: ${codes.join(', ')}` : reason;
    } else if (!response.description || response.description === 'Default Response') {
      response.description = reason;
    }
  }
  responses['4XX'] ??= {
    description: `Another client error: ${codesOf((s) => s >= 400 && s < 500, explicit).join(', ')}`,
    content: errorContent(),
  };
  responses['5XX'] ??= {
    description: `A server or store error: ${codesOf((s) => s >= 500, explicit).join(', ')}`,
    content: errorContent(),
  };
}

function isErrorResponse(response: Json): boolean {
  const content = response.content as Record<string, { schema?: Json }> | undefined;
  return content?.['application/json']?.schema?.$ref === ERROR_REF;
}
