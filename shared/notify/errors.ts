/**
 * A notification that was not sent this time and must be retried: the event's invocation fails
 * so EventBridge and Lambda retry it (then the dead-letter queue), never dropping it silently.
 */
export class NotificationDeferred extends Error {
  override readonly name = 'NotificationDeferred';

  constructor(
    readonly code: 'rate_limited' | 'in_progress' | 'send_failed' | 'send_unknown',
    message: string,
    readonly failures: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The target cannot be sent to as configured (its secret has no URL): retried too, and said loudly. */
export class TargetMisconfigured extends Error {
  override readonly name = 'TargetMisconfigured';
}
