import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import {
  type AuditEvent,
  type AuditRecord,
  type AuditRecordClass,
  type AuditRecordInput,
  AuditRecordInputSchema,
  GENESIS_HASH,
  recordClassOf,
} from '../../events';
import type { AuditSink } from './audit';
import { hashEvent } from './chain';

/** Index names, shared with the CDK construct that creates them. */
export const AUDIT_INDEXES = {
  byCommit: 'byCommit',
  byRun: 'byRun',
  byActor: 'byActor',
  byDay: 'byDay',
} as const;

/** Top-level attributes the indexes key on (copies of hashed fields, checked by verify). */
export const AUDIT_INDEX_KEYS = {
  byCommit: 'idxCommit',
  byRun: 'idxRun',
  byActor: 'idxActor',
  byDay: 'idxDay',
} as const;

/** The partition that lists every chain, so checkpoints and verify never scan the table. */
export const CHAIN_REGISTRY = '#chains';
/** The chain of facts that belong to no repository (a delivery rejected before it was read). */
export const UNATTRIBUTED_CHAIN = '-';

const DAY_SECONDS = 86_400;
/** Change evidence: seven years (SOX keeps audit work papers seven years). */
export const DEFAULT_RETENTION_DAYS: Readonly<Record<AuditRecordClass, number>> = { change: 2557, delivery: 400 };

export interface LedgerOptions {
  readonly retentionDays?: Partial<Record<AuditRecordClass, number>>;
  readonly clock?: () => Date;
  /** Conditional-write attempts before an append gives up (each loses only to another append). */
  readonly maxAttempts?: number;
}

export class AuditWriteError extends Error {
  override readonly name = 'AuditWriteError';
}

export function chainOf(record: Pick<AuditRecord, 'subject'>): string {
  return record.subject.repository ?? UNATTRIBUTED_CHAIN;
}

/** The registry item's sort key: a stable number per chain name (48 bits of its SHA-256). */
export function registrySeq(chain: string): number {
  return Number.parseInt(createHash('sha256').update(chain).digest('hex').slice(0, 12), 16);
}

interface Head {
  readonly seq: number;
  readonly hash: string;
  readonly expiresAt: number | null;
}

/**
 * The append-only, hash-chained audit ledger on DynamoDB: one chain per repository, so writers of
 * different repositories never contend. An append reads the chain's head and writes `seq + 1`
 * with a condition that nothing holds that sequence number yet; a writer that loses the race
 * re-reads the head and tries again, so concurrent writers can neither fork the chain nor leave
 * a gap. (DynamoDB transactions are not used: dynalite, behind local mode, has none.)
 */
export class DynamoDbAuditLedger implements AuditSink {
  private readonly heads = new Map<string, Head>();
  private readonly registered = new Set<string>();
  private readonly retention: Record<AuditRecordClass, number>;
  private readonly clock: () => Date;
  private readonly maxAttempts: number;
  private readonly ulid = monotonicFactory();
  /** Backoff window in ms, widened on each lost race and narrowed on each win (per writer). */
  private contention = 0;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
    options: LedgerOptions = {},
  ) {
    this.retention = { ...DEFAULT_RETENTION_DAYS, ...options.retentionDays };
    this.clock = options.clock ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 200;
  }

  async record(input: AuditRecordInput): Promise<void> {
    await this.append(input);
  }

  /** Validates the record against its type's schema, chains it, and writes it; throws when it could not. */
  async append(input: AuditRecordInput): Promise<AuditEvent> {
    const parsed = AuditRecordInputSchema.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
      throw new AuditWriteError(`invalid audit record ${String(input.type)}: ${problems}`);
    }
    const record = parsed.data;
    const chain = chainOf(record);
    await this.register(chain);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const head = this.heads.get(chain) ?? (await this.readHead(chain));
      const event = this.chained(record, chain, head);
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: toItem(event),
            ConditionExpression: 'attribute_not_exists(seq)',
          }),
        );
        this.heads.set(chain, { seq: event.seq, hash: event.hash, expiresAt: event.expiresAt });
        this.contention = Math.floor(this.contention / 2);
        return event;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another writer took this sequence number: forget the cached head, back off, re-read.
        this.heads.delete(chain);
        this.contention = Math.min(this.contention * 2 + 1, 50);
        await sleep(Math.random() * this.contention);
      }
    }
    throw new AuditWriteError(`audit chain "${chain}" is too contended: ${this.maxAttempts} attempts lost the race`);
  }

  private chained(record: AuditRecord, chain: string, head: Head | null): AuditEvent {
    const now = this.clock();
    const days = this.retention[recordClassOf(record.type)];
    const unhashed = {
      id: this.ulid(now.getTime()),
      time: now.toISOString(),
      type: record.type,
      actor: record.actor,
      subject: record.subject,
      outcome: record.outcome,
      details: record.details,
      correlationId: record.correlationId,
      chain,
      seq: (head?.seq ?? 0) + 1,
      prevHash: head?.hash ?? GENESIS_HASH,
      expiresAt: Math.floor(now.getTime() / 1000) + days * DAY_SECONDS,
      prevExpiresAt: head?.expiresAt ?? null,
    };
    return { ...unhashed, hash: hashEvent(unhashed) };
  }

  private async readHead(chain: string): Promise<Head | null> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#c = :c',
        ExpressionAttributeNames: { '#c': 'chain', '#h': 'hash' },
        ExpressionAttributeValues: { ':c': chain },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
        ProjectionExpression: 'seq, #h, expiresAt',
      }),
    );
    const item = out.Items?.[0];
    return item ? { seq: Number(item.seq), hash: String(item.hash), expiresAt: Number(item.expiresAt) } : null;
  }

  /** Lists the chain in the registry once per writer; idempotent, and done before its first event. */
  private async register(chain: string): Promise<void> {
    if (this.registered.has(chain)) return;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { chain: CHAIN_REGISTRY, seq: registrySeq(chain), name: chain },
          ConditionExpression: 'attribute_not_exists(seq)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    this.registered.add(chain);
  }
}

/** The stored item: the event plus the index keys derived from it. */
export function toItem(event: AuditEvent): Record<string, unknown> {
  return {
    ...event,
    [AUDIT_INDEX_KEYS.byCommit]: event.subject.commit ?? undefined,
    [AUDIT_INDEX_KEYS.byRun]: event.subject.runId ?? undefined,
    [AUDIT_INDEX_KEYS.byActor]: event.actor.id,
    [AUDIT_INDEX_KEYS.byDay]: event.time.slice(0, 10),
  };
}

/** The event as stored, without the derived index keys. */
export function fromItem(item: Record<string, unknown>): AuditEvent {
  const { idxCommit: _c, idxRun: _r, idxActor: _a, idxDay: _d, ...event } = item;
  return event as unknown as AuditEvent;
}

/** Index keys that disagree with the hashed content they were copied from (a tampered index). */
export function indexMismatches(item: Record<string, unknown>): string[] {
  const event = fromItem(item);
  const expected = toItem(event);
  return Object.values(AUDIT_INDEX_KEYS).filter((key) => item[key] !== expected[key]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
