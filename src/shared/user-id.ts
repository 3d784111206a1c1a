/**
 * The user-id alphabet: 1 to 128 visible ASCII characters (no spaces, no control characters).
 * The same in a body and in the `X-User-Id` header: a header is read as Latin-1, so an id with
 * other characters would be stored mangled from one and could never act through the other.
 * Schemas use the pattern; the HTTP error mapping answers INVALID_USER_ID for it.
 */
export const USER_ID_PATTERN = '^[\\x21-\\x7e]{1,128}$';
export const USER_ID_RE = new RegExp(USER_ID_PATTERN);
