import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loggableError } from '../shared/loggable-error.js';
import { SwitchboardError, isSwitchboardError, type ErrorCode } from '../errors/index.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/items/0/phone` in the body → `body.items.0.phone`; a missing property names the property itself. */
export function fieldOf(context: string | undefined, error: AjvError): string {
  const segments = error.instancePath
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof extra === 'string') segments.push(extra);
  return [context ?? 'body', ...segments].join('.');
}

function validationError(error: FastifyError): SwitchboardError {
  const errors = (error.validation as AjvError[] | undefined) ?? [];
  const first = errors[0];
  if (!first) return new SwitchboardError('VALIDATION_FAILED', error.message);
  const field = fieldOf(error.validationContext, first);
  const allowed = allowedValues(errors, first);
  const why =
    first.keyword === 'required'
      ? 'is required'
      : first.keyword === 'additionalProperties'
        ? 'is not allowed'
        : allowed
          ? `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`
          : (first.message ?? 'is invalid');
  return new SwitchboardError('VALIDATION_FAILED', `${field} ${why}`, {
    field,
    details: { rule: allowed ? 'enum' : first.keyword, ...(allowed ? { allowed } : {}) },
  });
}

/**
 * The values a field may take when its schema is an enum, or a union of literals (TypeBox's
 * `Type.Union([Type.Literal(...)])` compiles to anyOf/const, which Ajv reports one branch at
 * a time as "must be equal to constant": useless to a caller without the alternatives).
 */
function allowedValues(errors: readonly AjvError[], first: AjvError): unknown[] | undefined {
  if (Array.isArray(first.params.allowedValues)) return first.params.allowedValues as unknown[];
  if (first.keyword !== 'const') return undefined;
  const sameField = errors.filter((e) => e.instancePath === first.instancePath);
  if (!sameField.some((e) => e.keyword === 'anyOf')) return undefined;
  return sameField.filter((e) => e.keyword === 'const').map((e) => e.params.allowedValue);
}

const BY_FASTIFY_CODE: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

const BY_STATUS: Record<number, ErrorCode> = {
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SHUTTING_DOWN',
};

/**
 * Turns whatever was thrown into a catalogue error. Fastify's own 4xx errors (parsing,
 * validation) carry safe messages; anything else unexpected becomes a bare INTERNAL so no
 * stack, SQL or driver message reaches a client.
 */
export function toSwitchboardError(error: unknown): SwitchboardError {
  if (isSwitchboardError(error)) return error;
  const fe = error as FastifyError;
  if (fe?.validation) return validationError(fe);
  const mapped = fe?.code ? BY_FASTIFY_CODE[fe.code] : undefined;
  if (mapped) return new SwitchboardError(mapped);
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 400 && fe instanceof SyntaxError) return new SwitchboardError('MALFORMED_JSON');
  if (status >= 400 && status < 500) {
    const code = BY_STATUS[status] ?? 'VALIDATION_FAILED';
    return new SwitchboardError(code, code === 'VALIDATION_FAILED' ? fe.message : undefined);
  }
  return new SwitchboardError('INTERNAL');
}

export function errorBody(error: SwitchboardError, requestId: string) {
  return { error: { ...error.toJSON(), requestId } };
}

function send(reply: FastifyReply, request: FastifyRequest, error: SwitchboardError) {
  return reply.code(error.status).type('application/json; charset=utf-8').send(errorBody(error, request.id));
}

/** The one error handler and the JSON 404, for the whole server. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const mapped = toSwitchboardError(error);
    // Neither line prints the error's message: see loggableError.
    if (mapped.status >= 500 && mapped.code === 'INTERNAL') {
      request.log.error({ error: loggableError(error) }, 'unhandled error');
    } else if (mapped.status >= 500) {
      request.log.warn(
        { code: mapped.code, error: loggableError(error) },
        'request failed: dependency unavailable',
      );
    }
    return send(reply, request, mapped);
  });
  app.setNotFoundHandler((request, reply) =>
    send(
      reply,
      request,
      new SwitchboardError('ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
