import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { UsedProofs } from './caller-proof';
import { USED_PROOF_PREFIX } from './env';

/**
 * Used caller proofs as items of the deliveries table (`proof#<sha256 of the signature>`), each
 * kept until its proof expires (the table's TTL, `expiresAt`, in seconds; a proof past its expiry
 * is refused before it gets here, so an item TTL has not yet removed changes nothing).
 */
export class DynamoDbUsedProofs implements UsedProofs {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * A conditional put carrying a token of this claim: when the SDK retries a put whose answer was
   * lost after DynamoDB wrote it, the retry fails its condition, and the item read back (strongly)
   * still holds this claim's token, so the first use is not taken for a replay.
   */
  async claim(proofId: string, expiresAt: number): Promise<boolean> {
    const pk = `${USED_PROOF_PREFIX}${proofId}`;
    const claim = randomUUID();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk, claim, expiresAt: Math.ceil(expiresAt / 1000) + 60 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const held = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }));
      return held.Item?.claim === claim;
    }
  }
}
