import { configSchema, type Section } from '../config/index.js';
import { isField } from '../config/fields.js';

const REDACTED = '[redacted]';

/** A URL keeps its host and path (useful to check) but loses its password and query. */
function redactValue(value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (Array.isArray(value)) return value.map(() => REDACTED);
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.host) {
        if (url.password) url.password = REDACTED;
        url.search = '';
        return url.toString();
      }
    } catch {
      // not a URL
    }
    return REDACTED;
  }
  return REDACTED;
}

/** The effective configuration with every field marked `secret` redacted, for printing. */
export function redactConfig(config: unknown, section: Section = configSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = (config ?? {}) as Record<string, unknown>;
  for (const [key, spec] of Object.entries(section)) {
    const value = values[key];
    if (isField(spec)) out[key] = spec.secret ? redactValue(value) : value;
    else out[key] = redactConfig(value, spec);
  }
  return out;
}
