/** AWS error codes the real EventBridge API would return for the same input. */
export type EventBridgeErrorCode = 'InvalidEventPatternException' | 'ValidationException';

/**
 * Base of the errors the local EventBridge emulation raises. `code` is the error code the real
 * API returns for the same input, so an API emulation can map the error without parsing messages.
 */
export class EventBridgeError extends Error {
  override readonly name: string = 'EventBridgeError';

  constructor(
    readonly code: EventBridgeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An event pattern EventBridge would reject (PutRule, TestEventPattern). `reason` is worded as
 * EventBridge words it where that wording is known; `path` names the offending place in the pattern.
 */
export class InvalidEventPatternError extends EventBridgeError {
  override readonly name = 'InvalidEventPatternError';

  constructor(
    readonly reason: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason} (at ${path})`, options);
  }
}

/** The `Event` given to TestEventPattern is not JSON, not an object, or lacks an envelope field. */
export class InvalidEventError extends EventBridgeError {
  override readonly name = 'InvalidEventError';

  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('ValidationException', `Parameter Event is not valid. Reason: ${reason}`, options);
  }
}

/**
 * A target's Input, InputPath or InputTransformer that PutTargets would reject, or a transformed
 * input that is not JSON. `targetId` is the target's `Id` when the caller gave one.
 */
export class TargetInputError extends EventBridgeError {
  override readonly name = 'TargetInputError';

  constructor(
    message: string,
    readonly targetId: string | undefined,
    options?: { cause?: unknown },
  ) {
    super('ValidationException', message, options);
  }
}
