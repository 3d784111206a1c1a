import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loggableError } from '../shared/loggable-error.js';
import { SwitchboardError, isSwitchboardError, type ErrorCode } from '../errors/index.js';
import { USER_ID_PATTERN } from '../shared/user-id.js';

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

/**
 * The error to report. For a body that must match one of several shapes (anyOf), Ajv reports
 * each shape's first error: the one deepest in the body is from the shape the caller meant
 * (`{queue, requiredSkills: {billing: 0}}` is a queue transfer with a bad level, not an agent
 * transfer missing `agentId`). Otherwise, and between equals, the first.
 */
function reported(errors: readonly AjvError[]): AjvError | undefined {
  if (!errors.some((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')) return errors[0];
  let best: AjvError | undefined;
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    if (best === undefined || depth(e) > depth(best)) best = e;
  }
  return best ?? errors[0];
}

const depth = (e: AjvError) => e.instancePath.split('/').length;

function validationError(error: FastifyError): SwitchboardError {
  const errors = (error.validation as AjvError[] | undefined) ?? [];
  const first = reported(errors);
  if (!first) return new SwitchboardError('VALIDATION_FAILED', error.message);
  const field = fieldOf(error.validationContext, first);
  // Ids are strings in JSON everywhere: a 19-digit Snowflake as a JSON number has already lost
  // its last digits when it is parsed, so a number where an id belongs is refused as such.
  if (first.keyword === 'type' && first.params.type === 'string' && /(^|\.)(id|[A-Za-z]*Id)$/.test(field)) {
    return new SwitchboardError('INVALID_ID', `${field} must be a string: ids are strings in JSON`, {
      field,
      details: { rule: 'type' },
    });
  }
  if (first.keyword === 'pattern' && first.params.pattern === USER_ID_PATTERN) {
    return new SwitchboardError(
      'INVALID_USER_ID',
      `${field}: expected a user id of 1 to 128 visible ASCII characters`,
      { field },
    );
  }
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

/** The part of the request each framework-level refusal is about. */
const FIELD_OF: Partial<Record<ErrorCode, string>> = {
  MALFORMED_JSON: 'body',
  BODY_TOO_LARGE: 'body',
  UNSUPPORTED_MEDIA_TYPE: 'headers.content-type',
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
  if (mapped) return new SwitchboardError(mapped, undefined, { field: FIELD_OF[mapped] });
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 400 && fe instanceof SyntaxError)
    return new SwitchboardError('MALFORMED_JSON', undefined, { field: 'body' });
  if (status >= 400 && status < 500) {
    const code = BY_STATUS[status] ?? 'VALIDATION_FAILED';
    return new SwitchboardError(code, code === 'VALIDATION_FAILED' ? fe.message : undefined);
  }
  return new SwitchboardError('INTERNAL');
}

export function errorBody(error: SwitchboardError, requestId: string) {
  return { error: { ...error.toJSON(), requestId } };
}

/** Seconds a client should wait before retrying a 503 (issue 23: every 503 carries Retry-After). */
export const RETRY_AFTER_SECONDS = 1;

function send(reply: FastifyReply, request: FastifyRequest, error: SwitchboardError) {
  if (error.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return reply.code(error.status).type('application/json; charset=utf-8').send(errorBody(error, request.id));
}

/** The failing port a dependency error names (`hot_state`, `relational`, ...), if any. */
function portOf(error: SwitchboardError): string {
  const port = error.details?.port;
  return typeof port === 'string' ? port : 'unknown';
}

/**
 * Logs a dependency outage once, not once per failed request (issue 23): the first failure of
 * a port with a code logs a warning, later ones are only counted, and when none has been seen
 * for `quietMs` one line says the outage is over and how many requests it failed.
 */
export class OutageLog {
  private readonly open = new Map<string, { failed: number; since: number; timer: NodeJS.Timeout }>();

  constructor(
    private readonly log: FastifyInstance['log'],
    private readonly quietMs = 5_000,
  ) {}

  failed(error: SwitchboardError, cause: unknown, request: FastifyRequest): void {
    const port = portOf(error);
    const key = `${port}:${error.code}`;
    const current = this.open.get(key);
    if (current) {
      current.failed += 1;
      current.timer.refresh();
      return;
    }
    const entry = { failed: 1, since: Date.now(), timer: this.closeTimer(key, port, error.code) };
    this.open.set(key, entry);
    // Neither line prints the error's message: see loggableError.
    this.log.warn(
      { reqId: request.id, code: error.code, port, error: loggableError(cause) },
      'request failed: dependency unavailable (further failures are counted until it recovers)',
    );
  }

  private closeTimer(key: string, port: string, code: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const entry = this.open.get(key);
      this.open.delete(key);
      if (!entry) return;
      this.log.info(
        { code, port, failedRequests: entry.failed, lastedMs: Date.now() - entry.since - this.quietMs },
        'dependency failures stopped',
      );
    }, this.quietMs);
    timer.unref();
    return timer;
  }

  close(): void {
    for (const entry of this.open.values()) clearTimeout(entry.timer);
    this.open.clear();
  }
}

/**
 * The one error handler and the JSON 404 (405 with `Allow` when the path exists under other
 * methods), for the whole server. `allowedMethods` names the methods a path is routed for.
 */
export function installErrorHandling(
  app: FastifyInstance,
  allowedMethods: (path: string) => string[] = () => [],
): void {
  const outages = new OutageLog(app.log);
  app.addHook('onClose', async () => outages.close());
  app.setErrorHandler((error, request, reply) => {
    const mapped = toSwitchboardError(error);
    // Neither line prints the error's message: see loggableError.
    if (mapped.status >= 500 && mapped.code === 'INTERNAL') {
      request.log.error({ error: loggableError(error) }, 'unhandled error');
    } else if (mapped.status === 503 && mapped.code !== 'SHUTTING_DOWN') {
      outages.failed(mapped, error, request);
    } else if (mapped.status >= 500) {
      request.log.warn(
        { code: mapped.code, error: loggableError(error) },
        'request failed: dependency unavailable',
      );
    }
    return send(reply, request, mapped);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return send(
        reply,
        request,
        new SwitchboardError(
          'METHOD_NOT_ALLOWED',
          `${request.method} is not allowed here; use ${allowed.join(', ')}`,
        ),
      );
    }
    return send(
      reply,
      request,
      new SwitchboardError('ROUTE_NOT_FOUND', `No route ${request.method} ${path}`),
    );
  });
}
