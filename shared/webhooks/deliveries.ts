import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { contentPk, type DeliveryKey, deliveryPk } from './delivery-keys';

export { contentPk, type DeliveryKey, deliveryPk } from './delivery-keys';

/**
 * `claimed`: first sight, go ahead. `duplicate`: already handled. `in_progress`: another attempt
 * holds it. `{ replayOf }`: already refused as a replay of that delivery (its record is written
 * again, once, in case the first attempt could not write it).
 */
export type ClaimResult =
  | 'claimed'
  | 'duplicate'
  | 'in_progress'
  | { readonly replayOf: string; readonly refusedAt: number };

/** How a claimed delivery ended: `replayed` when another delivery already brought its content. */
export type DeliveryOutcome = 'published' | 'dead_lettered' | 'replayed';

export interface DeliveryClaim {
  readonly at: Date;
  /** Claims older than this are abandoned (the claimant crashed) and may be taken over. */
  readonly leaseMs: number;
  readonly ttlSeconds: number;
  readonly repository: string | null;
  readonly eventCount: number;
  /** eventId → `sourceEventDigest` of each event as published: what ResolvePlan accepts as admitted. */
  readonly sources: Readonly<Record<string, string>>;
}

/** Port: remembers deliveries so a redelivery is answered without publishing twice. */
export interface DeliveryStore {
  claim(key: DeliveryKey, claim: DeliveryClaim): Promise<ClaimResult>;
  /** `replayOf`: for `replayed`, the delivery that brought the content first. */
  settle(key: DeliveryKey, outcome: DeliveryOutcome, at: Date, replayOf?: string): Promise<void>;
  /**
   * Gives a claim back when nothing could be published, so the provider's retry is processed:
   * the delivery, and the content keys it holds.
   */
  release(key: DeliveryKey, contentKeys?: readonly string[]): Promise<void>;
  /**
   * Claims, for the delivery `key`, what its signature covers (see `contentKeysOf`). Returns the
   * id of another delivery that already holds one of them (the content is a replay), or
   * undefined when all are now this delivery's (a retry of this same delivery keeps its own).
   */
  claimContent(key: DeliveryKey, contentKeys: readonly string[], claim: ContentClaim): Promise<string | undefined>;
}

export interface ContentClaim {
  readonly at: Date;
  readonly ttlSeconds: number;
  /**
   * How long the same delivery id may claim its content again (its provider's retry): as long as
   * the delivery id itself is remembered. Past that, the same id and body are a replay too: the
   * content is remembered longer than the id, and a captured delivery sent again with its own id
   * once that id is forgotten would otherwise start a run of an old commit.
   */
  readonly sameDeliveryForSeconds: number;
}

/**
 * Deliveries in DynamoDB, with conditional writes only (no transactions): the first writer of
 * `provider#deliveryId` wins; items expire through the table's TTL attribute `expiresAt`.
 */
export class DynamoDbDeliveryStore implements DeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The clock an admission's expiry is judged by (the claims carry their own time). */
    private readonly now: () => number = Date.now,
  ) {}

  async claim(key: DeliveryKey, claim: DeliveryClaim): Promise<ClaimResult> {
    const now = claim.at.getTime();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: deliveryPk(key),
            state: 'received',
            claimedAt: now,
            expiresAt: Math.floor(now / 1000) + claim.ttlSeconds,
            repository: claim.repository ?? undefined,
            eventCount: claim.eventCount,
            sources: claim.sources,
          },
          // Expired items count as absent: TTL deletion lags, and local DynamoDB never expires them.
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#state = :received AND claimedAt < :staleBefore)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':nowSeconds': Math.floor(now / 1000),
            ':received': 'received',
            ':staleBefore': now - claim.leaseMs,
          },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return this.existingState(key);
    }
  }

  async settle(key: DeliveryKey, outcome: DeliveryOutcome, at: Date, replayOf?: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: deliveryPk(key) },
        // A replay admits nothing: its events must never pass ResolvePlan's check.
        UpdateExpression: `SET #state = :outcome, settledAt = :at${replayOf === undefined ? '' : ', replayOf = :of'}${outcome === 'replayed' ? ' REMOVE sources' : ''}`,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':outcome': outcome,
          ':at': at.getTime(),
          ...(replayOf === undefined ? {} : { ':of': replayOf }),
        },
      }),
    );
  }

  async release(key: DeliveryKey, contentKeys: readonly string[] = []): Promise<void> {
    for (const contentKey of contentKeys) {
      await this.db
        .send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { pk: contentPk(key.provider, contentKey) },
            ConditionExpression: 'deliveryId = :mine',
            ExpressionAttributeValues: { ':mine': key.deliveryId },
          }),
        )
        .catch((error: unknown) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        });
    }
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: deliveryPk(key) },
          ConditionExpression: '#state = :received',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':received': 'received' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async claimContent(
    key: DeliveryKey,
    contentKeys: readonly string[],
    claim: ContentClaim,
  ): Promise<string | undefined> {
    const nowSeconds = Math.floor(claim.at.getTime() / 1000);
    for (const contentKey of contentKeys) {
      const pk = contentPk(key.provider, contentKey);
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk,
              deliveryId: key.deliveryId,
              claimedAt: claim.at.getTime(),
              expiresAt: nowSeconds + claim.ttlSeconds,
            },
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (deliveryId = :mine AND claimedAt > :sameSince)',
            ExpressionAttributeValues: {
              ':nowSeconds': nowSeconds,
              ':mine': key.deliveryId,
              ':sameSince': claim.at.getTime() - claim.sameDeliveryForSeconds * 1000,
            },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const out = await this.db.send(
          new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }),
        );
        return typeof out.Item?.deliveryId === 'string' ? out.Item.deliveryId : 'unknown';
      }
    }
    return undefined;
  }

  /** The digest the receiver stored for an event it verified and published (ResolvePlan's check). */
  async admittedDigest(key: DeliveryKey, eventId: string): Promise<string | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: deliveryPk(key) },
        ConsistentRead: true,
        ProjectionExpression: 'sources, #state, expiresAt',
        ExpressionAttributeNames: { '#state': 'state' },
      }),
    );
    if (out.Item?.state === 'replayed') return undefined;
    // Expired is gone, whenever TTL gets to deleting it (days later in DynamoDB, never locally).
    if (typeof out.Item?.expiresAt === 'number' && out.Item.expiresAt < Math.floor(this.now() / 1000)) return undefined;
    const digest = (out.Item?.sources as Record<string, unknown> | undefined)?.[eventId];
    return typeof digest === 'string' ? digest : undefined;
  }

  private async existingState(key: DeliveryKey): Promise<ClaimResult> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: deliveryPk(key) }, ConsistentRead: true }),
    );
    if (out.Item?.state === 'replayed' && typeof out.Item.replayOf === 'string')
      return { replayOf: out.Item.replayOf, refusedAt: Number(out.Item.settledAt) };
    return out.Item?.state === 'received' ? 'in_progress' : 'duplicate';
  }
}
