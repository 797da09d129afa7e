/** Stable codes a caller may branch on; each maps to one HTTP status. */
export const WEBHOOK_ERROR_STATUS = {
  unknown_provider: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  malformed_body: 400,
  missing_header: 400,
  malformed_payload: 400,
  signature_missing: 401,
  signature_invalid: 401,
  unknown_connection: 401,
  delivery_in_progress: 409,
  unavailable: 503,
} as const;
export type WebhookErrorCode = keyof typeof WEBHOOK_ERROR_STATUS;

/**
 * A delivery Gantry refuses. `message` is safe to return to the sender: it never holds a
 * secret, a token or a stack; `context` is for logs and holds only identifiers.
 */
export class WebhookError extends Error {
  override readonly name: string = 'WebhookError';
  readonly status: number;

  constructor(
    readonly code: WebhookErrorCode,
    message: string,
    readonly context: Readonly<Record<string, string | number | undefined>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = WEBHOOK_ERROR_STATUS[code];
  }
}

/** The body parsed, but lacks what its event type requires. */
export class PayloadError extends WebhookError {
  override readonly name = 'PayloadError';

  constructor(message: string, context: Readonly<Record<string, string | number | undefined>> = {}) {
    super('malformed_payload', message, context);
  }
}
