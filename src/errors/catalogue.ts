/**
 * The one error catalogue. Every error Switchboard raises on purpose carries a stable code
 * from this table; the HTTP layer maps the code to its status, and clients can switch on the
 * code without parsing messages. Add new codes here, never inline elsewhere.
 */
export const ERROR_CATALOGUE = {
  // Configuration and start-up
  CONFIG_INVALID: { status: 500, message: 'The configuration is invalid' },
  SCHEMA_NOT_APPLIED: {
    status: 503,
    message: 'The schema has not been applied; run `switchboard schema apply`',
  },
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

  // messaging (issue 6)
  NOT_A_MEMBER: { status: 403, message: 'The user is not a member of the channel' },
  NOT_ALLOWED: { status: 403, message: 'The user may not do this in the channel' },
  CHANNEL_NOT_FOUND: { status: 404, message: 'No such channel' },
  MESSAGE_NOT_FOUND: { status: 404, message: 'No such message in the channel' },
  PIN_LIMIT_REACHED: { status: 409, message: 'The channel has reached its pin limit' },
  CONTENT_TOO_LONG: { status: 400, message: 'The message content is too long' },
  INVALID_ID: { status: 400, message: 'The id is not a valid Snowflake id' },
  WORKER_ID_IN_USE: { status: 500, message: 'Another live process holds this Snowflake worker id' },
  CLOCK_MOVED_BACKWARDS: { status: 503, message: 'The system clock moved backwards beyond the tolerance' },
  CONTENDED: { status: 503, message: 'Too many concurrent changes; retry' },

  // messaging: Telegram bridge, search, templates (issue 7)
  TEMPLATE_VARIABLE_MISSING: { status: 400, message: 'A template variable has no value' },
  TELEGRAM_SECRET_INVALID: { status: 401, message: 'The Telegram webhook secret token is missing or wrong' },

  // Relational store usage
  TRANSACTION_MISUSE: {
    status: 500,
    message: 'A query used the store instead of the open transaction it runs in; pass the transaction',
  },
  TRANSACTION_ABORTED: {
    status: 500,
    message: 'A statement failed inside the transaction; it can only be rolled back',
  },

  // Voice module (sessions, SMS, gold prices, appointments)
  INVALID_PHONE: { status: 400, message: 'The phone number is not a valid number' },
  MEMORY_TOO_LARGE: { status: 413, message: 'The session memory is larger than allowed' },
  VERSION_CONFLICT: { status: 409, message: 'The record changed since it was read; read it again and retry' },
  SMS_TOO_LONG: { status: 400, message: 'The SMS needs more segments than allowed' },
  UNKNOWN_BRANCH: { status: 404, message: 'No branch with that id' },
  SLOT_OUTSIDE_HOURS: { status: 400, message: 'The slot is not a slot of the branch' },
  SLOT_IN_PAST: { status: 400, message: 'The slot has already started' },
  SLOT_FULL: { status: 409, message: 'The slot has no free seat' },
  DUPLICATE_BOOKING: { status: 409, message: 'The customer already holds an appointment in that slot' },
  ILLEGAL_STATUS_CHANGE: { status: 409, message: 'The status cannot move that way' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
