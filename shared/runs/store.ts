import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { parseAs, type RunPlan, type StageName } from '../../events';
import {
  type Decision,
  type RunDeployment,
  type RunRecord,
  RunRecordSchema,
  type RunStatus,
  type Stage,
} from './model';

/** The index names of the runs table; the construct creates them, the store queries them. */
export const RUN_INDEXES = {
  byPipeline: 'byPipeline',
  byRepository: 'byRepository',
  byStatus: 'byStatus',
  byLane: 'byLane',
  /** Every run, newest first: a constant partition key (`kind`), for listings without a filter. */
  recent: 'recent',
} as const;

/** The value of the `kind` attribute every run carries, so `recent` can list them all. */
export const RUN_KIND = 'run';

export interface RunQuery {
  readonly pipeline?: string;
  readonly repository?: string;
  readonly status?: RunStatus;
  readonly lane?: string;
  readonly limit?: number;
  /** Only runs created at or after this time (ISO), read page by page up to `limit`. */
  readonly createdSince?: string;
}

/** A run that does not exist, or is not in the state the caller needs. */
export class RunStateError extends Error {
  override readonly name = 'RunStateError';
}

/** Port: the runs table. */
export interface RunStore {
  /** Records a new run; returns the existing record when this run was already created (a retried step). */
  create(plan: RunPlan, status: RunStatus, at: Date): Promise<RunRecord>;
  get(runId: string): Promise<RunRecord | undefined>;
  list(query: RunQuery): Promise<RunRecord[]>;
  setStage(runId: string, stage: StageName, value: Stage, at: Date): Promise<void>;
  setStatus(
    runId: string,
    status: RunStatus,
    at: Date,
    fields?: Partial<Pick<RunRecord, 'failure' | 'cancelledBy' | 'endedAt'>>,
    onlyIf?: readonly RunStatus[],
  ): Promise<boolean>;
  update(
    runId: string,
    fields: Partial<Pick<RunRecord, 'build' | 'gates' | 'laneToken' | 'provenance'>>,
    at: Date,
  ): Promise<void>;
  openApproval(
    runId: string,
    approval: { taskToken: string; requestedAt: string; deadline: string },
    at: Date,
  ): Promise<void>;
  /** Adds one identity's decision; false when that identity already decided or the request is closed. */
  addDecision(runId: string, decision: Decision, at: Date): Promise<RunRecord | undefined>;
  closeApproval(runId: string, outcome: 'approved' | 'rejected' | 'expired', at: Date): Promise<boolean>;
  /** Records the deployment a run starts (or replaces the token of a retried Deploy step). */
  openDeployment(runId: string, deployment: RunDeployment, at: Date): Promise<void>;
  /** Notes the CodeDeploy deployment id once CodeDeploy gave one. */
  setDeploymentId(runId: string, deploymentId: string, at: Date): Promise<void>;
  /** Notes the bake check's deployment back to the previous version: asked for, then its id. */
  noteTrafficBack(runId: string, trafficBack: NonNullable<RunDeployment['trafficBack']>, at: Date): Promise<void>;
  /** Ends the deployment once: false when it had already ended (a duplicate event, a reconcile that lost the race). */
  closeDeployment(
    runId: string,
    end: Pick<RunDeployment, 'status' | 'reason' | 'rolledBack'> & { endedAt: string },
    at: Date,
  ): Promise<boolean>;
  /** Notes that the Deploy task was answered, so a repeated event does not answer it again. */
  markDeploymentAnswered(runId: string, at: Date): Promise<void>;
  /** Records that the bake passed, with how many alarms were quiet. */
  noteBaked(runId: string, alarms: number, at: Date): Promise<void>;
  /** Notes an operator's stop on the open deployment before CodeDeploy is asked to stop it. */
  requestStop(runId: string, words: string, at: Date): Promise<void>;
  /** The run that holds a lane and since when, or undefined when it is free (a strongly consistent read). */
  laneHolder(lane: string): Promise<LaneHolder | undefined>;
  /**
   * Takes a lane for `runId`, compare-and-set: only if it is free, already `runId`'s, or held by
   * `from` (a holder the caller found ended). `force` takes it whoever holds it (supersede).
   */
  takeLane(lane: string, runId: string, at: Date, options?: { from?: string; force?: boolean }): Promise<boolean>;
  /** Frees a lane `runId` holds; false when it holds it no longer. */
  releaseLane(lane: string, runId: string): Promise<boolean>;
}

/** Who holds a lane, since when (ISO time). */
export interface LaneHolder {
  readonly runId: string;
  readonly since: string;
}

/**
 * A lane's lock item shares the runs table under a key no run id can have; it carries none of
 * the attributes the indexes key on, so no listing ever sees it.
 */
export function laneKey(lane: string): string {
  return `lane#${lane}`;
}

/** Runs in DynamoDB: one item per run, conditional writes only, GSIs for the listings. */
export class DynamoDbRunStore implements RunStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(plan: RunPlan, status: RunStatus, at: Date): Promise<RunRecord> {
    const now = at.toISOString();
    const record: RunRecord = {
      kind: RUN_KIND,
      runId: plan.runId,
      pipeline: plan.pipeline,
      trigger: plan.trigger,
      repository: plan.repository,
      commit: plan.commit,
      branch: plan.branch,
      environment: plan.environment,
      lane: plan.lane,
      status,
      createdAt: now,
      updatedAt: now,
      executionArn: plan.executionArn,
      plan,
      stages: { plan: { status: 'succeeded', startedAt: now, endedAt: now } },
    };
    try {
      await this.db.send(
        new PutCommand({ TableName: this.tableName, Item: record, ConditionExpression: 'attribute_not_exists(runId)' }),
      );
      return record;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(plan.runId);
      if (existing === undefined) throw error;
      return existing;
    }
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { runId }, ConsistentRead: true }));
    return out.Item === undefined ? undefined : parseAs(RunRecordSchema, out.Item, `run record ${runId}`);
  }

  async list(query: RunQuery): Promise<RunRecord[]> {
    const [index, key, value] = indexFor(query);
    const limit = query.limit ?? 50;
    const after = query.createdSince;
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: after === undefined ? '#k = :v' : '#k = :v AND #t >= :after',
          ExpressionAttributeNames: { '#k': key, ...(after === undefined ? {} : { '#t': 'createdAt' }) },
          ExpressionAttributeValues: { ':v': value, ...(after === undefined ? {} : { ':after': after }) },
          ScanIndexForward: false,
          Limit: limit - items.length,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      items.push(...(out.Items ?? []));
      // One page, as ever, unless a time bound asks for every run since it.
      start = after === undefined ? undefined : out.LastEvaluatedKey;
    } while (start !== undefined && items.length < limit);
    return items
      .map((item) => parseAs(RunRecordSchema, item, `run record ${String(item.runId)}`))
      .filter((r) => matchesQuery(r, query));
  }

  async setStage(runId: string, stage: StageName, value: Stage, at: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: 'SET stages.#s = :v, updatedAt = :now',
        ConditionExpression: 'attribute_exists(runId)',
        ExpressionAttributeNames: { '#s': stage },
        ExpressionAttributeValues: { ':v': value, ':now': at.toISOString() },
      }),
    );
  }

  async setStatus(
    runId: string,
    status: RunStatus,
    at: Date,
    fields: Partial<Pick<RunRecord, 'failure' | 'cancelledBy' | 'endedAt'>> = {},
    onlyIf?: readonly RunStatus[],
  ): Promise<boolean> {
    const extra = Object.entries(fields).filter(([, v]) => v !== undefined);
    const guard = onlyIf?.length ? ` AND #status IN (${onlyIf.map((_, i) => `:from${i}`).join(', ')})` : '';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { runId },
          UpdateExpression: `SET #status = :status, updatedAt = :now${extra.map(([k]) => `, #${k} = :${k}`).join('')}`,
          ConditionExpression: `attribute_exists(runId)${guard}`,
          ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(extra.map(([k]) => [`#${k}`, k])) },
          ExpressionAttributeValues: {
            ':status': status,
            ':now': at.toISOString(),
            ...Object.fromEntries(extra.map(([k, v]) => [`:${k}`, v])),
            ...Object.fromEntries((onlyIf ?? []).map((s, i) => [`:from${i}`, s])),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async update(
    runId: string,
    fields: Partial<Pick<RunRecord, 'build' | 'gates' | 'laneToken' | 'provenance'>>,
    at: Date,
  ): Promise<void> {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: `SET updatedAt = :now${entries.map(([k]) => `, #${k} = :${k}`).join('')}`,
        ConditionExpression: 'attribute_exists(runId)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k]) => [`#${k}`, k])),
        ExpressionAttributeValues: {
          ':now': at.toISOString(),
          ...Object.fromEntries(entries.map(([k, v]) => [`:${k}`, v])),
        },
      }),
    );
  }

  async openApproval(
    runId: string,
    approval: { taskToken: string; requestedAt: string; deadline: string },
    at: Date,
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: 'SET approval = :a, updatedAt = :now',
        ConditionExpression: 'attribute_exists(runId) AND attribute_not_exists(approval.outcome)',
        ExpressionAttributeValues: { ':a': { ...approval, decisions: {} }, ':now': at.toISOString() },
      }),
    );
  }

  async addDecision(runId: string, decision: Decision, at: Date): Promise<RunRecord | undefined> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { runId },
          UpdateExpression: 'SET approval.decisions.#who = :d, updatedAt = :now',
          // Only a run still under way waits for decisions: one cancelled meanwhile takes none.
          ConditionExpression:
            '#status = :running AND attribute_exists(approval) AND attribute_not_exists(approval.outcome) AND attribute_not_exists(approval.decisions.#who)',
          ExpressionAttributeNames: { '#who': decision.identity, '#status': 'status' },
          ExpressionAttributeValues: { ':d': decision, ':now': at.toISOString(), ':running': 'RUNNING' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return parseAs(RunRecordSchema, out.Attributes, `run record ${runId}`);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async closeApproval(runId: string, outcome: 'approved' | 'rejected' | 'expired', at: Date): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { runId },
          UpdateExpression: 'SET approval.outcome = :o, updatedAt = :now',
          // A decision closes the approval only of a run still under way (one cancelled between
          // the decision's write and this one is not approved); an expiry closes it regardless.
          ConditionExpression: `attribute_exists(approval) AND attribute_not_exists(approval.outcome)${outcome === 'expired' ? '' : ' AND #status = :running'}`,
          ...(outcome === 'expired' ? {} : { ExpressionAttributeNames: { '#status': 'status' } }),
          ExpressionAttributeValues: {
            ':o': outcome,
            ':now': at.toISOString(),
            ...(outcome === 'expired' ? {} : { ':running': 'RUNNING' }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async openDeployment(runId: string, deployment: RunDeployment, at: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: 'SET deployment = :d, updatedAt = :now',
        ConditionExpression: 'attribute_exists(runId)',
        ExpressionAttributeValues: { ':d': deployment, ':now': at.toISOString() },
      }),
    );
  }

  async noteTrafficBack(
    runId: string,
    trafficBack: NonNullable<RunDeployment['trafficBack']>,
    at: Date,
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: 'SET deployment.trafficBack = :back, updatedAt = :now',
        ConditionExpression: 'attribute_exists(deployment)',
        ExpressionAttributeValues: { ':back': trafficBack, ':now': at.toISOString() },
      }),
    );
  }

  async setDeploymentId(runId: string, deploymentId: string, at: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: 'SET deployment.deploymentId = :id, updatedAt = :now',
        ConditionExpression: 'attribute_exists(deployment)',
        ExpressionAttributeValues: { ':id': deploymentId, ':now': at.toISOString() },
      }),
    );
  }

  async closeDeployment(
    runId: string,
    end: Pick<RunDeployment, 'status' | 'reason' | 'rolledBack'> & { endedAt: string },
    at: Date,
  ): Promise<boolean> {
    const fields = Object.entries(end).filter(([, v]) => v !== undefined);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { runId },
          UpdateExpression: `SET updatedAt = :now${fields.map(([k]) => `, deployment.#${k} = :${k}`).join('')}`,
          ConditionExpression: 'deployment.#status = :open',
          ExpressionAttributeNames: Object.fromEntries(fields.map(([k]) => [`#${k}`, k])),
          ExpressionAttributeValues: {
            ':now': at.toISOString(),
            ':open': 'in_progress',
            ...Object.fromEntries(fields.map(([k, v]) => [`:${k}`, v])),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async requestStop(runId: string, words: string, at: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: 'SET deployment.stopRequested = :w, updatedAt = :now',
        ConditionExpression: 'attribute_exists(deployment)',
        ExpressionAttributeValues: { ':w': words, ':now': at.toISOString() },
      }),
    );
  }

  async markDeploymentAnswered(runId: string, at: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: 'SET deployment.answeredAt = :now, updatedAt = :now',
        ConditionExpression: 'attribute_exists(deployment)',
        ExpressionAttributeValues: { ':now': at.toISOString() },
      }),
    );
  }

  async noteBaked(runId: string, alarms: number, at: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { runId },
        UpdateExpression: 'SET baked = :b, updatedAt = :now',
        ConditionExpression: 'attribute_exists(runId)',
        ExpressionAttributeValues: { ':b': { at: at.toISOString(), alarms }, ':now': at.toISOString() },
      }),
    );
  }

  async laneHolder(lane: string): Promise<LaneHolder | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { runId: laneKey(lane) }, ConsistentRead: true }),
    );
    const { holder, heldSince } = out.Item ?? {};
    return typeof holder === 'string' ? { runId: holder, since: String(heldSince ?? '') } : undefined;
  }

  async takeLane(
    lane: string,
    runId: string,
    at: Date,
    options: { from?: string; force?: boolean } = {},
  ): Promise<boolean> {
    const from = options.from === undefined ? '' : ' OR holder = :from';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { runId: laneKey(lane) },
          UpdateExpression: 'SET holder = :me, heldSince = :now',
          ...(options.force ? {} : { ConditionExpression: `attribute_not_exists(holder) OR holder = :me${from}` }),
          ExpressionAttributeValues: {
            ':me': runId,
            ':now': at.toISOString(),
            ...(options.from === undefined || options.force ? {} : { ':from': options.from }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async releaseLane(lane: string, runId: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { runId: laneKey(lane) },
          UpdateExpression: 'REMOVE holder, heldSince',
          ConditionExpression: 'holder = :me',
          ExpressionAttributeValues: { ':me': runId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}

function indexFor(query: RunQuery): [string, string, string] {
  if (query.lane) return [RUN_INDEXES.byLane, 'lane', query.lane];
  if (query.pipeline) return [RUN_INDEXES.byPipeline, 'pipeline', query.pipeline];
  if (query.repository) return [RUN_INDEXES.byRepository, 'repository', query.repository];
  if (query.status) return [RUN_INDEXES.byStatus, 'status', query.status];
  return [RUN_INDEXES.recent, 'kind', RUN_KIND];
}

function matchesQuery(run: RunRecord, query: RunQuery): boolean {
  return (
    (query.pipeline === undefined || run.pipeline === query.pipeline) &&
    (query.repository === undefined || run.repository === query.repository) &&
    (query.status === undefined || run.status === query.status)
  );
}
