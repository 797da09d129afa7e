import type { Logger } from '@aws-lambda-powertools/logger';
import { DETAIL_TYPES, type Provider, SOURCE_EVENT_SOURCE, type SourceEvent, sourceEventDigest } from '../../events';
import type { AuditSink } from '../audit/audit';
import type { RecordWindow } from '../audit/window';
import type { EventBus } from '../bus/event-bus';
import { type SecretSource, SecretUnavailableError, webhookSecretsOf } from '../secrets/secrets';
import type { ConnectionDirectory } from './connections';
import { type DeadLetterSink, deadLetterOf } from './dead-letters';
import type { DeliveryKey, DeliveryStore } from './deliveries';
import { WebhookError } from './errors';
import { type FittedEvent, fitForBus } from './fit';
import { adapterFor, bodyFormatFor, deliveryIdOf, type ParsedDelivery, toSourceEvents } from './normalize';
import { parseBody } from './payload';
import type { Headers, WebhookRequest } from './request';
import { bodyDigest } from './signatures';

/** A delivery as the HTTP edge hands it over: the provider path segment is not yet trusted. */
export interface IncomingDelivery {
  readonly providerSegment: string;
  readonly headers: Headers;
  readonly body: Buffer;
}

export interface ReceiverLimits {
  readonly maxBodyBytes: number;
  readonly deliveryTtlSeconds: number;
  /** How long after a rotation the previous webhook secret still verifies deliveries. */
  readonly previousSecretMs: number;
  /** How long signed content is remembered, so that a replay under a new delivery id is refused. */
  readonly replayWindowSeconds: number;
  /** After this long an unfinished claim is considered abandoned. */
  readonly claimLeaseMs: number;
}

export interface ReceiverDeps {
  readonly connections: ConnectionDirectory;
  readonly secrets: SecretSource;
  readonly deliveries: DeliveryStore;
  readonly bus: EventBus;
  readonly deadLetters: DeadLetterSink;
  readonly audit: AuditSink;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly clock: () => Date;
  readonly limits: ReceiverLimits;
  /** Which refusals reach the ledger: one per provider and code a minute (see `REJECTION_WINDOW_MS`). */
  readonly rejections: RecordWindow;
}

/**
 * Anyone can send a refused delivery, so the ledger takes one refusal per provider and code a
 * minute from each receiver instance, with how many more it only logged: junk traffic cannot fill
 * a ledger kept 400 days, nor crowd out the records that matter.
 */
export const REJECTION_WINDOW_MS = 60_000;

/** What became of a delivery the receiver did not refuse. */
export type Receipt =
  | {
      readonly outcome: 'accepted';
      readonly deliveryId: string;
      readonly events: readonly SourceEvent[];
      readonly deadLettered: boolean;
    }
  | { readonly outcome: 'duplicate'; readonly deliveryId: string }
  | { readonly outcome: 'ignored'; readonly deliveryId: string; readonly eventName: string };

/**
 * Receives one webhook delivery: verify, dedupe, normalize, publish. Refusals are thrown as
 * `WebhookError` (4xx, or 503 when nothing could be kept and the provider should retry).
 */
export async function receiveDelivery(deps: ReceiverDeps, incoming: IncomingDelivery): Promise<Receipt> {
  const progress = { verified: false };
  try {
    return await receive(deps, incoming, progress);
  } catch (error) {
    const refusal = asWebhookError(error);
    await recordRejection(deps, incoming, refusal, progress.verified);
    throw refusal;
  }
}

async function receive(
  deps: ReceiverDeps,
  incoming: IncomingDelivery,
  progress: { verified: boolean },
): Promise<Receipt> {
  const { delivery, connection } = await verified(deps, incoming, progress);
  const receivedAt = deps.clock();
  const events = toSourceEvents(delivery, receivedAt.toISOString());
  for (const event of events) servedBy(deps, delivery.adapter.provider, connection, event.repository.fullName);
  const key: DeliveryKey = { provider: delivery.adapter.provider, deliveryId: deliveryIdOf(delivery) };
  if (events.length === 0) {
    const eventName = eventNameOr(delivery);
    // Its signed body is remembered as well: sent again under another event name (a header no
    // provider signs) or delivery id, it could read as an event Gantry acts on, and is then a
    // replay. Held under a name no delivery id has, so even this delivery's own id cannot
    // bring the body back as another event; the provider's redelivery of it is ignored again.
    await storeCall(() =>
      deps.deliveries.claimContent({ ...key, deliveryId: `ignored:${key.deliveryId}` }, contentKeysOf(delivery), {
        at: receivedAt,
        ttlSeconds: deps.limits.replayWindowSeconds,
        sameDeliveryForSeconds: deps.limits.deliveryTtlSeconds,
      }),
    );
    deps.logger.info('delivery ignored', { ...key, eventName });
    return { outcome: 'ignored', deliveryId: key.deliveryId, eventName };
  }
  const repository = events[0]?.repository.fullName ?? null;
  const fitted = events.map(fitForBus);
  const claim = await storeCall(() =>
    deps.deliveries.claim(key, {
      at: receivedAt,
      leaseMs: deps.limits.claimLeaseMs,
      ttlSeconds: deps.limits.deliveryTtlSeconds,
      repository,
      eventCount: events.length,
      sources: Object.fromEntries(fitted.map(({ detail }) => [detail.eventId, sourceEventDigest(detail)])),
    }),
  );
  if (claim === 'duplicate') {
    deps.logger.info('duplicate delivery', { ...key });
    return { outcome: 'duplicate', deliveryId: key.deliveryId };
  }
  // Refused before as a replay: its record again (once), in case that attempt could not write it.
  if (typeof claim === 'object') return refuseReplay(deps, key, claim.replayOf, events, new Date(claim.refusedAt));
  if (claim === 'in_progress') {
    throw new WebhookError('delivery_in_progress', 'this delivery is being processed; retry later', { ...key });
  }
  // The delivery id is not signed: the same signed content under a new id is a replay.
  const replayOf = await storeCall(() =>
    deps.deliveries.claimContent(key, contentKeysOf(delivery), {
      at: receivedAt,
      ttlSeconds: deps.limits.replayWindowSeconds,
      sameDeliveryForSeconds: deps.limits.deliveryTtlSeconds,
    }),
  ).catch(async (error: unknown) => {
    await deps.deliveries.release(key, contentKeysOf(delivery)).catch(() => undefined);
    throw error;
  });
  if (replayOf !== undefined) return refuseReplay(deps, key, replayOf, events);
  return publishClaimed(deps, delivery, key, fitted);
}

/**
 * What a delivery's signature covers, as a dedupe key: the body's digest. (Not the ref's move:
 * a tag deleted and pushed again to the same commit, or a branch moved back and forth, is a new
 * change with the same move, and must run.)
 */
export function contentKeysOf(delivery: ParsedDelivery): string[] {
  return [`body:${bodyDigest(delivery.request.body)}`];
}

/** A replay publishes nothing; it is answered as a duplicate (the provider must not retry) and audited. */
async function refuseReplay(
  deps: ReceiverDeps,
  key: DeliveryKey,
  replayOf: string,
  events: readonly SourceEvent[],
  /** When it was first refused: a retry's record is that refusal's, written once. */
  refusedAt: Date = deps.clock(),
): Promise<Receipt> {
  const first = events[0];
  // Closed first: a replay whose record cannot be written (the ledger down, the function timed
  // out) must not stay admittable under its claimed digests until the delivery expires.
  await deps.deliveries.settle(key, 'replayed', refusedAt, replayOf);
  await deps.audit.record({
    type: 'webhook.replayed',
    actor: { type: 'provider', id: key.provider, providerIdentity: first?.sender ?? first?.pusher ?? null },
    subject: { repository: first?.repository.fullName ?? null, commit: first?.headSha ?? null },
    outcome: 'rejected',
    details: { deliveryId: key.deliveryId, replayOf },
    correlationId: key.deliveryId,
    // Once per refusal: the same id sent again after the delivery was forgotten is another replay.
    once: `webhook.replayed/${key.provider}/${key.deliveryId}/${refusedAt.getTime()}`,
  });
  deps.logger.warn('delivery replayed: its signed content came before', { ...key, replayOf });
  return { outcome: 'duplicate', deliveryId: key.deliveryId };
}

/**
 * The secret that verified a delivery is one connection's: every event read from it must be of a
 * repository that connection serves. A payload can name one repository where the connection is
 * looked up (Bitbucket Data Center's top-level `repository`) and another where its events are
 * read (a pull request's `toRef`): a connection's secret must not speak for another's repository.
 */
function servedBy(deps: ReceiverDeps, provider: Provider, connection: string, repository: string | null): void {
  if (repository === null) return;
  let serving: string | undefined;
  try {
    serving = deps.connections.resolve(provider, repository).name;
  } catch {
    serving = undefined;
  }
  if (serving !== connection)
    throw new WebhookError(
      'unknown_connection',
      `the delivery is signed with connection ${connection}'s secret, but names repository ${repository}, which ${connection} does not serve`,
      { provider, connection, repository },
    );
}

/**
 * Verification comes before anything reads the payload beyond the repository name. `progress`
 * is marked once a secret verifies the body, before a body no parser reads is refused: its sender
 * holds a secret, so that refusal is recorded whole rather than windowed with outsiders' junk.
 */
async function verified(
  deps: ReceiverDeps,
  incoming: IncomingDelivery,
  progress: { verified: boolean },
): Promise<{ delivery: ParsedDelivery; connection: string }> {
  const adapter = adapterFor(incoming.providerSegment);
  if (incoming.body.length > deps.limits.maxBodyBytes) {
    throw new WebhookError('payload_too_large', `body is over ${deps.limits.maxBodyBytes} bytes`);
  }
  const request: WebhookRequest = { provider: adapter.provider, headers: incoming.headers, body: incoming.body };
  const format = bodyFormatFor(adapter, request);
  let payload: unknown;
  let malformed: WebhookError | undefined;
  try {
    payload = parseBody(request.body, format);
  } catch (error) {
    malformed = asWebhookError(error);
  }
  const repository = payload === undefined ? undefined : adapter.repositoryOf(payload);
  const { connections, mapped } = deps.connections.candidates(adapter.provider, repository);
  let verification: 'missing' | 'invalid' = 'missing';
  // Of several connections none of which lists the repository, one whose secret cannot be read
  // verifies nothing: a 503 there would tell an outsider the repository is not listed (a listed
  // one would be 401), and the delivery would be refused as unlisted anyway.
  const skipUnreadable = !mapped && connections.length > 1;
  for (const connection of connections) {
    const secrets = await deps.secrets.connectionSecrets(connection.secretId).catch((error: unknown) => {
      if (skipUnreadable) {
        deps.logger.error('connection secret unreadable: tried the next connection', {
          connection: connection.name,
          error: errorName(error),
        });
        return undefined;
      }
      throw new WebhookError(
        'unavailable',
        'cannot verify deliveries right now; retry later',
        { connection: connection.name },
        { cause: error },
      );
    });
    if (secrets === undefined) continue;
    const verdict = adapter.verify(
      request,
      webhookSecretsOf(secrets, { now: deps.clock(), previousForMs: deps.limits.previousSecretMs }),
    );
    if (verdict === 'valid') {
      progress.verified = true;
      if (malformed !== undefined) throw malformed;
      return { delivery: { adapter, request, payload }, connection: connection.name };
    }
    if (verdict === 'invalid') verification = 'invalid';
  }
  // The sender is told what any wrong signature is told; the ledger, what an operator would fix.
  const unmapped =
    typeof repository !== 'string'
      ? {}
      : mapped
        ? { repository, connection: connections[0]?.name }
        : {
            repository,
            why: `no connection lists repository ${repository}, and none of the ${connections.length} ${adapter.provider} connections' secrets verifies the delivery`,
          };
  if (verification === 'missing')
    throw new WebhookError('signature_missing', 'the delivery carries no signature or token', unmapped);
  throw new WebhookError('signature_invalid', 'the signature or token does not match', unmapped);
}

async function publishClaimed(
  deps: ReceiverDeps,
  delivery: ParsedDelivery,
  key: DeliveryKey,
  fitted: readonly FittedEvent[],
): Promise<Receipt> {
  const events = fitted.map((f) => f.detail);
  // The ledger first: an event is on the bus only once its acceptance is on record, so nothing
  // runs unrecorded and nothing Gantry published is ever refused as forged for want of a record.
  await recordAcceptance(deps, delivery, key, events);
  const failed = await deps.bus.put(
    fitted.map(({ detail, json }) => ({
      source: SOURCE_EVENT_SOURCE,
      detailType: DETAIL_TYPES[detail.kind],
      detail,
      detailJson: json,
    })),
  );
  let deadLettered = false;
  if (failed.length > 0) {
    const reason = failed.map((f) => f.errorCode).join(',');
    const failedEventIds = failed.map((f) => f.event.detail.eventId);
    try {
      await deps.deadLetters.send(
        deadLetterOf({
          ...key,
          receivedAt: events[0]?.receivedAt ?? deps.clock().toISOString(),
          reason,
          failedEventIds,
          headers: delivery.request.headers,
          body: delivery.request.body,
        }),
      );
      deadLettered = true;
      deps.logger.warn('delivery dead-lettered', { ...key, reason, failed: failed.length });
    } catch (error) {
      deps.logger.error('delivery could be neither published nor dead-lettered', {
        ...key,
        reason,
        error: errorName(error),
      });
      // The ledger says it was accepted; the rejection recorded next says it went no further,
      // and the provider's retry is accepted (and recorded) again.
      await deps.deliveries.release(key, contentKeysOf(delivery)).catch(() => undefined);
      throw new WebhookError(
        'unavailable',
        'the delivery could not be stored; retry later',
        { ...key },
        { cause: error },
      );
    }
    await recordDeadLetter(deps, key, events, reason, failedEventIds);
  }
  await deps.deliveries
    .settle(key, deadLettered ? 'dead_lettered' : 'published', deps.clock())
    .catch((error: unknown) => {
      // The events are out; a stale claim only means a later redelivery republishes the same event ids.
      deps.logger.warn('delivery settled late', { ...key, error: errorName(error) });
    });
  deps.logger.info('delivery accepted', {
    ...key,
    repository: events[0]?.repository.fullName,
    events: events.length,
    deadLettered,
  });
  return { outcome: 'accepted', deliveryId: key.deliveryId, events, deadLettered };
}

/** Who sent the delivery and what it concerns, as the ledger names them. */
function deliveryFacts(key: DeliveryKey, events: readonly SourceEvent[]) {
  const first = events[0];
  return {
    actor: { type: 'provider' as const, id: key.provider, providerIdentity: first?.sender ?? first?.pusher ?? null },
    subject: { repository: first?.repository.fullName ?? null, commit: first?.headSha ?? null },
    correlationId: key.deliveryId,
  };
}

async function recordAcceptance(
  deps: ReceiverDeps,
  delivery: ParsedDelivery,
  key: DeliveryKey,
  events: readonly SourceEvent[],
): Promise<void> {
  try {
    await deps.audit.record({
      ...deliveryFacts(key, events),
      type: 'webhook.accepted',
      outcome: 'success',
      details: {
        deliveryId: key.deliveryId,
        eventName: eventNameOr(delivery),
        events: events.map((e) => ({ eventId: e.eventId, kind: e.kind, ref: e.ref, headSha: e.headSha })),
        commits: events
          .flatMap((e) => e.commits)
          .slice(0, 50)
          .map((c) => ({
            id: c.id,
            message: c.message.slice(0, 500),
            author: c.author.email ?? c.author.name,
            timestamp: c.timestamp,
          })),
      },
    });
  } catch (error) {
    // Unaudited acceptance is not acceptance: nothing is published, the claims go, and the
    // provider's retry (or the same body under a new id) is taken again and recorded.
    await deps.deliveries.release(key, contentKeysOf(delivery)).catch(() => undefined);
    throw new WebhookError(
      'unavailable',
      'the delivery could not be recorded; retry later',
      { ...key },
      { cause: error },
    );
  }
}

/**
 * Events that missed the bus and wait in the dead-letter queue. Not recorded is no reason to
 * refuse: they were accepted on record, the letter itself is kept (and alarmed on) until redrive,
 * and a 503 now would only have the provider send again what is already safe.
 */
async function recordDeadLetter(
  deps: ReceiverDeps,
  key: DeliveryKey,
  events: readonly SourceEvent[],
  reason: string,
  failedEventIds: readonly string[],
): Promise<void> {
  await deps.audit
    .record({
      ...deliveryFacts(key, events),
      type: 'webhook.dead_lettered',
      outcome: 'failure',
      details: { deliveryId: key.deliveryId, reason, failedEventIds: [...failedEventIds] },
    })
    .catch((error: unknown) => {
      deps.logger.error('dead-lettered delivery not recorded', { ...key, error: errorName(error) });
    });
}

async function recordRejection(
  deps: ReceiverDeps,
  incoming: IncomingDelivery,
  refusal: WebhookError,
  verified: boolean,
): Promise<void> {
  if (refusal.code === 'unknown_provider') return;
  // A verified sender holds a connection's secret: each of its refusals is recorded. Unverified
  // ones are recorded once a minute per provider, code and configured repository, so junk for an
  // unlisted name cannot crowd out the refusal of a configured repository's misconfigured hook.
  const { connection, repository } = refusal.context;
  const window: { admitted: true; skipped: number } | { admitted: false } = verified
    ? { admitted: true, skipped: 0 }
    : deps.rejections.admit(
        JSON.stringify([
          incoming.providerSegment.slice(0, 64),
          refusal.code,
          typeof connection === 'string' && typeof repository === 'string' ? repository.toLowerCase() : '*',
        ]),
        deps.clock().getTime(),
      );
  if (window.admitted)
    await deps.audit
      .record({
        type: 'webhook.rejected',
        actor: { type: 'provider', id: incoming.providerSegment.slice(0, 64), providerIdentity: null },
        subject: {},
        outcome: 'rejected',
        details: {
          code: refusal.code,
          status: refusal.status,
          bodyBytes: incoming.body.length,
          // The ledger says what to fix, and about which delivery, not only that something was refused.
          reason: plain(refusal.message),
          ...factsOf(refusal),
          ...(window.skipped === 0 ? {} : { alsoRefused: window.skipped }),
        },
        correlationId: `rejected:${bodyDigest(incoming.body).slice(0, 32)}`,
      })
      .catch((error: unknown) =>
        deps.logger.error('rejection could not be audited', { code: refusal.code, error: errorName(error) }),
      );
  deps.logger.warn(window.admitted ? 'delivery rejected' : 'delivery rejected: logged, recorded once a minute', {
    code: refusal.code,
    status: refusal.status,
    provider: incoming.providerSegment.slice(0, 64),
    ...(refusal.cause === undefined ? {} : { cause: errorName(refusal.cause) }),
  });
}

/** Printable text of at most 500 characters: a refusal may quote what the sender wrote. */
export function plain(text: string): string {
  // Control characters, bidirectional overrides and line separators would rewrite what a reader sees.
  return text.replace(/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu, ' ').slice(0, 500);
}

/** The delivery id and repository a refusal names, where the receiver got that far. */
function factsOf(refusal: WebhookError): { deliveryId?: string; repository?: string; why?: string } {
  const { deliveryId, repository, why } = refusal.context;
  return {
    ...(typeof why === 'string' ? { why: plain(why) } : {}),
    ...(typeof deliveryId === 'string' ? { deliveryId: plain(deliveryId).slice(0, 200) } : {}),
    ...(typeof repository === 'string' ? { repository: plain(repository).slice(0, 200) } : {}),
  };
}

/** The dedupe store being unreachable must make the provider retry, not lose the delivery. */
async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new WebhookError('unavailable', 'the delivery could not be recorded; retry later', {}, { cause: error });
  }
}

function eventNameOr(delivery: ParsedDelivery): string {
  return delivery.adapter.eventName(delivery.request, delivery.payload) ?? 'unknown';
}

function asWebhookError(error: unknown): WebhookError {
  if (error instanceof WebhookError) return error;
  if (error instanceof SecretUnavailableError)
    return new WebhookError('unavailable', 'cannot verify deliveries right now; retry later', {}, { cause: error });
  throw error;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
