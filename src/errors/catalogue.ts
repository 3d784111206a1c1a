/**
 * The one error catalogue. Every error Switchboard raises on purpose carries a stable code
 * from this table; the HTTP layer maps the code to its status, and clients can switch on the
 * code without parsing messages. Add new codes here, never inline elsewhere.
 */
export const ERROR_CATALOGUE = {
  // Configuration and start-up
  CONFIG_INVALID: { status: 500, message: 'The configuration is invalid' },
  SCHEMA_NOT_APPLIED: { status: 503, message: 'The schema has not been applied; run `switchboard schema apply`' },
  SCHEMA_UNSAFE_CHANGE: { status: 500, message: 'The schema change cannot be applied safely' },

  // Table declarations and store usage (programming errors surfaced clearly)
  DECLARATION_INVALID: { status: 500, message: 'The table declaration is invalid' },
  QUERY_REJECTED: { status: 500, message: 'The query breaks a wide-column rule' },
  VALUE_INVALID: { status: 400, message: 'A value does not fit its column type' },

  // Availability
  STORE_UNAVAILABLE: { status: 503, message: 'A backing store is unavailable' },
  STORE_TIMEOUT: { status: 503, message: 'A backing store did not answer in time' },
  CIRCUIT_OPEN: { status: 503, message: 'A backing store is failing; requests are paused' },
  SHUTTING_DOWN: { status: 503, message: 'The service is shutting down' },

  // HTTP edge
  VALIDATION_FAILED: { status: 400, message: 'The request is invalid' },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The content type is not supported' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  UNAUTHENTICATED: { status: 401, message: 'A valid API key is required' },
  API_KEY_REVOKED: { status: 401, message: 'The API key has been revoked' },
  FORBIDDEN_SCOPE: { status: 403, message: 'The API key lacks the required scope' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state' },
  INTERNAL: { status: 500, message: 'Internal error' },

  // Relational store usage
  TRANSACTION_MISUSE: {
    status: 500,
    message: 'A query used the store instead of the open transaction it runs in; pass the transaction',
  },
  TRANSACTION_ABORTED: {
    status: 500,
    message: 'A statement failed inside the transaction; it can only be rolled back',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
