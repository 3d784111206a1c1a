import { Type } from '@sinclair/typebox';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors/index.js';

/** The body of every error response; `field` names the input at fault as a dotted path. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      // An enum, so generated clients get the catalogue as a union type to switch on.
      code: Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.keys(ERROR_CATALOGUE) }),
      message: Type.String(),
      field: Type.Optional(Type.String()),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      requestId: Type.String(),
    }),
  },
  {
    $id: 'ErrorResponse',
    title: 'Error',
    examples: [
      {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'body.customerPhone must be an E.164 phone number',
          field: 'body.customerPhone',
          requestId: 'req-3f9a2c',
        },
      },
    ],
  },
);

/** Error responses a keyed /v1 route can give besides its own, for the OpenAPI document. */
export const keyedErrorResponses = {
  400: Type.Ref(ErrorResponse),
  401: Type.Ref(ErrorResponse),
  403: Type.Ref(ErrorResponse),
};
