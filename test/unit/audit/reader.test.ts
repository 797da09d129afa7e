import type { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../../events';
import { commitHint } from '../../../shared/audit/commit';
import { runsFor } from '../../../shared/audit/evidence';
import {
  AUDIT_INDEX_PARTITIONS,
  AUDIT_INDEXES,
  CHAIN_REGISTRY,
  registrySeq,
  toItem,
} from '../../../shared/audit/ledger';
import { auditPeriod } from '../../../shared/audit/period';
import { type AuditFilter, AuditReader, readPlanOf } from '../../../shared/audit/reader';

const DAY = '2026-08-10';

/**
 * A table that answers each Query of the by-day index with pages of two items, the first page of
 * every slice at once and every later page only when `release` is called: what is in flight at
 * any moment is visible, and a read left waiting stays waiting unless its signal aborts it.
 */
function pagedTable() {
  const sent: { from: string; start: boolean }[] = [];
  const aborted: string[] = [];
  const held: (() => void)[] = [];
  const db = {
    send: (command: QueryCommand, options: { abortSignal?: AbortSignal } = {}) => {
      const input = command.input;
      const from = String(input.ExpressionAttributeValues?.[':from']);
      const page = input.ExclusiveStartKey === undefined ? 0 : Number(input.ExclusiveStartKey.page);
      sent.push({ from, start: page === 0 });
      const base = Date.parse(from);
      const answer = {
        Items: [0, 1].map((i) => item(new Date(base + page * 2 + i).toISOString())),
        LastEvaluatedKey: { page: page + 1 },
      };
      return new Promise((resolve, reject) => {
        let settled = false;
        const answered = () => {
          settled = true;
          resolve(answer);
        };
        options.abortSignal?.addEventListener('abort', () => {
          if (settled) return;
          settled = true;
          aborted.push(from);
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        });
        // The day's first slice answers at once; the others (and every later page) wait.
        if (page === 0 && from.endsWith('T00:00:00.000Z')) answered();
        else held.push(answered);
      });
    },
  };
  return { reader: new AuditReader(db as unknown as DynamoDBDocumentClient, 'audit'), sent, aborted, held };
}

function item(time: string): Record<string, unknown> {
  return {
    id: time,
    time,
    type: 'gate.evaluated',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: { repository: 'acme/payments' },
    outcome: 'success',
    details: {},
    correlationId: 'c',
    chain: 'acme/payments',
    seq: 1,
    prevHash: '0'.repeat(64),
    expiresAt: 0,
    prevExpiresAt: null,
    hash: '0'.repeat(64),
  };
}

describe('reading a day of the ledger in slices', () => {
  it('asks for no page ahead before its first item is taken, and aborts the reads a reader that stops leaves behind', async () => {
    const table = pagedTable();
    const times: string[] = [];
    for await (const event of table.reader.query({ repository: 'acme/payments', from: DAY, to: DAY })) {
      times.push(event.time);
      break;
    }
    expect(times).toEqual([`${DAY}T00:00:00.000Z`]);
    // One first page per slice, and nothing ahead: the reader stopped at its first item.
    expect(table.sent).toHaveLength(4);
    expect(table.sent.every((s) => s.start)).toBe(true);
    // The three slices still waiting were aborted (the loop above would otherwise never end).
    expect(table.aborted).toHaveLength(3);
    expect(table.held).toHaveLength(3);
  });

  it('asks for the next page while the current one is consumed', async () => {
    const table = pagedTable();
    const reading = table.reader.query({ repository: 'acme/payments', from: DAY, to: DAY });
    await reading.next();
    expect(table.sent).toHaveLength(4);
    // Taking the second item asks for the first slice's next page before the reader has run out.
    await reading.next();
    expect(table.sent).toHaveLength(5);
    expect(table.sent[4]).toEqual({ from: `${DAY}T00:00:00.000Z`, start: false });
    await reading.return(undefined);
    expect(table.aborted).toHaveLength(4);
  });
});

/** A table whose every Query of the by-day index is answered by `answer(slice start, page)`. */
function scriptedTable(
  answer: (from: string, page: number) => Promise<{ Items: unknown[]; LastEvaluatedKey?: unknown }>,
) {
  const db = {
    send: (command: QueryCommand) => {
      const input = command.input;
      const from = String(input.ExpressionAttributeValues?.[':from']);
      return answer(from, input.ExclusiveStartKey === undefined ? 0 : Number(input.ExclusiveStartKey.page));
    },
  };
  return new AuditReader(db as unknown as DynamoDBDocumentClient, 'audit');
}

const readAll = async (reader: AuditReader) => {
  const times: string[] = [];
  for await (const e of reader.query({ repository: 'acme/payments', from: DAY, to: DAY })) times.push(e.time);
  return times;
};

describe('what a day read keeps from every page', () => {
  it('reads on past a page the filter left empty (DynamoDB sends one when none of a page matched)', async () => {
    const first = `${DAY}T00:00:00.000Z`;
    const reader = scriptedTable(async (from, page) => {
      if (from !== first) return { Items: [] };
      if (page === 0) return { Items: [], LastEvaluatedKey: { page: 1 } };
      if (page === 1) return { Items: [], LastEvaluatedKey: { page: 2 } };
      return { Items: [item(`${DAY}T01:00:00.000Z`)] };
    });
    expect(await readAll(reader)).toEqual([`${DAY}T01:00:00.000Z`]);
  });

  it("fails the query with a slice's failed read, never answering short (a gap in an audit answer must show)", async () => {
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ProvisionedThroughputExceededException',
    });
    // The third slice's first page fails while the first slice is still being read.
    const third = scriptedTable(async (from, page) => {
      if (from.startsWith(`${DAY}T11:59`)) throw throttled;
      return page === 0 && from === `${DAY}T00:00:00.000Z` ? { Items: [item(from)] } : { Items: [] };
    });
    await expect(readAll(third)).rejects.toBe(throttled);
    // A later page of the first slice fails, after that slice has yielded events.
    const later = scriptedTable(async (from, page) => {
      if (from !== `${DAY}T00:00:00.000Z`) return { Items: [] };
      if (page === 0) return { Items: [item(from), item(`${DAY}T00:00:00.001Z`)], LastEvaluatedKey: { page: 1 } };
      throw throttled;
    });
    await expect(readAll(later)).rejects.toBe(throttled);
  });
});

describe('the period of an audit query', () => {
  it('refuses a period whose start comes after its end, saying what to fix', async () => {
    const { reader, sent } = pagedTable();
    const read = async (from: string, to: string) => {
      for await (const _ of reader.query({ repository: 'acme/payments', from, to })) return;
    };
    await expect(read('2026-08-12', '2026-08-10')).rejects.toThrow(
      'from 2026-08-12 comes after to 2026-08-10: no event can match; swap them',
    );
    // Within one day too: 12:00 to 06:00 is no period, not an empty one.
    await expect(read(`${DAY}T12:00:00Z`, `${DAY}T06:00:00Z`)).rejects.toThrow(RangeError);
    expect(sent).toHaveLength(0);
  });

  it('reads a zone-less time as UTC wherever it runs, and refuses what is not in the calendar instead of rolling it over', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
    try {
      expect(auditPeriod({ from: `${DAY}T12:00`, to: ` ${DAY} ` })).toEqual({
        from: `${DAY}T12:00:00.000Z`,
        to: `${DAY}T23:59:59.999Z`,
      });
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    expect(auditPeriod({ from: `${DAY}T12:00:00+02:00`, to: `${DAY}T10:30:00.000Z` })).toEqual({
      from: `${DAY}T10:00:00.000Z`,
      to: `${DAY}T10:30:00.000Z`,
    });
    for (const bad of ['2026-02-30', `${DAY}T24:00`, '+010000-01-01', 'Aug 10 2026', `${DAY}T12:00+25:00`])
      expect(() => auditPeriod({ from: bad })).toThrow(`from "${bad}" is not a date (2026-07-01) or an ISO time`);
    // A zone that moves a bound out of the years 0000-9999 (whose ISO text no longer sorts as time).
    expect(() => auditPeriod({ to: '9999-12-31T23:00-02:00' })).toThrow(
      'to "9999-12-31T23:00-02:00" is outside the years 0000 to 9999 in UTC',
    );
    expect(() => auditPeriod({ from: '0000-01-01T00:30+01:00' })).toThrow('outside the years 0000 to 9999');
    expect(() => auditPeriod({ from: '9999-12-31T23:59:59.9991Z' })).toThrow('outside the years 0000 to 9999');
    // A `to` finer than a millisecond is cut, never rounded up: the year's last instant is in it.
    expect(auditPeriod({ to: '9999-12-31T23:59:59.9999' })).toEqual({ to: '9999-12-31T23:59:59.999Z' });
    expect(auditPeriod({ from: '0000-01-01T00:00Z', to: '9999-12-31T23:59' })).toEqual({
      from: '0000-01-01T00:00:00.000Z',
      to: '9999-12-31T23:59:59.999Z',
    });
  });

  it("plans each read: by index, by day or by a repository's index (counting the days)", () => {
    const now = new Date(`${DAY}T12:00:00Z`);
    const days = (filter: AuditFilter) => {
      const plan = readPlanOf(filter, now);
      return plan.by === 'days' ? plan.days : plan.by;
    };
    expect(days({ from: DAY, to: DAY })).toBe(1);
    expect(days({ from: '2026-08-01', to: DAY })).toBe(10);
    // No `from`: every day from the ledger's first, however many that is; a caller with a deadline bounds it.
    expect(days({})).toBe(Number.POSITIVE_INFINITY);
    expect(days({ to: '2026-08-01' })).toBe(Number.POSITIVE_INFINITY);
    // Years before 100 are days too (Date.UTC would count from 1900-1999, and this as no day at all).
    expect(days({ from: '0099-12-31', to: '0100-01-01' })).toBe(2);
    expect(days({ from: '0099-01-01', to: '0200-01-01' })).toBe(36890);
    // With no `to`, up to a day from now (no record is dated further ahead); a `to` is read as
    // given up to 30 days from now (the reader's own clock may be behind), and no further.
    expect(days({ from: '1970-01-01' })).toBe(20677);
    expect(days({ from: DAY, to: '2026-08-20' })).toBe(11);
    expect(days({ from: DAY, to: '9999-12-31' })).toBe(31);
    // A run or a whole commit is an index; 40 characters with a repository may be the start of a SHA-256 id.
    for (const indexed of [{ runId: 'run-1' }, { commit: 'a'.repeat(40) }, { commit: 'a'.repeat(64), repository: 'r' }])
      expect(days({ from: '1970-01-01', ...indexed })).toBe('index');
    // 40 characters with a repository and a period may be the start of a SHA-256 id: read by the repository.
    expect(days({ from: DAY, commit: 'a'.repeat(40), repository: 'acme/payments' })).toBe('repository');
    expect(days({ commit: 'a'.repeat(40), repository: 'acme/payments' })).toBe('index');
    // A repository: its own index, counting the days as any read does (Infinity with no `from`).
    const repository = (filter: AuditFilter) => {
      const plan = readPlanOf({ repository: 'acme/payments', ...filter }, now);
      return plan.by === 'repository' ? plan.days : plan.by;
    };
    expect(repository({ from: '2026-05-12' })).toBe(92);
    expect(repository({ from: '2026-05-11' })).toBe(93);
    expect(repository({ from: '2026-06-01', to: '9999-12-31' })).toBe(101);
    expect(repository({ from: '2026-08-01', to: '9999-12-31' })).toBe(40);
    expect(repository({})).toBe(Number.POSITIVE_INFINITY);
    expect(repository({ to: DAY })).toBe(Number.POSITIVE_INFINITY);
    expect(repository({ from: DAY, commit: 'a'.repeat(40) })).toBe(2);
    // Neither a commit prefix nor an actor narrows a key.
    expect(days({ from: '2026-08-01', commit: 'abc1234' })).toBe(11);
    expect(days({ from: '2026-08-01', actor: 'octocat' })).toBe(11);
  });

  it('rounds a lower bound finer than a millisecond up, and keeps the years 0000-0099 as given', async () => {
    // Events are stamped to the millisecond: one at .000 comes before from=.0005, one at .999 before to=.9999.
    expect(auditPeriod({ from: `${DAY}T10:00:00.0005Z`, to: `${DAY}T10:00:00.9999Z` })).toEqual({
      from: `${DAY}T10:00:00.001Z`,
      to: `${DAY}T10:00:00.999Z`,
    });
    expect(auditPeriod({ from: `${DAY}T10:00:00.1230Z` })).toEqual({ from: `${DAY}T10:00:00.123Z` });
    expect(auditPeriod({ from: '0000-02-29', to: '0050-06-01' })).toEqual({
      from: '0000-02-29T00:00:00.000Z',
      to: '0050-06-01T23:59:59.999Z',
    });
    expect(() => auditPeriod({ from: '1900-02-29' })).toThrow('from "1900-02-29" is not a date');
    // A window inside one millisecond is no reversal, and matches nothing without asking the table.
    const sent: unknown[] = [];
    const reader = new AuditReader(
      { send: async (c: unknown) => sent.push(c) } as unknown as DynamoDBDocumentClient,
      't',
    );
    const window = { runId: 'run-1', from: `${DAY}T10:00:00.0001Z`, to: `${DAY}T10:00:00.0009Z` };
    expect(auditPeriod(window)).toEqual({ from: `${DAY}T10:00:00.001Z`, to: `${DAY}T10:00:00.000Z` });
    for await (const _ of reader.query(window)) throw new Error('found an event in a window no event fits');
    expect(sent).toEqual([]);
    // Reversed only past the millisecond, it is still reversed: said, not answered with nothing.
    for (const [from, to] of [
      [`${DAY}T10:00:00.0009Z`, `${DAY}T10:00:00.0001Z`],
      [`${DAY}T10:00:00.000000002Z`, `${DAY}T10:00:00.000000001`],
      [`${DAY}T23:59:59.9999999Z`, `${DAY}T23:59:59.999Z`],
    ])
      expect(() => auditPeriod({ from, to })).toThrow(
        `from ${from} comes after to ${to}: no event can match; swap them`,
      );
    // The same instant to every digit is a period; a date alone as `to` runs to its day's last instant.
    expect(auditPeriod({ from: `${DAY}T10:00:00.0009Z`, to: `${DAY}T10:00:00.0009Z` })).toEqual({
      from: `${DAY}T10:00:00.001Z`,
      to: `${DAY}T10:00:00.000Z`,
    });
    expect(auditPeriod({ from: `${DAY}T23:59:59.999999999Z`, to: DAY })).toEqual({
      from: '2026-08-11T00:00:00.000Z',
      to: `${DAY}T23:59:59.999Z`,
    });
  });

  it('reads a `to` that stops short of milliseconds as the whole of what it names: an event at 23:59:30 is before 23:59', () => {
    const to = (value: string) => auditPeriod({ to: value }).to;
    expect(to(`${DAY}T23:59`)).toBe(`${DAY}T23:59:59.999Z`);
    expect(to(`${DAY}T23:59+02:00`)).toBe(`${DAY}T21:59:59.999Z`);
    expect(to(`${DAY}T23:59:30`)).toBe(`${DAY}T23:59:30.999Z`);
    expect(to(`${DAY}T23:59:30.5`)).toBe(`${DAY}T23:59:30.599Z`);
    expect(to(`${DAY}T23:59:30.25`)).toBe(`${DAY}T23:59:30.259Z`);
    expect(to(`${DAY}T23:59:30.250`)).toBe(`${DAY}T23:59:30.250Z`);
    expect(to(`${DAY}T23:59:30.2509`)).toBe(`${DAY}T23:59:30.250Z`);
    // `from` is where it says: the start of what it names.
    expect(auditPeriod({ from: `${DAY}T23:59` }).from).toBe(`${DAY}T23:59:00.000Z`);
    // So a period inside one minute, to that minute, is a period, not a reversal.
    expect(auditPeriod({ from: `${DAY}T10:00:30`, to: `${DAY}T10:00` })).toEqual({
      from: `${DAY}T10:00:30.000Z`,
      to: `${DAY}T10:00:59.999Z`,
    });
    expect(() => auditPeriod({ from: `${DAY}T10:01`, to: `${DAY}T10:00` })).toThrow('swap them');
    expect(() => auditPeriod({ from: `${DAY}T10:00:00.0001`, to: `${DAY}T10:00:00.000` })).toThrow('swap them');
  });

  it('reads a date alone as the whole day, and names the bound that is no date', () => {
    expect(auditPeriod({ from: DAY, to: DAY })).toEqual({
      from: `${DAY}T00:00:00.000Z`,
      to: `${DAY}T23:59:59.999Z`,
    });
    expect(auditPeriod({ from: `${DAY}T12:00:00Z` })).toEqual({ from: `${DAY}T12:00:00.000Z` });
    expect(() => auditPeriod({ to: 'yesterday' }, '--')).toThrow(
      '--to "yesterday" is not a date (2026-07-01) or an ISO time',
    );
  });
});

/**
 * A table that answers Query as DynamoDB does for the shapes the reader sends: a partition (the
 * table's chain, or an index's key), a time condition, Limit, and a FilterExpression of
 * `path = :value` terms joined by AND and OR, applied after the read (ScannedCount counts what was
 * read before it); the indexes named in `without` it does not have, as a table from before them.
 */
/** The reader's clock in these tests: ten days after the last of the seeded events. */
const NOW = Date.parse('2026-08-20T00:00:00Z');

function ledgerTable(items: Record<string, unknown>[], now = () => NOW, without: readonly string[] = []) {
  const keyOf: Record<string, string> = Object.fromEntries(
    Object.entries(AUDIT_INDEXES).map(([name, index]) => [
      index,
      AUDIT_INDEX_PARTITIONS[name as keyof typeof AUDIT_INDEXES],
    ]),
  );
  const send = async (command: QueryCommand) => {
    const input = command.input;
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    if (input.IndexName !== undefined && without.includes(input.IndexName))
      throw Object.assign(new Error(`The table does not have the specified index: ${input.IndexName}`), {
        name: 'ValidationException',
      });
    const key = input.IndexName === undefined ? 'chain' : keyOf[input.IndexName];
    if (key === undefined) throw new Error(`no index ${input.IndexName}`);
    const partition = values[':k'] ?? values[':c'];
    const condition = input.KeyConditionExpression ?? '';
    const value = (item: Record<string, unknown>, path: string) =>
      path
        .split('.')
        .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[names[part] ?? part], item);
    const holds = (item: Record<string, unknown>, expression: string): boolean =>
      expression.split(' AND ').every((term) =>
        term
          .replace(/^\(|\)$/g, '')
          .split(' OR ')
          .some((alternative) => {
            const [path, name] = alternative.split(' = ');
            return value(item, String(path)) === values[String(name)];
          }),
      );
    let found = items.filter((item) => item[key] === partition);
    if (condition.includes('#t BETWEEN')) {
      if (values[':from'] > values[':to'])
        throw new Error(
          'ValidationException: Invalid KeyConditionExpression: the BETWEEN operator requires upper bound to be greater than or equal to lower bound',
        );
      found = found.filter((i) => String(i.time) >= values[':from'] && String(i.time) <= values[':to']);
    } else if (condition.includes('>= :b')) found = found.filter((i) => String(i.time) >= values[':b']);
    else if (condition.includes('<= :b')) found = found.filter((i) => String(i.time) <= values[':b']);
    else if (condition.includes('seq >= :s')) found = found.filter((i) => Number(i.seq) >= values[':s']);
    else if (condition.includes('seq = :s')) found = found.filter((i) => Number(i.seq) === values[':s']);
    else if (condition !== '#c = :c' && condition !== '#k = :k') throw new Error(`the fake reads no ${condition}`);
    const sortKey = input.IndexName === undefined ? 'seq' : 'time';
    found.sort((a, b) => (String(a[sortKey]).padStart(20) < String(b[sortKey]).padStart(20) ? -1 : 1));
    if (input.ScanIndexForward === false) found.reverse();
    if (input.Limit !== undefined) found = found.slice(0, input.Limit);
    const scanned = found.length;
    if (input.FilterExpression) found = found.filter((i) => holds(i, String(input.FilterExpression)));
    // Only the attributes projected, as DynamoDB answers.
    const projected = input.ProjectionExpression?.split(',').map((p) => names[p.trim()] ?? p.trim());
    if (projected) found = found.map((i) => Object.fromEntries(projected.filter((p) => p in i).map((p) => [p, i[p]])));
    return { Items: found, Count: found.length, ScannedCount: scanned };
  };
  return new AuditReader({ send } as unknown as DynamoDBDocumentClient, 'audit', now);
}

/** A SHA-1 commit and a SHA-256 one (a repository in Git's SHA-256 object format); a third of the events have none. */
const COMMITS = ['1a'.repeat(20), `${'2b'.repeat(20)}${'3c'.repeat(12)}`, null];

describe('what a query finds, whatever reads it', () => {
  // Two repositories, an event every 7 hours from June to mid-August; a pusher's runs are recorded
  // by the system under the pusher's provider identity, an operator's actions under their own id.
  const events: AuditEvent[] = [];
  const seqs: Record<string, number> = {};
  for (let i = 0; i < 240; i++) {
    const repository = i % 2 === 0 ? 'acme/payments' : 'acme/web';
    seqs[repository] = (seqs[repository] ?? 0) + 1;
    const actor =
      i % 3 === 0
        ? { type: 'system' as const, id: 'gantry', providerIdentity: 'octocat' }
        : i % 3 === 1
          ? { type: 'user' as const, id: 'arn:aws:iam::111111111111:user/bob', providerIdentity: null }
          : { type: 'system' as const, id: 'gantry', providerIdentity: null };
    events.push({
      id: `e${i}`,
      time: new Date(Date.parse('2026-06-01T03:00:00Z') + i * 7 * 3_600_000).toISOString(),
      type: 'gate.evaluated',
      actor,
      subject: {
        repository,
        commit: COMMITS[i % 4] ?? null,
        runId: `run-${i % 5}`,
        environment: 'prod',
        pipeline: 'p',
      },
      outcome: 'success',
      details: {},
      correlationId: `c${i}`,
      chain: repository,
      seq: seqs[repository] as number,
      prevHash: '0'.repeat(64),
      expiresAt: 0,
      prevExpiresAt: null,
      hash: '0'.repeat(64),
    } as AuditEvent);
  }
  const registry = ['acme/payments', 'acme/web'].map((name) => ({
    chain: CHAIN_REGISTRY,
    seq: registrySeq(name),
    name,
  }));
  const reader = ledgerTable([...registry, ...events.map(toItem)]);
  const wanted = (filter: AuditFilter) => {
    const { from, to } = auditPeriod(filter);
    return events
      .filter(
        (e) =>
          (!from || e.time >= from) &&
          (!to || e.time <= to) &&
          (!filter.actor || e.actor.id === filter.actor || e.actor.providerIdentity === filter.actor) &&
          (!filter.repository || e.subject.repository === filter.repository) &&
          (!filter.runId || e.subject.runId === filter.runId) &&
          (!filter.commit || e.subject.commit?.startsWith(filter.commit.toLowerCase()) === true),
      )
      .map((e) => e.id);
  };
  const found = async (filter: AuditFilter) => {
    const ids: string[] = [];
    for await (const e of reader.query(filter)) ids.push(e.id);
    return ids;
  };

  it.each<AuditFilter>([
    // A pusher is named by provider identity: no index keys on it, so no event of theirs may be missed.
    { actor: 'octocat', from: '2026-07-01', to: '2026-07-20' },
    { actor: 'octocat' },
    { actor: 'arn:aws:iam::111111111111:user/bob', from: '2026-06-10' },
    { actor: 'octocat', repository: 'acme/payments', from: '2026-07-01', to: '2026-07-05' },
    // No `from`: from the ledger's first event, not a window before `to`.
    { to: '2026-08-01' },
    {},
    { runId: 'run-2', to: '2026-07-15' },
    { repository: 'acme/web', to: '2026-07-01' },
    // A repository over weeks (by day), and over more than a quarter (its whole chain).
    { repository: 'acme/payments', from: '2026-06-20', to: '2026-07-20' },
    { repository: 'acme/payments', from: '2026-07-25T05:00:00Z' },
    { repository: 'acme/web', from: '2026-06-01', to: '2026-06-09T03:59:59.999Z', actor: 'octocat' },
    // A far `to`: read up to a day from now, not to year 9999.
    { from: '2026-08-01', to: '9999-12-31' },
    { repository: 'acme/web', from: '2026-08-01', to: '9999-12-31T23:59:59.999Z' },
    // A whole commit by its index; the start of one (40 characters of a SHA-256 id, or more) as a prefix.
    { commit: COMMITS[0] as string },
    { commit: (COMMITS[0] as string).toUpperCase(), to: '2026-07-01' },
    { commit: COMMITS[1] as string },
    { commit: (COMMITS[1] as string).slice(0, 40), repository: 'acme/web', from: '2026-06-01' },
    { commit: (COMMITS[1] as string).slice(0, 40), runId: 'run-1' },
    { commit: (COMMITS[1] as string).slice(0, 50), repository: 'acme/web' },
    { commit: (COMMITS[1] as string).slice(0, 7), from: '2026-07-01' },
  ])('finds every event of %j, as a scan of the whole table would', async (filter) => {
    const expected = wanted(filter);
    expect(expected.length).toBeGreaterThan(0);
    expect((await found(filter)).sort()).toEqual(expected.sort());
  });

  it('reads each filter the way its plan says: a repository from its own index, whatever the period, else by day', async () => {
    const reads = async (filter: AuditFilter) => {
      const sent = new Set<string>();
      const send = (reader as unknown as { db: { send: (c: QueryCommand) => Promise<unknown> } }).db.send;
      const watched = new AuditReader(
        {
          send: (c: QueryCommand) => {
            sent.add(c.input.IndexName ?? c.input.KeyConditionExpression ?? '');
            return send(c);
          },
        } as unknown as DynamoDBDocumentClient,
        'audit',
        () => NOW,
      );
      for await (const _ of watched.query(filter));
      return [...sent];
    };
    // A repository: its index, over days, a far `to`, more than a quarter, or no `from`.
    for (const period of [
      { from: '2026-07-25T05:00:00Z' },
      { from: '2026-08-01', to: '9999-12-31' },
      { from: '2026-05-01' },
      { to: '2026-06-10' },
    ])
      expect(await reads({ repository: 'acme/web', ...period })).toEqual([AUDIT_INDEXES.byChain]);
    // An actor alone narrows no key: by day.
    expect(await reads({ actor: 'octocat', from: '2026-08-01' })).toEqual([AUDIT_INDEXES.byDay]);
  });

  it("starts a day-by-day read a day before the ledger's first record, and counts those days", async () => {
    expect(new Date((await reader.firstDay()) ?? 0).toISOString()).toBe('2026-05-31T00:00:00.000Z');
    expect(await ledgerTable([]).firstDay()).toBeUndefined();
  });

  it('looks up 40 characters as a whole SHA-1 id, and as the start of a SHA-256 one only where a repository or run is named', async () => {
    const prefix = (COMMITS[1] as string).slice(0, 40);
    const sent: QueryCommand[] = [];
    const send = (reader as unknown as { db: { send: (c: QueryCommand) => Promise<unknown> } }).db.send;
    const counting = new AuditReader(
      {
        send: (c: QueryCommand) => {
          sent.push(c);
          return send(c);
        },
      } as unknown as DynamoDBDocumentClient,
      'audit',
    );
    const ids: string[] = [];
    for await (const e of counting.query({ commit: prefix.toUpperCase() })) ids.push(e.id);
    // Not read day by day through the whole ledger: one index Query, and a hint that says what to give.
    expect(ids).toEqual([]);
    expect(sent.map((c) => c.input.IndexName)).toEqual([AUDIT_INDEXES.byCommit]);
    const known = (commit: string) => counting.commitKnown(commit);
    expect(await commitHint({ commit: prefix.toUpperCase() }, 0, known)).toBe(
      `no event names commit ${prefix} as a whole SHA-1 id; if it is the start of a SHA-256 id, give all 64 characters, or a run, or a repository and a from, to look for it in`,
    );
    expect(await commitHint({ commit: prefix, repository: 'acme/web', from: '2026-06-01' }, 0, known)).toBeUndefined();
    expect(await commitHint({ commit: prefix, runId: 'run-1' }, 0, known)).toBeUndefined();
    // A repository with no period would be its whole chain: not looked for there, and said.
    expect(await commitHint({ commit: prefix, repository: 'acme/web' }, 0, known)).toContain('give all 64 characters');
    expect(await commitHint({ commit: COMMITS[1] as string }, 0, known)).toBeUndefined();
    // A SHA-1 commit the ledger holds, whose events other filters (a type, a period) left out: nothing to hint.
    expect(await commitHint({ commit: (COMMITS[0] as string).toUpperCase() }, 0, known)).toBeUndefined();
    expect(await commitHint({ commit: prefix }, 1, known)).toBeUndefined();
    // A commit the index knows, in a repository's period that leaves out its events: a whole SHA-1
    // id, so no prefix read of the repository follows.
    sent.length = 0;
    for await (const e of counting.query({ commit: COMMITS[0] as string, repository: 'acme/web', from: '2026-09-01' }))
      ids.push(e.id);
    expect(ids).toEqual([]);
    expect(sent.map((c) => c.input.IndexName)).toEqual([AUDIT_INDEXES.byCommit, AUDIT_INDEXES.byCommit]);
    // `gantry audit evidence`: a whole commit's runs from its index; the start of one is not a read of every day.
    sent.length = 0;
    expect(await runsFor(counting, (COMMITS[1] as string).slice(0, 50))).toEqual([]);
    expect(sent.map((c) => c.input.IndexName)).toEqual([AUDIT_INDEXES.byRun]);
    expect((await runsFor(counting, COMMITS[0] as string)).sort()).toEqual([
      'run-0',
      'run-1',
      'run-2',
      'run-3',
      'run-4',
    ]);
  });

  describe.each([
    ['from its own index: only its events of the period, however long', []],
    [
      'as before that index (a table from before it, or while it is built): by day up to a quarter, else its chain',
      [AUDIT_INDEXES.byChain],
    ],
  ] as const)("reads a repository's period %s, past missing and misdated records", (_, without) => {
    // 2,000 hourly records; 400-450 expired early (a shorter retention). 1,000 is dated 30 days
    // early and 1,200 30 days late (a writer's clock): neither may hide its neighbours.
    const start = Date.parse('2026-01-01T00:00:00Z');
    const hour = 3_600_000;
    const stored: AuditEvent[] = [];
    for (let seq = 1; seq <= 2000; seq++) {
      if (seq >= 400 && seq <= 450) continue;
      const skew = seq === 1000 ? -30 * 24 * hour : seq === 1200 ? 30 * 24 * hour : 0;
      stored.push({
        ...(events[0] as AuditEvent),
        id: `h${seq}`,
        chain: 'acme/hourly',
        seq,
        time: new Date(start + seq * hour + skew).toISOString(),
        subject: { ...(events[0] as AuditEvent).subject, repository: 'acme/hourly' },
      });
    }
    // Another repository's records in the same hours, which a day's partition holds too.
    const other = stored.map((e) => ({
      ...e,
      id: `o${e.seq}`,
      chain: 'acme/other',
      subject: { ...e.subject, repository: 'acme/other' },
    }));
    const table = ledgerTable(
      [
        { chain: CHAIN_REGISTRY, seq: registrySeq('acme/hourly'), name: 'acme/hourly' },
        { chain: CHAIN_REGISTRY, seq: registrySeq('acme/other'), name: 'acme/other' },
        ...stored.map(toItem),
        ...other.map(toItem),
      ],
      () => NOW,
      without,
    );
    let itemsRead = 0;
    const send = (table as unknown as { db: { send: (c: QueryCommand) => Promise<{ ScannedCount: number }> } }).db.send;
    (table as unknown as { db: { send: unknown } }).db.send = async (command: QueryCommand) => {
      const out = await send(command);
      itemsRead += out.ScannedCount;
      return out;
    };
    const read = async (filter: AuditFilter) => {
      itemsRead = 0;
      const ids: string[] = [];
      for await (const e of table.query(filter)) ids.push(e.id);
      const { from, to } = auditPeriod(filter);
      const expected = stored.filter((e) => (!from || e.time >= from) && (!to || e.time <= to)).map((e) => e.id);
      expect(ids.sort()).toEqual(expected.sort());
      return ids;
    };
    const indexed = without.length === 0;

    it('finds each record where it is dated, and no other repository’s', async () => {
      // Forty days around both misdated records, and each where it is dated.
      const around = await read({ repository: 'acme/hourly', from: '2026-02-01', to: '2026-03-12' });
      expect(around).toHaveLength(40 * 24 - 2);
      expect(around).not.toContain('h1000');
      expect(around).not.toContain('h1200');
      expect(await read({ repository: 'acme/hourly', from: '2026-01-12', to: '2026-01-12' })).toContain('h1000');
      expect(await read({ repository: 'acme/hourly', from: '2026-03-22', to: '2026-03-22' })).toContain('h1200');
      // Eleven days, seq 336-599, of which 400-450 expired.
      expect(await read({ repository: 'acme/hourly', from: '2026-01-15', to: '2026-01-25' })).toHaveLength(264 - 51);
    });

    it('reads only the period’s records of the repository, or (without the index) the days’ or the chain’s', async () => {
      // What was read: `n`, and up to one more on each of the three cuts between a read's four slices.
      const readAbout = (n: number) => {
        expect(itemsRead).toBeGreaterThanOrEqual(n);
        expect(itemsRead).toBeLessThanOrEqual(n + 3);
      };
      // Ten days: with the index, that many days' records of the repository; by day, the other's too.
      expect(await read({ repository: 'acme/hourly', from: '2026-03-01', to: '2026-03-10' })).toHaveLength(240);
      readAbout(indexed ? 240 : 480);
      // Longer than a quarter: with the index still the period's; without, the whole chain, filtered.
      const fromMarch = stored.filter((e) => e.time >= '2026-03-01').length;
      expect(await read({ repository: 'acme/hourly', from: '2026-03-01', to: '2026-12-31' })).toHaveLength(fromMarch);
      readAbout(indexed ? fromMarch : 1949);
      expect(await read({ repository: 'acme/hourly', from: '2026-01-01', to: '2026-12-31' })).toHaveLength(1949);
      readAbout(1949);
      // No `from`: up to `to`, or (without the index) the whole chain.
      expect(await read({ repository: 'acme/hourly', to: '2026-01-08' })).toHaveLength(8 * 24 - 1);
      readAbout(indexed ? 8 * 24 - 1 : 1949);
    });
  });

  it("reads each chain's first time only, a few chains at once, however many chains there are", async () => {
    // 40 repositories, one record each; the earliest is the 23rd's.
    const names = Array.from({ length: 40 }, (_, i) => `acme/r${i}`);
    const items = names.flatMap((name, i) => [
      { chain: CHAIN_REGISTRY, seq: registrySeq(name), name },
      { chain: name, seq: 1, time: `2026-0${i === 23 ? 3 : 4}-1${i % 10}T00:00:00.000Z`, details: { big: 'x' } },
    ]);
    const table = ledgerTable(items);
    let inFlight = 0;
    let most = 0;
    const projections = new Set<unknown>();
    const send = (table as unknown as { db: { send: (c: QueryCommand) => Promise<unknown> } }).db.send;
    (table as unknown as { db: { send: unknown } }).db.send = async (command: QueryCommand) => {
      if (command.input.ExpressionAttributeValues?.[':c'] !== CHAIN_REGISTRY)
        projections.add(command.input.ProjectionExpression);
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      try {
        return await send(command);
      } finally {
        inFlight--;
      }
    };
    expect(new Date((await table.firstDay()) ?? 0).toISOString()).toBe('2026-03-12T00:00:00.000Z');
    expect(most).toBe(16);
    expect([...projections]).toEqual(['#t']);
  });
});
