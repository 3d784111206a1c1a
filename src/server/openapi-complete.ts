import { STATUS_CODES } from 'node:http';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors/index.js';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const ERROR_REF = '#/components/schemas/ErrorResponse';

/** What the HTTP edge can answer on any route, before a handler runs (src/server/edge/). */
const EDGE_CODES: readonly ErrorCode[] = [
  'MALFORMED_JSON',
  'JSON_TOO_DEEP',
  'BAD_REQUEST',
  'REQUEST_TIMEOUT',
  'HEADERS_TOO_LARGE',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'METHOD_NOT_ALLOWED',
];

const catalogue = Object.entries(ERROR_CATALOGUE) as [
  ErrorCode,
  { status: number; raisedBy?: readonly string[] },
][];

/** The codes an operation of `module` (its operationId's first segment) can answer. */
const answerable = (module: string) =>
  catalogue.filter(([, entry]) => entry.raisedBy === undefined || entry.raisedBy.includes(module));

const errorContent = () => ({ 'application/json': { schema: { $ref: ERROR_REF } } });

/**
 * Finishes the document @fastify/swagger derives from the route schemas, with what a route
 * schema cannot say once for all routes:
 * - every error response names the catalogue codes it can carry for that operation (a client
 *   switches on `error.code`, so it needs the list, not "Default Response"): the codes of that
 *   status raised anywhere, plus those of the operation's module (`raisedBy` in the catalogue);
 * - every operation documents `4XX` (what the edge answers on any route: 408, 413, 415, 431,
 *   ...) and `5XX` (a store unavailable or timing out, shutting down) in the catalogue's shape;
 * - success responses without a description get the status's reason phrase.
 */
export function completeDocument<T extends Json>(document: T): T {
  const paths = (document.paths ?? {}) as Record<string, Json>;
  for (const item of Object.values(paths)) {
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      const module = String(operation.operationId ?? '').split('.')[0] ?? '';
      completeResponses((operation.responses ??= {}) as Json, answerable(module));
    }
  }
  return document;
}

function completeResponses(responses: Json, codes: ReturnType<typeof answerable>): void {
  const explicit = new Set(Object.keys(responses).map(Number).filter(Number.isInteger));
  for (const [key, value] of Object.entries(responses)) {
    const response = value as Json;
    const status = Number(key);
    if (!Number.isInteger(status)) continue;
    const reason = STATUS_CODES[status] ?? `HTTP ${status}`;
    if (status >= 400 && isErrorResponse(response)) {
      const own = codes.filter(([, e]) => e.status === status).map(([code]) => code);
      response.description = own.length > 0 ? `${reason}: ${own.join(', ')}` : reason;
    } else if (!response.description || response.description === 'Default Response') {
      response.description = reason;
    }
  }
  const edge = EDGE_CODES.filter((code) => !explicit.has(ERROR_CATALOGUE[code].status));
  responses['4XX'] ??= {
    description: `A request the edge refuses: ${edge.join(', ')}`,
    content: errorContent(),
  };
  const server = codes.filter(([, e]) => e.status >= 500 && !explicit.has(e.status)).map(([code]) => code);
  responses['5XX'] ??= {
    description: `A store or the service unavailable: ${server.join(', ')}`,
    content: errorContent(),
  };
}

function isErrorResponse(response: Json): boolean {
  const content = response.content as Record<string, { schema?: Json }> | undefined;
  return content?.['application/json']?.schema?.$ref === ERROR_REF;
}
