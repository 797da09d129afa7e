import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { NotificationLedger, RateLimiter, Reservation, ReserveOptions, Slot } from './ports';

/**
 * Delivery keys and rate slots share the deliveries table (key `pk`, TTL `expiresAt`) under
 * prefixes no delivery id or content key can have (those start with a provider's name or `content#`).
 */
export function notificationPk(key: string): string {
  return `notify#${key}`;
}

export function rateSlotPk(target: string): string {
  return `notify-rate#${target}`;
}

/** Conditional writes only (dynalite has no transactions): reserve, then mark sent or release. */
export class DynamoDbNotificationLedger implements NotificationLedger, RateLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async reserve(key: string, options: ReserveOptions): Promise<Reservation> {
    const now = options.at.getTime();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: notificationPk(key),
            state: 'sending',
            reservedAt: now,
            expiresAt: Math.floor(now / 1000) + options.ttlSeconds,
          },
          // First sight, or an attempt that died holding it (its lease is over): take it.
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :sending AND reservedAt < :stale)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':sending': 'sending', ':stale': now - options.leaseMs },
        }),
      );
      return 'reserved';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: notificationPk(key) }, ConsistentRead: true }),
    );
    return out.Item?.state === 'sent' ? 'sent' : 'in_progress';
  }

  async markSent(key: string, at: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: notificationPk(key) },
        UpdateExpression: 'SET #state = :sent, sentAt = :at',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sent': 'sent', ':at': at.toISOString() },
      }),
    );
  }

  async release(key: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: notificationPk(key) },
          ConditionExpression: '#state = :sending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':sending': 'sending' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * The target's next free time, moved on by one interval per message (compare-and-set on the
   * value read, retried when another instance moved it first). A slot further off than
   * `maxWaitMs` is not taken: the caller defers the message instead of holding a Lambda.
   */
  async take(target: string, intervalMs: number, now: Date, maxWaitMs: number): Promise<Slot> {
    if (intervalMs <= 0) return { waitMs: 0 };
    const pk = rateSlotPk(target);
    for (let attempt = 0; attempt < 10; attempt++) {
      const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }));
      const nextAt = typeof out.Item?.nextAt === 'number' ? out.Item.nextAt : undefined;
      const slotAt = Math.max(nextAt ?? 0, now.getTime());
      const waitMs = slotAt - now.getTime();
      if (waitMs > maxWaitMs) return { busyForMs: waitMs };
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk, nextAt: slotAt + intervalMs, expiresAt: Math.floor(slotAt / 1000) + 86_400 },
            ConditionExpression: nextAt === undefined ? 'attribute_not_exists(pk)' : 'nextAt = :seen',
            ...(nextAt === undefined ? {} : { ExpressionAttributeValues: { ':seen': nextAt } }),
          }),
        );
        return { waitMs };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return { busyForMs: intervalMs };
  }
}
