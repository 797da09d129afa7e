import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
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

  async claim(proofId: string, expiresAt: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `${USED_PROOF_PREFIX}${proofId}`, expiresAt: Math.ceil(expiresAt / 1000) + 60 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
