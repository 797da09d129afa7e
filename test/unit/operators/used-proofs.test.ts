import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbUsedProofs } from '../../../shared/operators/used-proofs';

/**
 * The deliveries table as a proof's claims meet it, including the SDK's retry of a put whose
 * answer was lost after DynamoDB wrote it: the retry then fails its condition.
 */
class Table {
  readonly items = new Map<string, Record<string, unknown>>();
  /** Writes the next put, then answers as the SDK's retry of it would: the condition failed. */
  loseNextAnswer = false;
  readonly calls: string[] = [];

  readonly client = {
    send: async (command: unknown) => {
      if (command instanceof PutCommand) {
        this.calls.push('put');
        const item = command.input.Item as Record<string, unknown>;
        const held = this.items.has(String(item.pk));
        if (!held) this.items.set(String(item.pk), item);
        if (held || this.loseNextAnswer) {
          this.loseNextAnswer = false;
          throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
        }
        return {};
      }
      if (command instanceof GetCommand) {
        this.calls.push(`get${command.input.ConsistentRead ? ' (consistent)' : ''}`);
        return { Item: this.items.get(String(command.input.Key?.pk)) };
      }
      throw new Error('unexpected command');
    },
  } as unknown as DynamoDBDocumentClient;
}

describe('DynamoDbUsedProofs', () => {
  it('claims a proof once, until a minute past its expiry, under proof#', async () => {
    const table = new Table();
    const used = new DynamoDbUsedProofs(table.client, 'gantry-deliveries');
    await expect(used.claim('abc', 1_800_000_000_000)).resolves.toBe(true);
    await expect(used.claim('abc', 1_800_000_000_000)).resolves.toBe(false);
    expect(table.items.get('proof#abc')).toMatchObject({ expiresAt: 1_800_000_060 });
  });

  it('takes its own write, whose answer was lost and whose retry failed the condition, for the claim it is', async () => {
    const table = new Table();
    table.loseNextAnswer = true;
    const used = new DynamoDbUsedProofs(table.client, 'gantry-deliveries');
    await expect(used.claim('abc', 1_800_000_000_000)).resolves.toBe(true);
    expect(table.calls).toEqual(['put', 'get (consistent)']);
    // Anyone else's claim of it afterwards is a replay.
    await expect(used.claim('abc', 1_800_000_000_000)).resolves.toBe(false);
  });
});
