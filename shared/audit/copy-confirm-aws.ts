import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LedgerTableItems } from './copy-confirm';

/** The ledger's table read by key: one consistent Query of one item, as the ledger's own reads are. */
export class DynamoDbLedgerTableItems implements LedgerTableItems {
  constructor(
    private readonly db: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
  ) {}

  item(chain: string, seq: number): Promise<Record<string, unknown> | undefined> {
    return this.first(chain, seq);
  }

  async hasRecords(chain: string): Promise<boolean> {
    return (await this.first(chain)) !== undefined;
  }

  private async first(chain: string, seq?: number): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: seq === undefined ? '#c = :c' : '#c = :c AND seq = :s',
        ExpressionAttributeNames: { '#c': 'chain' },
        ExpressionAttributeValues: { ':c': chain, ...(seq === undefined ? {} : { ':s': seq }) },
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return out.Items?.[0];
  }
}
