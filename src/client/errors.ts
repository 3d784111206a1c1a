import type { components } from './api-types.gen.js';

/** Every code of the service's error catalogue, as the OpenAPI document lists them. */
export type ErrorCode = components['schemas']['ErrorResponse']['error']['code'];

/**
 * A response outside 2xx. `code` is the catalogue code to switch on; an answer that is not in
 * the catalogue's shape (a proxy's HTML 502, say) has code `UNEXPECTED_RESPONSE`.
 */
export class SwitchboardApiError extends Error {
  override readonly name = 'SwitchboardApiError';
  readonly status: number;
  /**
   * Typed as the catalogue this client was built from; a newer service may answer a code added
   * since, hence the open string.
   */
  readonly code: ErrorCode | 'UNEXPECTED_RESPONSE' | (string & {});
  /** The input at fault as a dotted path (`body.customerPhone`), when the service names one. */
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  /** The service's request id (also its `x-request-id` header), to find the request in its log. */
  readonly requestId: string | undefined;

  constructor(status: number, body: unknown, requestId?: string) {
    const error = (body as Partial<components['schemas']['ErrorResponse']> | undefined)?.error;
    const known = typeof error?.code === 'string' && typeof error.message === 'string';
    super(known ? error.message : `HTTP ${status} without an error in the catalogue's shape`);
    this.status = status;
    this.code = known ? error.code : 'UNEXPECTED_RESPONSE';
    this.field = known ? error.field : undefined;
    this.details = known ? error.details : undefined;
    this.requestId = (known ? error.requestId : undefined) ?? requestId;
  }
}

export function isSwitchboardApiError(error: unknown): error is SwitchboardApiError {
  return error instanceof SwitchboardApiError;
}
