/** Why a dead letter was left in its queue. */
export type KeepCode =
  /** Not something Gantry or EventBridge wrote: never acted on. */
  | 'foreign'
  /** The delivery's events no longer normalize to what the receiver admitted (or never did). */
  | 'not_admitted'
  /** The rule or target it names is gone, or is not one that dead-letters into this queue. */
  | 'unknown_target'
  /** A target kind redrive cannot start (only state machines and Lambda functions). */
  | 'unsupported_target'
  /** Sending it on failed; it can be redriven again later. */
  | 'send_failed';

/** What redriving one message did. */
export type RedriveResult =
  | { readonly status: 'redriven'; readonly detail: string }
  | { readonly status: 'kept'; readonly code: KeepCode; readonly detail: string };

export function redriven(detail: string): RedriveResult {
  return { status: 'redriven', detail };
}

export function kept(code: KeepCode, detail: string): RedriveResult {
  return { status: 'kept', code, detail };
}

/** An error's kind and message, one line, never a stack. */
export function errorLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
}
