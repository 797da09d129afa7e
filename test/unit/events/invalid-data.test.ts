import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { InvalidDataError, parseAs, parseNotification, type SourceEvent, sourceEventDigest } from '../../../events';
import { definitionInAsl } from '../../../shared/pipelines/definition';
import type { Decision } from '../../../shared/runs/model';
import { DynamoDbRunStore } from '../../../shared/runs/store';
import { DEFINITION, sourceEvent } from '../../support/plans';

/** What `run` throws, for asserting on. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseAs', () => {
  const Schema = z.object({ a: z.object({ b: z.array(z.number()) }) });

  it("returns the schema's output for valid data", () => {
    expect(parseAs(Schema, { a: { b: [1, 2] }, extra: 1 }, 'thing')).toEqual({ a: { b: [1, 2] } });
  });

  it('throws a named error that says what was read and where it broke, without the content', () => {
    const error = thrown(() => parseAs(Schema, { a: { b: [1, 'secret-value'] } }, 'thing t-1'));
    expect(error).toBeInstanceOf(InvalidDataError);
    expect(error).toMatchObject({ name: 'Gantry.InvalidData', what: 'thing t-1' });
    expect((error as Error).message).toBe(
      'invalid thing t-1 at a.b.1: Invalid input: expected number, received string',
    );
    expect((error as Error).message).not.toContain('secret-value');
  });

  it('cuts short the key names a sender chose, in the path and in the message', () => {
    const key = 'k'.repeat(10_000);
    const record = thrown(() => parseAs(z.record(z.string(), z.number()), { [key]: 'x' }, 'map')) as Error;
    expect(record.message).toBe(`invalid map at ${'k'.repeat(63)}…: Invalid input: expected number, received string`);
    const strict = thrown(() => parseAs(z.strictObject({ a: z.number() }), { a: 1, [key]: 1 }, 'thing')) as Error;
    expect(strict.message.length).toBeLessThan(300);
    expect(strict.message).toMatch(/^invalid thing at \(root\): Unrecognized key: "k+…$/);
  });
});

describe('data read back that does not match its schema', () => {
  it('a forged source event: its digest is refused by name, not with a validator dump', () => {
    const { headSha: _, ...forged } = sourceEvent();
    expect(() => sourceEventDigest(forged as unknown as SourceEvent)).toThrow(
      /^invalid source event at headSha: Invalid input/,
    );
  });

  it('a state machine whose ResolvePlan carries a broken pipeline definition', () => {
    const asl = JSON.stringify({
      States: { ResolvePlan: { Parameters: { Payload: { pipeline: { ...DEFINITION, name: 7 } } } } },
    });
    expect(thrown(() => definitionInAsl(asl))).toMatchObject({
      name: 'Gantry.InvalidData',
      message: expect.stringMatching(/^invalid pipeline definition in ResolvePlan at name: /),
    });
  });

  it('a notification event of an unknown detail-type', () => {
    expect(thrown(() => parseNotification({ 'detail-type': 'Run Exploded', detail: {} }))).toMatchObject({
      name: 'Gantry.InvalidData',
      message: expect.stringMatching(/^invalid notification event at /),
    });
  });

  it('a corrupt run record names the run, whether read, listed or updated', async () => {
    const corrupt = { kind: 'run', runId: 'run-7', status: 'EXPLODED' };
    const db = { send: async () => ({ Item: corrupt, Items: [corrupt] }) } as unknown as DynamoDBDocumentClient;
    const store = new DynamoDbRunStore(db, 'runs');
    await expect(store.get('run-7')).rejects.toMatchObject({
      name: 'Gantry.InvalidData',
      message: expect.stringMatching(/^invalid run record run-7 at /),
    });
    await expect(store.list({ repository: 'acme/api' })).rejects.toThrow(/^invalid run record run-7 at /);
    await expect(store.addDecision('run-7', {} as Decision, new Date())).rejects.toThrow(
      /^invalid run record run-7 at /,
    );
  });
});
