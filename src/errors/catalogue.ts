/**
 * The one error catalogue. Every error Switchboard raises on purpose carries a stable code
 * from this table; the HTTP layer maps the code to its status, and clients can switch on the
 * code without parsing messages. Add new codes here, never inline elsewhere.
 *
 * `raisedBy` names the modules (the first segment of their routes' operationIds) that raise a
 * code, or `startup` for codes only start-up and the CLI raise; codes without it can come from
 * any route (the edge, the ports). The OpenAPI document lists, for each operation and error
 * status, only the codes that operation can answer.
 */
export const ERROR_CATALOGUE = {
  // Configuration and start-up
  CONFIG_INVALID: { status: 500, message: 'The configuration is invalid', raisedBy: ['startup'] },
  SCHEMA_NOT_APPLIED: {
    status: 503,
    message: 'The schema has not been applied; run `switchboard schema apply`',
  },
  SCHEMA_UNSAFE_CHANGE: {
    status: 500,
    message: 'The schema change cannot be applied safely',
    raisedBy: ['startup'],
  },

  // Table declarations and store usage (programming errors surfaced clearly)
  DECLARATION_INVALID: { status: 500, message: 'The table declaration is invalid', raisedBy: ['startup'] },
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
  JSON_TOO_DEEP: { status: 400, message: 'The request body nests deeper than allowed' },
  INVALID_PAGE_TOKEN: {
    status: 400,
    message: 'The page token is not one this route issued for this query; start again without it',
  },
  INVALID_USER_ID: {
    status: 400,
    message: 'The user id is not 1 to 128 visible ASCII characters',
    raisedBy: ['messaging'],
  },
  BAD_REQUEST: { status: 400, message: 'The request could not be read' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large' },
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
  LAST_ADMIN_KEY: { status: 409, message: 'The last active admin key cannot be revoked', raisedBy: ['keys'] },

  // messaging (issue 6)
  // Also for a channel that does not exist: the API does not reveal which channel ids exist.
  NOT_A_MEMBER: { status: 403, message: 'The user is not a member of the channel', raisedBy: ['messaging'] },
  NOT_ALLOWED: { status: 403, message: 'The user may not do this in the channel', raisedBy: ['messaging'] },
  MESSAGE_NOT_FOUND: { status: 404, message: 'No such message in the channel', raisedBy: ['messaging'] },
  PIN_LIMIT_REACHED: {
    status: 409,
    message: 'The channel has reached its pin limit',
    raisedBy: ['messaging'],
  },
  CONTENT_TOO_LONG: {
    status: 400,
    message: 'The message content is too long',
    raisedBy: ['messaging', 'conversations'],
  },
  INVALID_ID: { status: 400, message: 'The id is not a valid Snowflake id' },
  // 503, not 500 (issue 23): surfaced by a send, it means ids cannot be issued here now.
  WORKER_ID_IN_USE: {
    status: 503,
    message: 'Another live process holds this Snowflake worker id',
    raisedBy: ['messaging'],
  },
  CLOCK_MOVED_BACKWARDS: {
    status: 503,
    message: 'The system clock moved backwards beyond the tolerance',
    raisedBy: ['messaging'],
  },
  CONTENDED: { status: 503, message: 'Too many concurrent changes; retry', raisedBy: ['messaging'] },
  // issue 23: no id is minted without a live worker-id lease (hot state unreachable too long)
  ID_LEASE_UNAVAILABLE: {
    raisedBy: ['messaging'],
    status: 503,
    message: 'Message ids cannot be issued until the Snowflake worker-id lease is held again',
  },

  // messaging: Telegram bridge, search, templates (issue 7)
  TEMPLATE_VARIABLE_MISSING: {
    status: 400,
    message: 'A template variable has no value',
    raisedBy: ['messaging'],
  },
  TELEGRAM_SECRET_INVALID: {
    status: 401,
    message: 'The Telegram webhook secret token is missing or wrong',
    raisedBy: ['messaging'],
  },

  // messaging: hardening (issue 18)
  RESERVED_VALUE: { status: 400, message: 'The value is set by the service only', raisedBy: ['messaging'] },
  REACTION_LIMIT_REACHED: {
    status: 409,
    message: 'The message has reached its limit of distinct reactions',
    raisedBy: ['messaging'],
  },
  OWNER_REQUIRED: { status: 409, message: 'A channel must keep an owner', raisedBy: ['messaging'] },

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
  INVALID_PHONE: {
    status: 400,
    message: 'The phone number is not a valid number',
    raisedBy: ['voice', 'callcenter'],
  },
  MEMORY_TOO_LARGE: {
    status: 413,
    message: 'The session memory is larger than allowed',
    raisedBy: ['voice'],
  },
  VERSION_CONFLICT: {
    status: 409,
    message: 'The record changed since it was read; read it again and retry',
    raisedBy: ['voice'],
  },
  SMS_TOO_LONG: { status: 400, message: 'The SMS needs more segments than allowed', raisedBy: ['voice'] },
  UNKNOWN_BRANCH: { status: 404, message: 'No branch with that id', raisedBy: ['voice'] },
  SLOT_OUTSIDE_HOURS: { status: 400, message: 'The slot is not a slot of the branch', raisedBy: ['voice'] },
  SLOT_IN_PAST: { status: 400, message: 'The slot has already started', raisedBy: ['voice'] },
  SLOT_TOO_FAR: {
    status: 400,
    message: 'The slot is further ahead than bookings may be made',
    raisedBy: ['voice'],
  },
  SLOT_FULL: { status: 409, message: 'The slot has no free seat', raisedBy: ['voice'] },
  DUPLICATE_BOOKING: {
    status: 409,
    message: 'The customer already holds an appointment in that slot',
    raisedBy: ['voice'],
  },
  ILLEGAL_STATUS_CHANGE: {
    status: 409,
    message: 'The status cannot move that way',
    raisedBy: ['voice', 'callcenter'],
  },

  // Call center (issue 15)
  AGENT_NOT_FOUND: { status: 404, message: 'No agent with that id', raisedBy: ['callcenter'] },
  AGENT_EXISTS: {
    status: 409,
    message: 'An agent with that id or username already exists',
    raisedBy: ['callcenter'],
  },
  AGENT_HAS_LIVE_CALLS: {
    status: 409,
    message: 'The agent has live calls; going offline needs force',
    raisedBy: ['callcenter'],
  },
  AGENT_NOT_AVAILABLE: {
    status: 409,
    message: 'The agent is not available for calls',
    raisedBy: ['callcenter'],
  },
  AGENT_AT_CAPACITY: {
    status: 409,
    message: 'The agent already has as many calls as it can take',
    raisedBy: ['callcenter'],
  },
  SKILLS_NOT_MATCHED: {
    status: 409,
    message: "The agent does not hold the call's required skills",
    raisedBy: ['callcenter'],
  },
  CALL_NOT_FOUND: { status: 404, message: 'No live call with that id', raisedBy: ['callcenter'] },
  CALL_EXISTS: {
    status: 409,
    message: 'A live call or call record with that id already exists',
    raisedBy: ['callcenter'],
  },
  CALL_NOT_IN_QUEUE: { status: 409, message: 'The call is not waiting in a queue', raisedBy: ['callcenter'] },
  CALL_ALREADY_ASSIGNED: {
    status: 409,
    message: 'The call has already been assigned to an agent',
    raisedBy: ['callcenter'],
  },
  CALL_STATE_INVALID: {
    status: 409,
    message: 'The call is not in a state that allows this',
    raisedBy: ['callcenter'],
  },
  // conversations (issue 16)
  SESSION_NOT_FOUND: { status: 404, message: 'No such conversation session', raisedBy: ['conversations'] },
  TURN_NOT_FOUND: { status: 404, message: 'No such turn in the conversation', raisedBy: ['conversations'] },
  UNKNOWN_PARENT: {
    status: 422,
    message: 'The parent turn is not in the conversation',
    raisedBy: ['conversations'],
  },
  INVALID_PARENT_TYPE: {
    raisedBy: ['conversations'],
    status: 422,
    message:
      'A human turn follows an agent turn (or starts the conversation); an agent turn follows a human turn',
  },
  TURN_CYCLE: { status: 422, message: 'The turn would be its own ancestor', raisedBy: ['conversations'] },
  TURN_EXISTS: { status: 409, message: 'A turn with that id already exists', raisedBy: ['conversations'] },
  NOT_A_CHILD: {
    status: 422,
    message: 'The turn is not a child of that parent',
    raisedBy: ['conversations'],
  },
  NOT_AN_AGENT_TURN: {
    status: 422,
    message: 'Only agent turns have steps and likes',
    raisedBy: ['conversations'],
  },
  TURN_COMPLETED: {
    status: 409,
    message: 'The agent turn is complete; no more steps can be added',
    raisedBy: ['conversations'],
  },
  CONVERSATION_TOO_DEEP: {
    status: 422,
    message: 'The conversation path is longer than allowed',
    raisedBy: ['conversations'],
  },
  CONVERSATION_TOO_LARGE: {
    status: 422,
    message: 'The conversation has more turns or steps than allowed',
    raisedBy: ['conversations'],
  },
} as const satisfies Record<string, { status: number; message: string; raisedBy?: readonly string[] }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
