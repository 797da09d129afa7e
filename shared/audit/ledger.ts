import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  type AuditEvent,
  type AuditRecord,
  type AuditRecordClass,
  type AuditRecordInput,
  AuditRecordInputParser,
  GENESIS_HASH,
  recordClassOf,
} from '../../events';
import type { AuditSink } from './audit';
import { hashEvent } from './chain';
import { monotonicUlids } from './ids';

/** Index names, shared with the CDK construct that creates them. Each sorts on `time`. */
export const AUDIT_INDEXES = {
  byCommit: 'byCommit',
  byRun: 'byRun',
  byActor: 'byActor',
  byDay: 'byDay',
  /** A repository's events (its chain) in time order: a period of it is read without the others'. */
  byChain: 'byChain',
} as const;

/** Top-level attributes the indexes key on (copies of hashed fields, checked by verify). */
export const AUDIT_INDEX_KEYS = {
  byCommit: 'idxCommit',
  byRun: 'idxRun',
  byActor: 'idxActor',
  byDay: 'idxDay',
} as const;

/** Each index's partition key: a copy above, or for `byChain` the hashed `chain` itself (nothing to check). */
export const AUDIT_INDEX_PARTITIONS: Readonly<Record<keyof typeof AUDIT_INDEXES, string>> = {
  ...AUDIT_INDEX_KEYS,
  byChain: 'chain',
};

/** The attribute an event written with a `once` key carries it in (outside the hashed event). */
const ONCE_ATTRIBUTE = 'once';
/**
 * A writer appends a keyed record only this soon after its claim; after that it gives up (its
 * step fails and is retried) rather than risk writing what another writer has taken over.
 */
const ONCE_WRITE_MS = 8_000;
/** A claim older than this is taken over: its writer stopped trying `ONCE_WRITE_MS` after it, with room for a put in flight. */
const ONCE_LEASE_MS = 15_000;

/** What every partition of `once` claims starts with: no chain (a repository name) can. */
export const ONCE_PARTITION_PREFIX = '#once#';

/** The partition holding a `once` key's claims and done marker (the key hashed: keys are long). */
export function onceKeyPartition(key: string): string {
  return `${ONCE_PARTITION_PREFIX}${createHash('sha256').update(key).digest('hex')}`;
}

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
  /** How long a writer may append a keyed record after claiming it, and when a claim is taken over (tests shorten them). */
  readonly onceTimings?: { readonly writeMs: number; readonly leaseMs: number };
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
  /** Per chain, when this writer's last append to it settles (appends to one chain are queued). */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly retention: Record<AuditRecordClass, number>;
  private readonly clock: () => Date;
  private readonly maxAttempts: number;
  private readonly once: { readonly writeMs: number; readonly leaseMs: number };
  private readonly ulid = monotonicUlids();
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
    this.once = options.onceTimings ?? { writeMs: ONCE_WRITE_MS, leaseMs: ONCE_LEASE_MS };
  }

  async record(input: AuditRecordInput): Promise<void> {
    await this.append(input);
  }

  /**
   * Validates the record against its type's schema, chains it, and writes it; throws when it could
   * not. A record with a `once` key that the ledger already holds is not written again: the event
   * already written is returned.
   */
  async append(input: AuditRecordInput): Promise<AuditEvent> {
    const parsed = AuditRecordInputParser.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
      throw new AuditWriteError(`invalid audit record ${String(input.type)}: ${problems}`);
    }
    const record = parsed.data;
    const chain = chainOf(record);
    await this.register(chain);
    return record.once === undefined ? this.appendTo(chain, record) : this.appendOnce(chain, record, record.once);
  }

  /**
   * Appends a record at most once per key, without transactions (dynalite has none) and with
   * only PutItem and Query. The key's own partition holds claims (sort keys 1, 2, …: "about to
   * append, the chain's head was at seq N") and a done marker (sort key 0: "written as seq M").
   * A writer that died between its claim and its marker left a claim: the next one looks for the
   * event in the chain after the claimed head (events carry their key), and appends only if it is
   * not there. A claim younger than the lease may belong to a writer still at work: wait it out.
   */
  private async appendOnce(chain: string, record: AuditRecord, key: string, besideOf?: string): Promise<AuditEvent> {
    const partition = onceKeyPartition(key);
    // The record already holding the key: this very fact again, or another of its kind (kept beside).
    const settle = async (holder: AuditEvent, marked: boolean): Promise<AuditEvent> => {
      const match = matchOnce(holder, chain, record, key, besideOf);
      if (!marked) await this.markOnce(partition, holder);
      return 'same' in match ? match.same : this.appendOnce(chain, record, match.beside, key);
    };
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const marks = await this.queryAll({
        TableName: this.tableName,
        KeyConditionExpression: '#c = :c',
        ExpressionAttributeNames: { '#c': 'chain' },
        ExpressionAttributeValues: { ':c': partition },
        ConsistentRead: true,
      });
      const done = marks.find((m) => Number(m.seq) === 0);
      if (done !== undefined)
        return settle(await this.eventAt(String(done.eventChain), Number(done.eventSeq), key), true);
      const claims = marks.filter((m) => Number(m.seq) > 0);
      if (claims.length > 0) {
        const earlier = await this.findOnce(chain, key, Math.min(...claims.map((c) => Number(c.from))));
        if (earlier !== undefined) return settle(earlier, false);
        const youngest = Math.max(...claims.map((c) => Number(c.at)));
        const wait = youngest + this.once.leaseMs - Date.now();
        if (wait > 0) {
          await sleep(Math.min(wait, 500));
          continue;
        }
      }
      // A cached head can only be behind the chain, which widens the search, never narrows it.
      const head = this.heads.get(chain) ?? (await this.readHead(chain));
      const at = Date.now();
      const claimed = await this.putIfAbsent({
        chain: partition,
        seq: Math.max(0, ...claims.map((c) => Number(c.seq))) + 1,
        from: head?.seq ?? 0,
        at,
        expiresAt: this.expiry(record),
      });
      if (!claimed) continue;
      const event = await this.appendTo(chain, record, { key, until: at + this.once.writeMs });
      await this.markOnce(partition, event);
      return event;
    }
    throw new AuditWriteError(`audit record "${key}" could not be claimed: ${this.maxAttempts} attempts lost the race`);
  }

  /**
   * Appends to one chain after this writer's earlier appends to it have settled. Appends a
   * writer makes at once to one chain would all chain onto the same cached head, and all but one
   * lose the conditional put, back off and retry: queued, each is written on the first attempt
   * (the condition still guards against every other writer).
   */
  private appendTo(
    chain: string,
    record: AuditRecord,
    claim?: { readonly key: string; readonly until: number },
  ): Promise<AuditEvent> {
    const before = this.tails.get(chain) ?? Promise.resolve();
    const run = before.then(() => this.appendNow(chain, record, claim));
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(chain, tail);
    void tail.then(() => {
      if (this.tails.get(chain) === tail) this.tails.delete(chain);
    });
    return run;
  }

  private async appendNow(
    chain: string,
    record: AuditRecord,
    claim?: { readonly key: string; readonly until: number },
  ): Promise<AuditEvent> {
    const once = claim?.key;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (claim !== undefined && Date.now() > claim.until)
        throw new AuditWriteError(
          `audit record "${claim.key}" was not appended within ${this.once.writeMs} ms of its claim: given up, so that a retry (which finds it, or takes the claim over) writes it once`,
        );
      const head = this.heads.get(chain) ?? (await this.readHead(chain));
      const event = this.chained(record, chain, head);
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...toItem(event), ...(once === undefined ? {} : { [ONCE_ATTRIBUTE]: once }) },
            ConditionExpression: 'attribute_not_exists(seq)',
          }),
          // A keyed put (with the SDK's own retries) may not outlast the claim's write window.
          claim === undefined ? {} : { abortSignal: AbortSignal.timeout(Math.max(1, claim.until - Date.now())) },
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

  /** The event a key was first written as, after the claimed head; undefined when none was. */
  private async findOnce(chain: string, key: string, from: number): Promise<AuditEvent | undefined> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#c = :c AND seq > :from',
      FilterExpression: '#o = :k',
      ExpressionAttributeNames: { '#c': 'chain', '#o': ONCE_ATTRIBUTE },
      ExpressionAttributeValues: { ':c': chain, ':from': from, ':k': key },
      ConsistentRead: true,
    });
    return items[0] === undefined ? undefined : fromItem(items[0]);
  }

  /**
   * The record a done marker names, which must carry the marker's own key: a marker planted by
   * another writer of the table, naming some other record, would otherwise keep this one from
   * ever being written (a run's end, an approval, an unattributed deployment), without a trace.
   */
  private async eventAt(chain: string, seq: number, key: string): Promise<AuditEvent> {
    const item = await this.itemAt(chain, seq);
    if (item === undefined)
      throw new AuditWriteError(`audit record ${chain}#${seq} is marked written but is not there`);
    if (item[ONCE_ATTRIBUTE] !== key)
      throw new AuditWriteError(
        `audit record "${key}" is marked written as ${chain}#${seq}, which is another record: the ledger table was written outside Gantry, so nothing was recorded; run gantry audit verify and remove the marker`,
      );
    return fromItem(item);
  }

  /** One item by its key, read consistently with Query (the writers' grant has no GetItem). */
  private async itemAt(chain: string, seq: number): Promise<Record<string, unknown> | undefined> {
    const [item] = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#c = :c AND seq = :s',
      ExpressionAttributeNames: { '#c': 'chain' },
      ExpressionAttributeValues: { ':c': chain, ':s': seq },
      ConsistentRead: true,
    });
    return item;
  }

  private async markOnce(partition: string, event: AuditEvent): Promise<void> {
    await this.putIfAbsent({
      chain: partition,
      seq: 0,
      eventChain: event.chain,
      eventSeq: event.seq,
      expiresAt: event.expiresAt,
    });
  }

  /** Puts an item unless its key is taken; whether it did. */
  private async putIfAbsent(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(seq)' }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  private expiry(record: AuditRecord, now = this.clock()): number {
    return Math.floor(now.getTime() / 1000) + this.retention[recordClassOf(record.type)] * DAY_SECONDS;
  }

  private chained(record: AuditRecord, chain: string, head: Head | null): AuditEvent {
    const now = this.clock();
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
      expiresAt: this.expiry(record, now),
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

  /**
   * Lists the chain in the registry once per writer; idempotent, and done before its first event.
   * An entry already there must name this chain: checkpoints sign the chains the registry names,
   * so an entry overwritten with another name would leave this chain out of every later one.
   */
  private async register(chain: string): Promise<void> {
    if (this.registered.has(chain)) return;
    const seq = registrySeq(chain);
    if (!(await this.putIfAbsent({ chain: CHAIN_REGISTRY, seq, name: chain }))) {
      const entry = await this.itemAt(CHAIN_REGISTRY, seq);
      if (entry?.name !== chain)
        throw new AuditWriteError(
          `the ledger's registry entry for chain "${chain}" names ${JSON.stringify(entry?.name)}: the ledger table was written outside Gantry, so nothing was recorded; run gantry audit verify and restore the entry`,
        );
    }
    this.registered.add(chain);
  }
}

/** The stored item: the event plus the index keys derived from it. */
export function toItem(event: AuditEvent): Record<string, unknown> {
  return { ...event, ...indexKeysOf(event) };
}

/** The index keys an event's content gives (undefined where the index leaves it out). */
function indexKeysOf(event: AuditEvent): Record<(typeof AUDIT_INDEX_KEYS)[keyof typeof AUDIT_INDEX_KEYS], unknown> {
  return {
    [AUDIT_INDEX_KEYS.byCommit]: event.subject.commit ?? undefined,
    [AUDIT_INDEX_KEYS.byRun]: event.subject.runId ?? undefined,
    [AUDIT_INDEX_KEYS.byActor]: event.actor.id,
    [AUDIT_INDEX_KEYS.byDay]: event.time.slice(0, 10),
  };
}

/**
 * What the record already holding a `once` key is to `record`: the same fact again (the same
 * type, by the same actor: a retried step), to be returned, or another fact of its kind, to be
 * kept beside it under a key of its own. A key is not part of an event's hash, and any writer of
 * the table may append through Gantry's own code: a record of its own carrying the key of an
 * approver's decision, a rollback or a run's end would otherwise have that fact, when its time
 * came, silently "already written". So a holder of the same chain, run and family of type that
 * is not this fact never swallows it: `run.failed` is written beside a `run.succeeded` that holds
 * `run.ended`, alice's rejection beside an approval in her name, and the ledger shows both. A
 * holder of another chain, run or family, or a second such holder, is refused loudly.
 */
function matchOnce(
  holder: AuditEvent,
  chain: string,
  record: AuditRecord,
  key: string,
  besideOf: string | undefined,
): { readonly same: AuditEvent } | { readonly beside: string } {
  const family = (type: string) => type.split('.', 1)[0];
  const run = (subject: { readonly runId?: string | null }) => subject.runId ?? null;
  const kin =
    holder.chain === chain &&
    family(holder.type) === family(record.type) &&
    run(holder.subject) === run(record.subject);
  if (kin && holder.type === record.type && holder.actor.id === record.actor.id) return { same: holder };
  if (kin && besideOf === undefined) return { beside: `${key}/${record.type}/${record.actor.id}` };
  throw new AuditWriteError(
    `audit record "${key}" (${record.type}) is taken by ${holder.chain}#${holder.seq}, a ${holder.type} of ${run(holder.subject) ?? 'no run'} by ${holder.actor.id}, which records something else: a writer of the ledger table used another fact's key, so nothing was recorded; run gantry audit verify, and look into who wrote ${holder.chain}#${holder.seq}`,
  );
}

/** The event as stored, without the derived index keys. */
export function fromItem(item: Record<string, unknown>): AuditEvent {
  const { idxCommit: _c, idxRun: _r, idxActor: _a, idxDay: _d, once: _o, ...event } = item;
  return event as unknown as AuditEvent;
}

/**
 * Index keys that disagree with the hashed content they were copied from (a tampered index).
 * `event` is `fromItem(item)` when the caller has it already (verify does, once per record).
 */
export function indexMismatches(item: Record<string, unknown>, event: AuditEvent = fromItem(item)): string[] {
  const expected = indexKeysOf(event);
  return Object.values(AUDIT_INDEX_KEYS).filter((key) => item[key] !== expected[key]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
