import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

/**
 * Request validation with two Ajv instances. A query string, path parameter or header is text
 * on the wire, so `?limit=20` must become the number 20 (coercion on). A JSON body already
 * carries its types: coercing them turned `"language": 123` into "123", `true` into "true" and
 * a 19-digit numeric message id into a rounded string that then matched nothing. Bodies are
 * validated without coercion, so a wrong type is a 400 naming the field.
 */
/** Schema keyword marking a body its route handler validates; see installValidators. */
export const VALIDATED_BY = 'x-validated-by';

export function installValidators(app: FastifyInstance, sharedSchemas: readonly object[]): void {
  const base: Options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false };
  const forText = withFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  const forBodies = withFormats(new Ajv({ ...base, coerceTypes: false }));
  for (const schema of sharedSchemas) {
    forText.addSchema(schema);
    forBodies.addSchema(schema);
  }
  const isObject = forBodies.compile({ type: 'object' });
  app.setValidatorCompiler(({ schema, httpPart }) => {
    // A body its handler validates (to report every problem of a batch, not Ajv's first) is
    // documented in full but checked here only for being a JSON object.
    if ((schema as Record<string, unknown>)[VALIDATED_BY] === 'handler') return isObject;
    const ajv = httpPart === 'body' ? forBodies : forText;
    const id = (schema as { $id?: string }).$id;
    const known = id ? ajv.getSchema(id) : undefined;
    return (known ?? ajv.compile(schema as FastifySchema)) as (data: unknown) => boolean;
  });
}

function withFormats(ajv: Ajv): Ajv {
  (addFormats as unknown as (a: Ajv) => Ajv)(ajv);
  return ajv;
}
