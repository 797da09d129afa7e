import type { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { auditPeriod } from '../../../shared/audit/period';
import { AuditReader } from '../../../shared/audit/reader';

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
