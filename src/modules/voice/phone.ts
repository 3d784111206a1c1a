import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { SwitchboardError } from '../../errors/index.js';

/**
 * Validates a phone number and returns it in E.164 ("+919876543210"), the one form every
 * table keys on, so "098765 43210" and "+91 98765-43210" find the same caller. Numbers
 * without a country code are read in `defaultRegion`.
 */
export function normalisePhone(input: unknown, defaultRegion: string, field: string): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new SwitchboardError(
      'INVALID_PHONE',
      `${field} is required: a phone number such as +919876543210`,
      { field },
    );
  }
  const parsed = parsePhoneNumberFromString(input, { defaultCountry: defaultRegion as CountryCode });
  if (!parsed || !parsed.isValid()) {
    // The number itself is not echoed: error bodies can end up in logs.
    throw new SwitchboardError(
      'INVALID_PHONE',
      `${field} is not a valid phone number (numbers without a country code are read as ${defaultRegion})`,
      { field },
    );
  }
  return parsed.number;
}
