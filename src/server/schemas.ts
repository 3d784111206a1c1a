import { Type } from '@sinclair/typebox';

/** The body of every error response; `field` names the input at fault as a dotted path. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      field: Type.Optional(Type.String()),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      requestId: Type.String(),
    }),
  },
  { $id: 'ErrorResponse', title: 'Error' },
);

/** Error responses a keyed /v1 route can give besides its own, for the OpenAPI document. */
export const keyedErrorResponses = {
  400: Type.Ref(ErrorResponse),
  401: Type.Ref(ErrorResponse),
  403: Type.Ref(ErrorResponse),
};
