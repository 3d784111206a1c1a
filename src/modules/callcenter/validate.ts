import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { SwitchboardError } from '../../errors/index.js';
import type { Skills } from './types.js';
import { hasControlCharacters, longerThan } from '../../shared/text.js';

/**
 * Input checks shared by the library API and the HTTP routes (whose schemas only type the
 * values): each failure names the field at fault with the catalogue's code, before anything
 * is read or written.
 */

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** The same rules as patterns, for the published schemas (http/schemas.ts). */
export const ID_PATTERN = ID.source;
export const NAME_PATTERN = NAME.source;
const E164 = /^\+[1-9]\d{6,14}$/;

export const MAX_SKILLS = 32;
export const MAX_LEVEL = 10;
export const MAX_PRIORITY = 100;
export const MAX_CALLS_PER_AGENT = 50;

function invalid(field: string, message: string): SwitchboardError {
  return new SwitchboardError('VALIDATION_FAILED', `${field} ${message}`, { field });
}

export function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw invalid(field, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  }
  return value;
}

/** Queue and skill names: lower case, so "Billing" and "billing" are never two queues. */
export function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw invalid(field, 'must be 1-64 characters of a-z 0-9 _ . - starting with a letter or digit');
  }
  return value;
}

export function checkInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function checkText(value: unknown, field: string, maxLength: number): string {
  // Control characters (a NUL, a line break) have no place in a name shown on a wallboard.
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    longerThan(value, maxLength) ||
    hasControlCharacters(value)
  ) {
    throw invalid(
      field,
      `must be a non-empty string of at most ${maxLength} characters, no control characters`,
    );
  }
  return value;
}

/** Skill name → level, 1 to 10 (for a call, the least level it needs). */
export function checkSkills(value: unknown, field: string): Skills {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(field, 'must be an object of skill name → level, e.g. {"billing": 3}');
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_SKILLS) throw invalid(field, `must name at most ${MAX_SKILLS} skills`);
  const skills: Skills = {};
  for (const [name, level] of entries) {
    checkName(name, `${field}.${name}`);
    skills[name] = checkInt(level, `${field}.${name}`, 1, MAX_LEVEL);
  }
  return skills;
}

/** A caller number, which must already be E.164 ("+14155550100") and a valid number. */
export function checkE164(value: unknown, field: string): string {
  const parsed =
    typeof value === 'string' && E164.test(value) ? parsePhoneNumberFromString(value) : undefined;
  if (!parsed || !parsed.isValid() || parsed.number !== value) {
    // The number itself is not echoed: error bodies can end up in logs.
    throw new SwitchboardError(
      'INVALID_PHONE',
      `${field} must be a valid number in E.164, e.g. +14155550100`,
      {
        field,
      },
    );
  }
  return value as string;
}

/**
 * A `[from, to)` range of enqueue times with its optional queue and agent filters, as the
 * records and analytics queries take it: both dates valid, `to` after `from` (an empty or
 * reversed range is a mistake, not "no calls"), and at most `maxSpanDays` when given.
 */
export function checkRange(
  query: { from: unknown; to: unknown; queue?: unknown; agentId?: unknown },
  options: { maxSpanDays?: number } = {},
): void {
  const { from, to } = query;
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) {
    throw new SwitchboardError('VALIDATION_FAILED', 'from must be a date-time', {
      field: 'querystring.from',
    });
  }
  if (!(to instanceof Date) || Number.isNaN(to.getTime()) || to <= from) {
    throw new SwitchboardError('VALIDATION_FAILED', 'to must be a date-time after from', {
      field: 'querystring.to',
    });
  }
  const { maxSpanDays } = options;
  if (maxSpanDays !== undefined && to.getTime() - from.getTime() > maxSpanDays * 86_400_000) {
    throw new SwitchboardError(
      'VALIDATION_FAILED',
      `the range from..to may span at most ${maxSpanDays} days`,
      { field: 'querystring.to' },
    );
  }
  if (query.queue !== undefined) checkName(query.queue, 'querystring.queue');
  if (query.agentId !== undefined) checkId(query.agentId, 'querystring.agentId');
}
