import { SwitchboardError } from '../../../errors/index.js';
import { invalid } from '../validation.js';

/**
 * Template text with named variables: `{{name}}`, spaces inside the braces allowed
 * (`{{ name }}`). A variable name is a letter or underscore followed by letters, digits and
 * underscores. Anything else between double braces is refused when the template is saved,
 * so a typo such as `{{ first name }}` fails at create time instead of at render time.
 */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The variables a body uses, in order of first use; VALIDATION_FAILED (field) for a malformed one. */
export function variablesOf(body: string, field = 'body'): string[] {
  const seen = new Set<string>();
  for (const match of body.matchAll(PLACEHOLDER)) {
    const name = match[1]!.trim();
    if (!VARIABLE.test(name)) {
      throw invalid(
        field,
        `"{{${match[1]}}}" is not a variable; use {{name}} with letters, digits and underscores`,
      );
    }
    seen.add(name);
  }
  return [...seen];
}

export type TemplateValues = Record<string, string | number | boolean>;

/**
 * Replaces every `{{name}}` with its value. Every variable must have a value: a missing one
 * is TEMPLATE_VARIABLE_MISSING naming it (and listing all that are missing), because a
 * customer receiving "Dear {{name}}" is worse than no message. Extra values are ignored.
 */
export function renderTemplate(body: string, values: TemplateValues, templateName: string): string {
  const missing = variablesOf(body).filter((name) => !Object.hasOwn(values, name) || values[name] === null);
  if (missing.length > 0) {
    throw new SwitchboardError(
      'TEMPLATE_VARIABLE_MISSING',
      `Template "${templateName}" needs a value for ${missing.map((m) => `"${m}"`).join(', ')}`,
      { field: `values.${missing[0]}`, details: { template: templateName, missing } },
    );
  }
  return body.replace(PLACEHOLDER, (_whole, inner: string) => String(values[inner.trim()]));
}
