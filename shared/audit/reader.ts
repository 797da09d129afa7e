import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../events';
import { isFullCommit, prefixWithin } from './commit';
import { AUDIT_INDEX_KEYS, AUDIT_INDEXES, CHAIN_REGISTRY, fromItem } from './ledger';
import { auditPeriod } from './period';

export interface AuditFilter {
  readonly repository?: string;
  /** Inclusive ISO time or date bounds. */
  readonly from?: string;
  readonly to?: string;
  /** An exact type (`approval.granted`) or a family (`approval`). */
  readonly type?: string;
  readonly actor?: string;
  readonly commit?: string;
  readonly runId?: string;
  readonly environment?: string;
  readonly pipeline?: string;
}

/**
 * How much earlier than a chain's first record a day-by-day read with no `from` starts: records
 * take their sequence number in the order their conditional puts win, not strictly in the order of
 * their writers' clocks, so a later one may carry a slightly earlier time.
 */
const FIRST_DAY_MARGIN_MS = 86_400_000;
/** How many chains' first records firstDay reads at once. */
const FIRST_DAY_READS = 16;
/**
 * A repository's period longer than this (92 days, a quarter) is one that callers with a deadline
 * (the console) refuse to read, and that a ledger without the by-chain index (a table from before
 * it, or one whose index is still being built) reads as the repository's whole chain rather than
 * day by day. Not by halving the chain on sequence numbers: a chain's times are in order only as
 * far as its writers' clocks agree, and one record dated far out of order would hide a stretch of
 * its neighbours.
 */
export const REPOSITORY_DAYS_MS = 92 * 86_400_000;
/**
 * A period is read as this many time slices at once, in order: while one slice's page is parsed
 * the next is being read (in AWS, four pages in flight instead of one). The repository + day query
 * went from p50 75 to 57 ms over 100,000 events on dynalite (2, 4, 8 slices: 61, 57, 55 ms).
 */
const SLICES = 4;

/** Reads the ledger: events by the most selective index a filter allows, whole chains, heads. */
export class AuditReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
    /** The reader's clock: where a read with no `to` ends, and how long a repository's period is. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Every chain the ledger holds, from the registry partition. */
  async chains(): Promise<string[]> {
    const names: string[] = [];
    for await (const item of this.items({
      KeyConditionExpression: '#c = :c',
      ExpressionAttributeNames: { '#c': 'chain' },
      ExpressionAttributeValues: { ':c': CHAIN_REGISTRY },
    })) {
      names.push(String(item.name));
    }
    return names.sort();
  }

  /**
   * The chains with a record dated at or after `from` (epoch ms), found through the by-day index
   * rather than the registry: a chain whose registry entry is gone still shows here while it is
   * written to. Reads those days' records (only their chain names come back).
   */
  async chainsWrittenSince(from: number): Promise<string[]> {
    const names = new Set<string>();
    const since = new Date(from).toISOString();
    for (let day = startOfDay(from); day <= this.now(); day += 86_400_000) {
      const condition = timeKeyCondition(AUDIT_INDEX_KEYS.byDay, new Date(day).toISOString().slice(0, 10), since);
      for await (const item of this.items({
        IndexName: AUDIT_INDEXES.byDay,
        ...condition,
        ExpressionAttributeNames: { ...condition.ExpressionAttributeNames, '#chain': 'chain' },
        ProjectionExpression: '#chain',
      }))
        names.add(String(item.chain));
    }
    return [...names].sort();
  }

  /**
   * The first day a day-by-day read with no `from` must cover (epoch ms, a day before the earliest
   * first record of any chain: see FIRST_DAY_MARGIN_MS), or undefined for an empty ledger. Each
   * chain's first record that is still kept (older ones may have expired) is one Query away.
   */
  async firstDay(): Promise<number | undefined> {
    const chains = await this.chains();
    let earliest = Number.POSITIVE_INFINITY;
    // A few reads at once: a ledger has a chain per repository, and each is one small Query.
    const next = chains.values();
    const worker = async () => {
      for (const chain of next) {
        const time = (await this.endOf(chain, 'oldest', true))?.time;
        const at = typeof time === 'string' ? Date.parse(time) : Number.NaN;
        if (at < earliest) earliest = at;
      }
    };
    await Promise.all(Array.from({ length: Math.min(FIRST_DAY_READS, chains.length) }, worker));
    return earliest === Number.POSITIVE_INFINITY ? undefined : startOfDay(earliest - FIRST_DAY_MARGIN_MS);
  }

  /**
   * One chain, in sequence order, as stored (index keys included, for verify to check). Each
   * page is asked for while the one before it is consumed: a chain is read to its end.
   */
  async *chainItems(chain: string, fromSeq = 1): AsyncGenerator<Record<string, unknown>> {
    yield* this.items(
      {
        KeyConditionExpression: '#c = :c AND seq >= :s',
        ExpressionAttributeNames: { '#c': 'chain' },
        ExpressionAttributeValues: { ':c': chain, ':s': fromSeq },
        ConsistentRead: true,
      },
      { readAhead: true },
    );
  }

  async head(chain: string): Promise<AuditEvent | undefined> {
    const item = await this.endOf(chain, 'newest');
    return item ? fromItem(item) : undefined;
  }

  /**
   * A chain's oldest record still kept, or its newest, as stored (or its time alone): one
   * consistent Query of one item.
   */
  private async endOf(
    chain: string,
    end: 'oldest' | 'newest',
    timeOnly = false,
  ): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#c = :c',
        ExpressionAttributeNames: { '#c': 'chain', ...(timeOnly ? { '#t': 'time' } : {}) },
        ...(timeOnly ? { ProjectionExpression: '#t' } : {}),
        ExpressionAttributeValues: { ':c': chain },
        ScanIndexForward: end === 'oldest',
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return out.Items?.[0];
  }

  /** Whether any record names `commit` as its whole id, in any period: one index Query of one item. */
  async commitKnown(commit: string): Promise<boolean> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: AUDIT_INDEXES.byCommit,
        KeyConditionExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': AUDIT_INDEX_KEYS.byCommit },
        ExpressionAttributeValues: { ':k': commit.toLowerCase() },
        Limit: 1,
      }),
    );
    return (out.Items?.length ?? 0) > 0;
  }

  async event(chain: string, seq: number): Promise<AuditEvent | undefined> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#c = :c AND seq = :s',
        ExpressionAttributeNames: { '#c': 'chain' },
        ExpressionAttributeValues: { ':c': chain, ':s': seq },
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item ? fromItem(item) : undefined;
  }

  /**
   * Events matching the filter, oldest first. The key condition comes from the most selective
   * field (commit, run, repository, else one query per day from `from`, or from the ledger's first
   * day); the rest filter the results. An actor narrows no key: the by-actor index keys on
   * `actor.id` only, and an actor may be named by its provider identity (a pusher), which that
   * index would never find.
   */
  async *query(given: AuditFilter): AsyncGenerator<AuditEvent> {
    const { from, to } = auditPeriod(given);
    // Commits are stored as Git writes them, lowercase hex; one pasted in capitals is the same commit.
    const filter = given.commit ? { ...given, commit: given.commit.toLowerCase() } : given;
    // A window inside one millisecond (from .0001 to .0009): no event's time falls in it, and
    // DynamoDB refuses a BETWEEN whose bounds are reversed.
    if (from && to && from > to) return;
    const matches = matcherOf(filter, from, to);
    for await (const item of this.candidates(filter, from, to)) {
      const event = fromItem(item);
      if (matches(event)) yield event;
    }
  }

  /**
   * How many of one chain's records between `from` and `to` the filter selects, counted by
   * DynamoDB through the by-chain index, whose keys (`chain`, `time`) are what each record's hash
   * covers: what `query` must have found there through the other indexes, whose keys are copies
   * anyone who may write the table can change. Undefined when the index cannot be read yet.
   */
  async countInChain(chain: string, given: AuditFilter, from?: string, to?: string): Promise<number | undefined> {
    const input = narrowedTo(
      { IndexName: AUDIT_INDEXES.byChain, ...timeKeyCondition('chain', chain, from, to) },
      { ...given, commit: given.commit?.toLowerCase() },
    );
    let count = 0;
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const out: QueryCommandOutput = await this.db.send(
          new QueryCommand({ TableName: this.tableName, ...input, Select: 'COUNT', ExclusiveStartKey: start }),
        );
        count += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start !== undefined);
      return count;
    } catch (error) {
      if (indexUnavailable(error)) return undefined;
      throw error;
    }
  }

  private async *candidates(filter: AuditFilter, from?: string, to?: string): AsyncGenerator<Record<string, unknown>> {
    // A full commit id is a key; a prefix is matched by filtering a narrower path. Forty characters
    // are a whole SHA-1 id or the start of a SHA-256 one: if the index knows no such commit, the
    // prefix is looked for only where `prefixWithin` allows (not the ledger's every day, or a
    // repository's whole chain, for each commit never built); `commitHint` says so.
    if (filter.commit && isFullCommit(filter.commit)) {
      let found = false;
      for await (const item of this.byIndex('byCommit', filter.commit, from, to)) {
        found = true;
        yield item;
      }
      // Known outside the period is known: a whole SHA-1 id, not the start of another.
      if (found || filter.commit.length === 64 || !prefixWithin(filter) || (await this.commitKnown(filter.commit)))
        return;
    }
    if (filter.runId) {
      yield* this.byIndex('byRun', filter.runId, from, to);
      return;
    }
    if (filter.repository) yield* this.ofRepository(filter.repository, from, to, filter.actor);
    else yield* this.byDays(from, to, { actor: filter.actor });
  }

  /**
   * A repository's events in the period, from the by-chain index (its chain by time): only its
   * own events are read, whatever else the days hold and however long the period. A ledger whose
   * index cannot be read yet (a table from before it, or its index still being built after an
   * upgrade) is read as it was before the index: day by day up to REPOSITORY_DAYS_MS, each day's
   * other repositories dropped server-side, else the whole chain.
   */
  private async *ofRepository(
    repository: string,
    from: string | undefined,
    to: string | undefined,
    actor: string | undefined,
  ): AsyncGenerator<Record<string, unknown>> {
    const query = (lo?: string, hi?: string) =>
      narrowedTo({ IndexName: AUDIT_INDEXES.byChain, ...timeKeyCondition('chain', repository, lo, hi) }, { actor });
    // Slices need both ends: to the `to` given (or a day from now, past which nothing is dated yet),
    // the last slice reading on to `to` itself (or with no end), so nothing past the cut is missed.
    const lo = from === undefined ? undefined : Date.parse(from);
    const hi = lastDayRead(to, this.now());
    const reads =
      lo === undefined || lo >= hi
        ? this.items(query(from, to), { readAhead: true })
        : this.sliced(lo, hi, (sliceFrom, sliceTo, last) => query(sliceFrom, last ? to : sliceTo));
    let read = false;
    try {
      for await (const item of reads) {
        read = true;
        yield item;
      }
    } catch (error) {
      if (read || !indexUnavailable(error)) throw error;
      if (from !== undefined && hi - Date.parse(from) <= REPOSITORY_DAYS_MS)
        yield* this.byDays(from, to, { repository, actor });
      else
        yield* this.items({
          KeyConditionExpression: '#c = :c',
          ExpressionAttributeNames: { '#c': 'chain' },
          ExpressionAttributeValues: { ':c': repository },
        });
    }
  }

  /** One key's events in an index, in time order, within the period. */
  private byIndex(index: keyof typeof AUDIT_INDEX_KEYS, value: string, from?: string, to?: string) {
    return this.items({
      IndexName: AUDIT_INDEXES[index],
      ...timeKeyCondition(AUDIT_INDEX_KEYS[index], value, from, to),
    });
  }

  /**
   * Each day's partition of the by-day index, from `from` (or the ledger's first day) to `to` (or
   * now). With a repository or an actor, DynamoDB drops the other events before answering (a
   * FilterExpression: it still reads, and bills, the whole day, but sends only those);
   * `query` checks every field again whatever comes back.
   */
  private async *byDays(from?: string, to?: string, only: DayFilter = {}): AsyncGenerator<Record<string, unknown>> {
    const start = from ? Date.parse(from) : await this.firstDay();
    if (start === undefined) return;
    const end = lastDayRead(to, this.now());
    for (let day = startOfDay(start); day <= end; day += 86_400_000) {
      const d = new Date(day).toISOString().slice(0, 10);
      const lo = Math.max(day, from ? Date.parse(from) : day);
      const hi = Math.min(day + 86_399_999, to ? Date.parse(to) : day + 86_399_999);
      if (lo > hi) continue;
      yield* this.sliced(lo, hi, (sliceFrom, sliceTo) =>
        narrowedTo(
          { IndexName: AUDIT_INDEXES.byDay, ...timeKeyCondition(AUDIT_INDEX_KEYS.byDay, d, sliceFrom, sliceTo) },
          only,
        ),
      );
    }
  }

  /**
   * A period from `lo` to `hi` (epoch ms) read as SLICES queries at once, yielded in order: each
   * slice is asked for with both its ends (`last` for the final one) and keeps only the items
   * before the next slice's first time, which that one reads too, so an item on a cut comes once.
   */
  private sliced(
    lo: number,
    hi: number,
    query: (from: string, to: string, last: boolean) => Omit<QueryCommandInput, 'TableName'>,
  ): AsyncGenerator<Record<string, unknown>> {
    const bounds = sliceBounds(lo, hi);
    const reads = new AbortController();
    const slices = Array.from({ length: SLICES }, (_, i) => {
      const last = i === SLICES - 1;
      const below = last ? undefined : bounds[i + 1];
      return upTo(
        this.items(query(bounds[i] as string, bounds[i + 1] as string, last), {
          readAhead: true,
          signal: reads.signal,
        }),
        below,
      );
    });
    return inOrder(slices, reads);
  }

  /**
   * Every page of a query. With `readAhead`, the next page is asked for once this page's first
   * item has been taken (at once for a page of one item or none), so it is in flight while the
   * rest is consumed; a query only started (a slice waiting its turn) holds one page, not two.
   * `signal` aborts what is in flight.
   */
  private async *items(
    input: Omit<QueryCommandInput, 'TableName'>,
    { readAhead = false, signal }: { readAhead?: boolean; signal?: AbortSignal } = {},
  ): AsyncGenerator<Record<string, unknown>> {
    const page = (start?: Record<string, unknown>): Promise<QueryCommandOutput> => {
      const sent = this.db.send(
        new QueryCommand({ TableName: this.tableName, ...input, ...(start ? { ExclusiveStartKey: start } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
      // A consumer that stops early never awaits a page asked for ahead; its failure is not unhandled.
      sent.catch(() => undefined);
      return sent;
    };
    let next: Promise<QueryCommandOutput> | undefined = page();
    while (next !== undefined) {
      const out: QueryCommandOutput = await next;
      const start = out.LastEvaluatedKey;
      const items: Record<string, unknown>[] = out.Items ?? [];
      // A page the filter kept one item of or none (a repository's share of a busy day) gives the
      // reader nothing to be busy with while the next is read: ask for it now.
      next = start && readAhead && items.length < 2 ? page(start) : undefined;
      for (const item of items) {
        yield item;
        if (start && readAhead && next === undefined) next = page(start);
      }
      if (start && next === undefined) next = page(start);
    }
  }
}

/**
 * How `AuditReader.query` reads a filter, so that a caller with a deadline can refuse a long read
 * before reading:
 * - `index`: a run, or a whole commit (40 characters unless `prefixWithin` says to look for a prefix);
 * - `repository`: the repository's events in the period, from the by-chain index, however many
 *   days it spans (`days`, Infinity with no `from`), since only its own events are read;
 * - `days`: each day's partition of the by-day index, four Query calls a day however empty; with
 *   no `from`, every day from the ledger's first (AuditReader.firstDay), which is Infinity here.
 * The period is checked whatever the plan: a period that is no period is refused either way.
 */
export function readPlanOf(filter: AuditFilter, now: Date = new Date()): ReadPlan {
  const { from, to } = auditPeriod(filter);
  const commit = filter.commit;
  if (filter.runId || (commit && (commit.length === 64 || (commit.length === 40 && !prefixWithin(filter)))))
    return { by: 'index' };
  const end = lastDayRead(to, now.getTime());
  const days =
    from === undefined
      ? Number.POSITIVE_INFINITY
      : Math.max(0, Math.floor((startOfDay(end) - startOfDay(Date.parse(from))) / DAY_MS) + 1);
  return filter.repository ? { by: 'repository', days } : { by: 'days', days };
}

export type ReadPlan =
  | { readonly by: 'index' }
  | { readonly by: 'days'; readonly days: number }
  | { readonly by: 'repository'; readonly days: number };

const DAY_MS = 86_400_000;
/** How far a reader's own clock (a laptop's) may be behind: a `to` past now is read this far ahead. */
const READER_CLOCK_MARGIN_MS = 30 * DAY_MS;

/**
 * Where a day-by-day read ends. With no `to`, a day from now: no record is dated further ahead
 * than a writer's clock runs fast (FIRST_DAY_MARGIN_MS). A `to` is read as given up to 30 days
 * from now, in case the reader's own clock is behind, and no further: the days past it hold
 * nothing yet, and `to=9999-12-31` is not three million days of reads.
 */
function lastDayRead(to: string | undefined, now: number): number {
  return to === undefined ? now + FIRST_DAY_MARGIN_MS : Math.min(Date.parse(to), now + READER_CLOCK_MARGIN_MS);
}

/**
 * What a read keeps server-side: a day's read, one repository's events or one actor's (by
 * identity or provider identity); a count, every field of the filter but its period.
 */
type DayFilter = Omit<AuditFilter, 'from' | 'to'>;

/** Whether an event is one the filter selects, by its content alone. */
function matcherOf(filter: AuditFilter, from?: string, to?: string): (e: AuditEvent) => boolean {
  return (e) =>
    (!from || e.time >= from) &&
    (!to || e.time <= to) &&
    (!filter.type || e.type === filter.type || e.type.startsWith(`${filter.type}.`)) &&
    (!filter.actor || e.actor.id === filter.actor || e.actor.providerIdentity === filter.actor) &&
    (!filter.repository || e.subject.repository === filter.repository) &&
    (!filter.commit || e.subject.commit?.startsWith(filter.commit) === true) &&
    (!filter.runId || e.subject.runId === filter.runId) &&
    (!filter.environment || e.subject.environment === filter.environment) &&
    (!filter.pipeline || e.subject.pipeline === filter.pipeline);
}

function timeKeyCondition(key: string, value: string, from?: string, to?: string) {
  const names = { '#k': key, '#t': 'time' };
  if (from && to) {
    return {
      KeyConditionExpression: '#k = :k AND #t BETWEEN :from AND :to',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':k': value, ':from': from, ':to': to },
    };
  }
  if (from || to) {
    return {
      KeyConditionExpression: `#k = :k AND #t ${from ? '>=' : '<='} :b`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':k': value, ':b': from ?? to },
    };
  }
  return {
    KeyConditionExpression: '#k = :k',
    ExpressionAttributeNames: { '#k': key },
    ExpressionAttributeValues: { ':k': value },
  };
}

/**
 * The start (UTC) of the day a time falls in, epoch ms: days are whole multiples of 86,400,000 ms
 * (Date.UTC would read the years 0-99 as 1900-1999).
 */
export function startOfDay(time: Date | number): number {
  return Math.floor(new Date(time).getTime() / 86_400_000) * 86_400_000;
}

/** A day query narrowed, server-side, to one repository's events (`subject.repository`) and one actor's. */
function narrowedTo(
  input: ReturnType<typeof timeKeyCondition> & { IndexName: string },
  filter: DayFilter,
): Omit<QueryCommandInput, 'TableName'> {
  const conditions: string[] = [];
  const names: Record<string, string> = { ...input.ExpressionAttributeNames };
  const values: Record<string, unknown> = { ...input.ExpressionAttributeValues };
  const subject = (field: 'repository' | 'commit' | 'runId' | 'environment' | 'pipeline', prefix = false) => {
    const value = filter[field];
    if (value === undefined) return;
    Object.assign(names, { '#subject': 'subject', [`#${field}`]: field });
    values[`:${field}`] = value;
    conditions.push(prefix ? `begins_with(#subject.#${field}, :${field})` : `#subject.#${field} = :${field}`);
  };
  subject('repository');
  subject('commit', true);
  subject('runId');
  subject('environment');
  subject('pipeline');
  if (filter.type !== undefined) {
    // As `query` matches a type: exactly, or a family (`approval` for `approval.granted`).
    conditions.push('(#type = :type OR begins_with(#type, :family))');
    Object.assign(names, { '#type': 'type' });
    Object.assign(values, { ':type': filter.type, ':family': `${filter.type}.` });
  }
  if (filter.actor !== undefined) {
    // As `query` matches an actor: its identity, or the provider identity it acted under.
    conditions.push('(#actor.#id = :actor OR #actor.#providerIdentity = :actor)');
    Object.assign(names, { '#actor': 'actor', '#id': 'id', '#providerIdentity': 'providerIdentity' });
    values[':actor'] = filter.actor;
  }
  if (conditions.length === 0) return input;
  return {
    ...input,
    FilterExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * Where a day's reading is cut: SLICES + 1 ISO times from `lo` to `hi` (epoch ms). Each slice
 * is read inclusive of both ends, and keeps only items before the next slice's first time.
 */
export function sliceBounds(lo: number, hi: number): string[] {
  return Array.from({ length: SLICES + 1 }, (_, i) =>
    new Date(lo + Math.floor(((hi - lo) * i) / SLICES)).toISOString(),
  );
}

/** A slice's items before `below` (the next slice's first time, which that slice reads too). */
async function* upTo(
  items: AsyncGenerator<Record<string, unknown>>,
  below: string | undefined,
): AsyncGenerator<Record<string, unknown>> {
  for await (const item of items) {
    if (below !== undefined && String(item.time) >= below) return;
    yield item;
  }
}

/**
 * Every generator's items, one generator after the next, each asked for its first page at once.
 * A consumer that stops early aborts the reads still in flight rather than waiting on them.
 */
async function* inOrder<T>(parts: AsyncGenerator<T>[], reads: AbortController): AsyncGenerator<T> {
  const firsts = parts.map((p) => {
    const first = p.next();
    first.catch(() => undefined);
    return first;
  });
  let finished = false;
  try {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as AsyncGenerator<T>;
      for (let r = await (firsts[i] as Promise<IteratorResult<T>>); !r.done; r = await part.next()) yield r.value;
    }
    finished = true;
  } finally {
    if (!finished) reads.abort();
    await Promise.allSettled(parts.map((p) => p.return(undefined)));
  }
}

/** DynamoDB's (and dynalite's) answer to a Query of an index the table does not have, or is still building. */
function indexUnavailable(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ValidationException' &&
    /does not have the specified index|backfilling global secondary index/i.test(error.message)
  );
}
