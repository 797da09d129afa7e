import type { NotifyTarget } from './targets';

/** `reserved`: go ahead and send. `sent`: already delivered. `in_progress`: another attempt holds it. */
export type Reservation = 'reserved' | 'sent' | 'in_progress';

export interface ReserveOptions {
  readonly at: Date;
  /** A reservation older than this belongs to an attempt that died: another may take it over. */
  readonly leaseMs: number;
  readonly ttlSeconds: number;
}

/** Port: remembers which (event, target) pairs were delivered, so a redelivery sends nothing. */
export interface NotificationLedger {
  reserve(key: string, options: ReserveOptions): Promise<Reservation>;
  /** The message went out: the key now answers `sent` until it expires. */
  markSent(key: string, at: Date): Promise<void>;
  /** Nothing went out: gives the reservation back so the event's retry sends it. */
  release(key: string): Promise<void>;
}

/** A slot to send in: now or after `waitMs`, or none within the wait allowed (`busyForMs` until one frees). */
export type Slot = { readonly waitMs: number } | { readonly busyForMs: number };

/** Port: one shared schedule per target, so all the notifier's instances keep its rate together. */
export interface RateLimiter {
  take(target: string, intervalMs: number, now: Date, maxWaitMs: number): Promise<Slot>;
}

/** A message rendered for one kind of target. */
export type Message =
  | { readonly kind: 'webhook'; readonly body: unknown }
  | { readonly kind: 'sns'; readonly subject: string; readonly text: string };

/** Port: sends one message to one target. Throws `SendError` saying whether the message may have gone out. */
export interface Sender {
  send(target: NotifyTarget, message: Message): Promise<void>;
}

/**
 * A send that failed. `delivered: 'no'` when the target answered with an error (or the request
 * never left); `'unknown'` when the request went out and no answer came (a timeout, a reset).
 */
export class SendError extends Error {
  override readonly name = 'SendError';

  constructor(
    message: string,
    readonly delivered: 'no' | 'unknown',
    /** The target asked to slow down (HTTP 429, SNS throttling); `retryAfterMs` when it said how long. */
    readonly throttled = false,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
