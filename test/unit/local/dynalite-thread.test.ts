import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DYNALITE_SECRET_HEADER, startDynaliteThread } from '../../../local/dynamodb/dynalite';
import { documentClient } from '../../../shared/aws/clients';
import { createPkTable, localClientConfig } from '../../support/aws';

describe('dynalite in its own thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-dynalite-thread-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what was written across a close and a start on the same folder', async () => {
    const first = await startDynaliteThread({ path: dir });
    const client = await createPkTable(first.endpoint, 'things');
    await documentClient(client).send(new PutCommand({ TableName: 'things', Item: { pk: 'a', n: 1 } }));
    client.destroy();
    await first.close();

    const second = await startDynaliteThread({ path: dir });
    try {
      const again = documentClient(new DynamoDBClient(localClientConfig(second.endpoint)));
      const out = await again.send(new GetCommand({ TableName: 'things', Key: { pk: 'a' }, ConsistentRead: true }));
      expect(out.Item).toEqual({ pk: 'a', n: 1 });
      again.destroy();
    } finally {
      await second.close();
    }
  });

  it('answers only callers holding the secret when it has one', async () => {
    const guarded = await startDynaliteThread({ secret: 'the-secret' });
    try {
      const call = (headers: Record<string, string>) =>
        fetch(guarded.endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'DynamoDB_20120810.ListTables',
            authorization:
              'AWS4-HMAC-SHA256 Credential=local/20260101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
            'x-amz-date': '20260101T000000Z',
            ...headers,
          },
          body: '{}',
        });
      expect((await call({})).status).toBe(403);
      const allowed = await call({ [DYNALITE_SECRET_HEADER]: 'the-secret' });
      expect(allowed.status).toBe(200);
      expect(await allowed.json()).toEqual({ TableNames: [] });
    } finally {
      await guarded.close();
    }
  });

  describe('a thread that ends without answering', () => {
    const fixture = (name: string) => new URL(`../../fixtures/dynalite/${name}`, import.meta.url);

    it('fails the start, saying so, instead of waiting for a ready that never comes', async () => {
      await expect(startDynaliteThread({}, fixture('exits-at-start.mjs'))).rejects.toThrow(
        'dynalite did not start: its thread exited (code 3) before it answered',
      );
    });

    it('lets close() finish when the thread ends instead of saying it closed', async () => {
      const running = await startDynaliteThread({}, fixture('exits-on-close.mjs'));
      await expect(running.close()).resolves.toBeUndefined();
    });

    it('reports a thread that throws after it started as a failure, not an uncaught error', async () => {
      const running = await startDynaliteThread({}, fixture('throws-after-ready.mjs'));
      const error = await running.failed;
      expect(error?.message).toBe(
        'its thread failed: LevelDB: IO error: .gantry/dynamodb/LOCK: Resource temporarily unavailable',
      );
      await expect(running.close()).resolves.toBeUndefined();
    });

    it('reports a thread that exits after it started as a failure', async () => {
      const running = await startDynaliteThread({}, fixture('exits-when-ready.mjs'));
      expect((await running.failed)?.message).toBe('its thread exited (code 0)');
      await running.close();
    });

    it('reports no failure when the thread ends because it was closed', async () => {
      const running = await startDynaliteThread({}, fixture('exits-on-close.mjs'));
      await running.close();
      const settled = await Promise.race([
        running.failed,
        new Promise((resolve) => setTimeout(() => resolve('still pending'), 200)),
      ]);
      expect(settled).toBe('still pending');
    });

    it('lets close() finish when the thread had already ended', async () => {
      const running = await startDynaliteThread({}, fixture('exits-when-ready.mjs'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(running.close()).resolves.toBeUndefined();
    });
  });
});
