import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';

export interface ErrorOptions {
  /** The input field at fault, as a dotted path (`body.phone`, `store.wide_column`). */
  field?: string;
  /** Extra machine-readable detail safe to show a client. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The one error type. `code` is stable; `status` comes from the catalogue. */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options: ErrorOptions = {}) {
    super(message ?? ERROR_CATALOGUE[code].message, options.cause ? { cause: options.cause } : undefined);
    this.name = 'SwitchboardError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.field = options.field;
    this.details = options.details;
  }

  /**
   * The same refusal naming another field: for a caller that knows where its own caller sent
   * the value (`body.agentId` for an `agentId`, `messages[2].id` for a `body.turnUid`).
   */
  withField(field: string, message = this.message): SwitchboardError {
    return new SwitchboardError(this.code, message, {
      field,
      ...(this.details !== undefined ? { details: this.details } : {}),
      cause: this,
    });
  }

  toJSON(): { code: ErrorCode; message: string; field?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(this.details !== undefined ? { details: this.details } : {}),
    };
  }
}

export function isSwitchboardError(error: unknown, code?: ErrorCode): error is SwitchboardError {
  return error instanceof SwitchboardError && (code === undefined || error.code === code);
}
