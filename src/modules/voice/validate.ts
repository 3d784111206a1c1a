import { SwitchboardError } from '../../errors/index.js';
import { longerThan } from '../../shared/text.js';

/**
 * Input checks shared by the voice services. The library API is called without the HTTP
 * schemas in front of it, so the services check their own input and name the field.
 */

export function invalid(field: string, message: string): SwitchboardError {
  return new SwitchboardError('VALIDATION_FAILED', `${field} ${message}`, { field });
}

export function optionalText(value: unknown, field: string, maxLength: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  if (longerThan(value, maxLength)) throw invalid(field, `must be at most ${maxLength} characters`);
  return value;
}

export function requiredText(value: unknown, field: string, maxLength: number): string {
  const text = optionalText(value, field, maxLength);
  if (text === null || text.trim() === '') throw invalid(field, 'is required');
  return text;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Page size: 1..max, default `def`. */
export function pageLimit(value: unknown, def: number, max: number, field = 'limit'): number {
  if (value === undefined || value === null) return def;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(field, `must be an integer from 1 to ${max}`);
  }
  return value;
}

/** Parses JSON stored by this module; a corrupt cell reads as null rather than failing the read. */
export function parseStoredJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
