import type { Logger } from '@aws-lambda-powertools/logger';
import type { NotificationDetail } from '../../events';
import { NotificationDeferred } from './errors';
import { render } from './messages';
import { type NotificationLedger, type RateLimiter, SendError, type Sender } from './ports';
import { deliveryKeyOf, type NotifyTarget, wants } from './targets';

/** What the notifier needs. */
export interface NotifyDeps {
  readonly targets: readonly NotifyTarget[];
  readonly ledger: NotificationLedger;
  readonly rates: RateLimiter;
  readonly sender: Sender;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly clock: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** The longest the notifier waits for a rate slot before deferring the message. @default 20 s */
  readonly maxWaitMs?: number;
  /** How long a reservation is held before another attempt may take it over. @default 2 min */
  readonly leaseMs?: number;
  /** How long a delivery key is remembered. @default 30 days */
  readonly ttlSeconds?: number;
}

export type DeliveryOutcome = 'sent' | 'duplicate';

export interface NotifyOutcome {
  readonly detailType: string;
  readonly runId: string;
  /** Target name → what happened to it. */
  readonly deliveries: Readonly<Record<string, DeliveryOutcome>>;
}

/**
 * One bus event (parsed by the handler) → one message per target whose filter takes it, each at most once however often
 * the event comes (redelivered, or published again by a retried step). A target that could not
 * take the message now (over its rate, unreachable) makes the invocation fail once the others are
 * done, so the event is retried; the targets already sent to answer `duplicate` on the retry.
 */
export async function notify(deps: NotifyDeps, event: NotificationDetail): Promise<NotifyOutcome> {
  const targets = deps.targets.filter((t) => wants(t, event));
  const results = await Promise.allSettled(targets.map((t) => deliverOnce(deps, t, event)));
  const deliveries: Record<string, DeliveryOutcome> = {};
  const failures: string[] = [];
  results.forEach((result, i) => {
    const name = targets[i]?.name ?? '';
    if (result.status === 'fulfilled') deliveries[name] = result.value;
    else failures.push(`${name}: ${result.reason instanceof Error ? result.reason.message : 'failed'}`);
  });
  const outcome = { detailType: event.detailType, runId: event.detail.runId, deliveries };
  deps.logger.info('notification event handled', { ...outcome, failures });
  if (failures.length > 0) {
    const deferred = results.find((r) => r.status === 'rejected' && r.reason instanceof NotificationDeferred);
    const code = deferred?.status === 'rejected' ? (deferred.reason as NotificationDeferred).code : 'send_failed';
    throw new NotificationDeferred(code, `not delivered yet, retried: ${failures.join('; ')}`, failures);
  }
  return outcome;
}

/**
 * Events someone must act on (an approval waits; a release rolled back) take their own rate slots
 * at each target: a burst of run results (every pull request of a busy morning failing) books the
 * shared slots minutes ahead, and would otherwise defer an approval request past its retries into
 * the dead-letter queue. While both are busy, a target gets up to one message more per interval
 * than its rate; a 429 from it is retried like any other.
 */
const URGENT: ReadonlySet<NotificationDetail['detailType']> = new Set(['Approval Requested', 'Deployment Rolled Back']);

/** The rate slots an event takes at a target: its urgent ones, or the target's own. */
export function rateLaneOf(target: Pick<NotifyTarget, 'name'>, event: Pick<NotificationDetail, 'detailType'>): string {
  return URGENT.has(event.detailType) ? `${target.name}#urgent` : target.name;
}

async function deliverOnce(
  deps: NotifyDeps,
  target: NotifyTarget,
  event: NotificationDetail,
): Promise<DeliveryOutcome> {
  const key = deliveryKeyOf(event, target.name);
  const log = { runId: event.detail.runId, detailType: event.detailType, target: target.name };
  const reservation = await deps.ledger.reserve(key, {
    at: deps.clock(),
    leaseMs: deps.leaseMs ?? 120_000,
    ttlSeconds: deps.ttlSeconds ?? 30 * 86_400,
  });
  if (reservation === 'sent') {
    deps.logger.info('notification already sent', log);
    return 'duplicate';
  }
  if (reservation === 'in_progress')
    throw new NotificationDeferred('in_progress', `another attempt is sending to ${target.name}`);
  const slot = await deps.rates.take(
    rateLaneOf(target, event),
    target.intervalMs,
    deps.clock(),
    deps.maxWaitMs ?? 20_000,
  );
  if ('busyForMs' in slot) {
    await deps.ledger.release(key);
    deps.logger.warn('notification over its rate limit, deferred', { ...log, busyForMs: slot.busyForMs });
    throw new NotificationDeferred('rate_limited', `${target.name} is over its rate for ${slot.busyForMs} ms more`);
  }
  if (slot.waitMs > 0) await deps.sleep(slot.waitMs);
  await send(deps, target, event, key, log);
  await deps.ledger.markSent(key, deps.clock());
  deps.logger.info('notification sent', { ...log, waitedMs: slot.waitMs });
  return 'sent';
}

/**
 * A send that surely failed gives its reservation back, so the retry sends. A send whose outcome
 * is unknown (the request went out, no answer came) keeps it: the retry sends only once the lease
 * is over, and the message may then arrive twice. Silence is never chosen over a duplicate.
 */
async function send(
  deps: NotifyDeps,
  target: NotifyTarget,
  event: NotificationDetail,
  key: string,
  log: Record<string, string>,
): Promise<void> {
  try {
    await deps.sender.send(target, render(target, event));
  } catch (error) {
    const unknown = error instanceof SendError && error.delivered === 'unknown';
    if (!unknown) await deps.ledger.release(key);
    const code =
      error instanceof SendError && error.throttled ? 'rate_limited' : unknown ? 'send_unknown' : 'send_failed';
    deps.logger.warn('notification not sent', {
      ...log,
      code,
      error: error instanceof Error ? error.message : 'unknown',
    });
    throw new NotificationDeferred(code, error instanceof Error ? error.message : 'send failed', [], { cause: error });
  }
}
