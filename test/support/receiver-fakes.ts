import { type AuditRecordInput, AuditRecordInputSchema } from '../../events';
import type { AuditSink } from '../../shared/audit/audit';
import { RecordWindow } from '../../shared/audit/window';
import type { BusEvent, EventBus, FailedBusEvent } from '../../shared/bus/event-bus';
import type { ConnectionSecrets, SecretSource, TokenSource } from '../../shared/secrets/secrets';
import { ConnectionDirectory } from '../../shared/webhooks/connections';
import type { DeadLetter, DeadLetterSink } from '../../shared/webhooks/dead-letters';
import type {
  ClaimResult,
  ContentClaim,
  DeliveryClaim,
  DeliveryKey,
  DeliveryOutcome,
  DeliveryStore,
} from '../../shared/webhooks/deliveries';
import { contentPk, deliveryPk } from '../../shared/webhooks/deliveries';
import type { ReceiverDeps } from '../../shared/webhooks/receive';

/** Shaped `user:password` so it also serves as Azure DevOps Basic credentials. */
export const SECRET = 'gantry:it-is-a-secret-to-everybody';
export const PREVIOUS_SECRET = 'gantry:the-secret-before-rotation';

/** Deliveries in memory, with the same claim/lease rules as the DynamoDB store. */
export class MemoryDeliveryStore implements DeliveryStore {
  readonly items = new Map<
    string,
    {
      state: string;
      claimedAt: number;
      sources: Readonly<Record<string, string>>;
      replayOf?: string;
      settledAt?: number;
    }
  >();

  async claim(key: DeliveryKey, claim: DeliveryClaim): Promise<ClaimResult> {
    const existing = this.items.get(deliveryPk(key));
    const now = claim.at.getTime();
    if (existing && !(existing.state === 'received' && existing.claimedAt < now - claim.leaseMs)) {
      if (existing.state === 'replayed' && existing.replayOf !== undefined)
        return { replayOf: existing.replayOf, refusedAt: existing.settledAt ?? 0 };
      return existing.state === 'received' ? 'in_progress' : 'duplicate';
    }
    this.items.set(deliveryPk(key), { state: 'received', claimedAt: now, sources: claim.sources });
    return 'claimed';
  }

  async settle(key: DeliveryKey, outcome: DeliveryOutcome, at?: Date, replayOf?: string): Promise<void> {
    const item = this.items.get(deliveryPk(key));
    if (item) {
      item.state = outcome;
      if (at !== undefined) item.settledAt = at.getTime();
      if (replayOf !== undefined) item.replayOf = replayOf;
    }
  }

  async release(key: DeliveryKey, contentKeys: readonly string[] = []): Promise<void> {
    for (const contentKey of contentKeys) {
      const pk = contentPk(key.provider, contentKey);
      if (this.contents.get(pk)?.deliveryId === key.deliveryId) this.contents.delete(pk);
    }
    if (this.items.get(deliveryPk(key))?.state === 'received') this.items.delete(deliveryPk(key));
  }

  readonly contents = new Map<string, { deliveryId: string; claimedAt: number; expiresAt: number }>();

  async claimContent(
    key: DeliveryKey,
    contentKeys: readonly string[],
    claim: ContentClaim,
  ): Promise<string | undefined> {
    const now = claim.at.getTime();
    for (const contentKey of contentKeys) {
      const pk = contentPk(key.provider, contentKey);
      const held = this.contents.get(pk);
      const ownRetry =
        held?.deliveryId === key.deliveryId && held.claimedAt > now - claim.sameDeliveryForSeconds * 1000;
      if (held && held.expiresAt > now && !ownRetry) return held.deliveryId;
      this.contents.set(pk, { deliveryId: key.deliveryId, claimedAt: now, expiresAt: now + claim.ttlSeconds * 1000 });
    }
    return undefined;
  }
}

/** A bus that records what it took and can be told to refuse. */
export class MemoryBus implements EventBus {
  readonly published: BusEvent[] = [];
  failWith: string | undefined;

  async put<E extends BusEvent>(events: readonly E[]): Promise<FailedBusEvent<E>[]> {
    const code = this.failWith;
    if (code !== undefined) return events.map((event) => ({ event, errorCode: code, errorMessage: 'refused' }));
    this.published.push(...events);
    return [];
  }
}

export class MemoryDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  failing = false;

  async send(letter: DeadLetter): Promise<void> {
    if (this.failing) throw new Error('SQS unavailable');
    this.letters.push(letter);
  }
}

export class MemoryAudit implements AuditSink {
  readonly records: AuditRecordInput[] = [];
  failing = false;

  async record(record: AuditRecordInput): Promise<void> {
    if (this.failing) throw new Error('ledger unavailable');
    // As the ledger does: a record whose details break its type's schema is refused.
    AuditRecordInputSchema.parse(record);
    // As the ledger does: a fact recorded once under its key is not recorded again.
    if (record.once !== undefined && this.records.some((r) => r.once === record.once)) return;
    this.records.push(record);
  }
}

/** One connection's secrets; its API token is the connection secret's (as before tokens had their own). */
export class StaticSecrets implements SecretSource, TokenSource {
  calls = 0;
  failing = false;

  constructor(private readonly secrets: ConnectionSecrets) {}

  async connectionSecrets(): Promise<ConnectionSecrets> {
    this.calls++;
    if (this.failing) throw new Error('Secrets Manager unavailable');
    return this.secrets;
  }

  async apiToken(): Promise<string | undefined> {
    return (await this.connectionSecrets()).current.apiToken;
  }
}

export interface Fakes {
  readonly deps: ReceiverDeps;
  readonly deliveries: MemoryDeliveryStore;
  readonly bus: MemoryBus;
  readonly deadLetters: MemoryDeadLetters;
  readonly audit: MemoryAudit;
  readonly secrets: StaticSecrets;
  readonly logs: unknown[][];
  now: Date;
}

/** A receiver wired to in-memory ports: a GitHub and a GitLab connection, both with rotation in progress. */
export function receiverFakes(overrides: Partial<ReceiverDeps> = {}): Fakes {
  const logs: unknown[][] = [];
  const log = (...args: unknown[]) => void logs.push(args);
  const fakes = {
    deliveries: new MemoryDeliveryStore(),
    bus: new MemoryBus(),
    deadLetters: new MemoryDeadLetters(),
    audit: new MemoryAudit(),
    // Rotated an hour before `now`: the previous secret is still inside its 24-hour window.
    secrets: new StaticSecrets({
      current: { webhookSecret: SECRET },
      previous: { webhookSecret: PREVIOUS_SECRET },
      rotatedAt: new Date('2026-11-23T09:00:00.000Z'),
    }),
    logs,
    now: new Date('2026-11-23T10:00:00.000Z'),
  };
  const deps: ReceiverDeps = {
    connections: new ConnectionDirectory([
      { name: 'github-main', provider: 'github', secretId: 'gantry/connections/github-main', repositories: [] },
      { name: 'gitlab-main', provider: 'gitlab', secretId: 'gantry/connections/gitlab-main', repositories: [] },
    ]),
    secrets: fakes.secrets,
    deliveries: fakes.deliveries,
    bus: fakes.bus,
    deadLetters: fakes.deadLetters,
    audit: fakes.audit,
    logger: { info: log, warn: log, error: log } as ReceiverDeps['logger'],
    clock: () => fakes.now,
    // Every refusal recorded, so a test reads each one; the window's own test sets the real one.
    rejections: new RecordWindow(0),
    limits: {
      maxBodyBytes: 64 * 1024,
      deliveryTtlSeconds: 86_400,
      replayWindowSeconds: 400 * 86_400,
      previousSecretMs: 24 * 3_600_000,
      claimLeaseMs: 60_000,
    },
    ...overrides,
  };
  return Object.assign(fakes, { deps });
}
