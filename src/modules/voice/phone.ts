import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { SwitchboardError } from '../../errors/index.js';

/** What a typed phone number is made of: an optional leading +, digits and separators. */
const PHONE_CHARS = /^\s*\+?[\d\s().\-/]+$/;

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
  // libphonenumber extracts a number from surrounding text ("call me at 98765 43210 today",
  // "9876543210abc") and drops extensions ("... ext. 5"); a field holding anything but the
  // number is refused instead, so a typo or a stray extension never reaches someone else.
  const parsed = PHONE_CHARS.test(input)
    ? parsePhoneNumberFromString(input, { defaultCountry: defaultRegion as CountryCode })
    : undefined;
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
