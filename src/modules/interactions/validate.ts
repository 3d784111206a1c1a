import { randomUUID } from 'node:crypto';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TObject } from '@sinclair/typebox';
import { SwitchboardError } from '../../errors/index.js';
import { isIsoDate } from '../../ports/wide-column/values.js';
import {
  EVENT_SCHEMAS,
  MAX_PARAM_KEY_CHARS,
  STAGES,
  type InteractionInput,
  type Stage,
  type ValidEvent,
} from './events.js';

/** Why an event was refused: the field at fault (dotted path), a stable code and a sentence. */
export interface EventProblem {
  field: string;
  code: 'required' | 'unknown_field' | 'type' | 'range' | 'format' | 'length' | 'malformed_json' | 'stage';
  message: string;
}

export type Validation<S extends Stage = Stage> =
  | { ok: true; value: ValidEvent<S> }
  | { ok: false; problem: EventProblem };

// Compiled once: TypeBox's compiled checks cost well under a microsecond per valid event.
const CHECKS = Object.fromEntries(
  STAGES.map((s) => [s, TypeCompiler.Compile(EVENT_SCHEMAS[s] as TObject)]),
) as {
  [S in Stage]: TypeCheck<TObject>;
};

function codeOf(type: ValueErrorType): EventProblem['code'] {
  switch (type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown_field';
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.ObjectMaxProperties:
      return 'range';
    case ValueErrorType.StringMaxLength:
    case ValueErrorType.StringMinLength:
      return 'length';
    case ValueErrorType.StringPattern:
    case ValueErrorType.StringFormat:
      return 'format';
    default:
      return 'type';
  }
}

function fieldOf(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

const MIN_TIME_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** A calendar-valid RFC 3339 time (the pattern alone accepts February 30th) as epoch ms, else NaN. */
export function parseTimestamp(value: string): number {
  if (!isIsoDate(value.slice(0, 10))) return Number.NaN;
  const hh = Number(value.slice(11, 13));
  const mm = Number(value.slice(14, 16));
  const ss = Number(value.slice(17, 19));
  if (hh > 23 || mm > 59 || ss > 59) return Number.NaN;
  const ms = Date.parse(value);
  // The zone offset can push a local 0000 or 9999 date out of the four-digit UTC years; such an
  // instant has no `YYYY-MM-DD` day, so its day-partitioned rows (performance_metrics) would be
  // refused by the store on every retry and block the partition behind it.
  return ms >= MIN_TIME_MS && ms <= MAX_TIME_MS ? ms : Number.NaN;
}

/**
 * Checks one event of `stage`; on failure names the first field at fault. The event's id is
 * lower-cased so the same UUID always makes the same row key.
 */
export function validateEvent<S extends Stage>(stage: S, value: unknown): Validation<S> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: { field: '', code: 'type', message: 'the event must be a JSON object' } };
  }
  const check = CHECKS[stage];
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    if (!first) return { ok: false, problem: { field: '', code: 'type', message: 'the event is invalid' } };
    const field = fieldOf(first.path);
    return {
      ok: false,
      problem: { field, code: codeOf(first.type), message: `${field || 'event'}: ${first.message}` },
    };
  }
  const event = value as ValidEvent<S>['event'];
  // TypeBox compiles a Record's key schema to a catch-all pattern, so the key length the schema
  // documents is not checked by `check` and is enforced here.
  for (const key of Object.keys(event.model_params)) {
    if (key.length > MAX_PARAM_KEY_CHARS) {
      return {
        ok: false,
        problem: {
          field: 'model_params',
          code: 'length',
          message: `model_params: a parameter name is longer than ${MAX_PARAM_KEY_CHARS} characters`,
        },
      };
    }
  }
  const timeMs = parseTimestamp(event.timestamp);
  if (Number.isNaN(timeMs)) {
    return {
      ok: false,
      problem: {
        field: 'timestamp',
        code: 'format',
        message: 'timestamp: not a valid calendar date and time in the years 0001 to 9999 (UTC)',
      },
    };
  }
  if (event.event_id !== event.event_id.toLowerCase()) event.event_id = event.event_id.toLowerCase();
  return { ok: true, value: { stage, event, timeMs } };
}

/** Parses a message payload from the log and validates it; a payload that is not JSON is a problem too. */
export function validatePayload<S extends Stage>(stage: S, payload: Buffer | string): Validation<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return {
      ok: false,
      problem: { field: '', code: 'malformed_json', message: 'the payload is not valid JSON' },
    };
  }
  return validateEvent(stage, parsed);
}

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

function toIso(value: string | Date | number | undefined, now: () => Date): string | unknown {
  if (value === undefined) return now().toISOString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? value : value.toISOString();
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value).toISOString() : value;
  return value;
}

/**
 * Fills what a producer may leave out (event id, time, parameters, instance) so the event on
 * the log is complete and self-describing; the result still has to pass `validateEvent`.
 */
export function completeEvent<S extends Stage>(
  input: InteractionInput<S> | Record<string, unknown>,
  defaults: { instance: string; now: () => Date },
): Record<string, unknown> {
  const raw = input as Record<string, unknown>;
  const out: Record<string, unknown> = { ...raw };
  if (out.event_id === undefined) out.event_id = randomUUID();
  out.timestamp = toIso(raw.timestamp as string | Date | number | undefined, defaults.now);
  if (out.model_params === undefined) out.model_params = {};
  if (out.instance === undefined) out.instance = defaults.instance;
  return out;
}

/** The error a caller gets for one invalid event (`prefix` locates it inside a request, e.g. `events.3`). */
export function problemError(problem: EventProblem, prefix = ''): SwitchboardError {
  const field = [prefix, problem.field].filter((s) => s !== '').join('.') || 'event';
  return new SwitchboardError('VALIDATION_FAILED', `${field}: ${problem.message.replace(/^[^:]*: /, '')}`, {
    field,
    details: { code: problem.code },
  });
}
