import { SwitchboardError } from '../../errors/index.js';
import { STEP_TYPES, type StepType } from './types.js';
import { longerThan } from '../../shared/text.js';

export interface StepInput {
  tpe: StepType;
  content: string;
}

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Ids are the caller's or ours (UUIDs): short, printable, no separators a key could confuse. */
export function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new SwitchboardError('VALIDATION_FAILED', `${field} must be 1-128 of A-Z a-z 0-9 _ . : -`, {
      field,
    });
  }
  return value;
}

export function checkText(value: unknown, field: string, max: number, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new SwitchboardError('VALIDATION_FAILED', `${field} must be a non-empty string`, { field });
  }
  if (longerThan(value, max)) {
    throw new SwitchboardError('CONTENT_TOO_LONG', `${field} is longer than ${max} characters`, {
      field,
      details: { limit: max },
    });
  }
  return value;
}

export function checkSteps(steps: unknown, field: string, maxContent: number): StepInput[] {
  if (!Array.isArray(steps)) {
    throw new SwitchboardError('VALIDATION_FAILED', `${field} must be an array of steps`, { field });
  }
  return steps.map((raw: unknown, i) => {
    const s = raw as Partial<StepInput> | null;
    if (typeof s !== 'object' || s === null || !(STEP_TYPES as readonly unknown[]).includes(s.tpe)) {
      throw new SwitchboardError(
        'VALIDATION_FAILED',
        `${field}[${i}].tpe must be one of ${STEP_TYPES.join(', ')}`,
        {
          field: `${field}[${i}].tpe`,
        },
      );
    }
    return {
      tpe: s.tpe as StepType,
      content: checkText(s.content, `${field}[${i}].content`, maxContent, true),
    };
  });
}
