import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type ApprovalRequested,
  type DeploymentRolledBack,
  type NotificationDetail,
  PIPELINE_EVENT_SOURCE,
  type RunPlan,
} from '../../events';
import type { EventBus } from '../bus/event-bus';

/** What publishing a notification event needs: the bus, and somewhere to say it did not go out. */
export interface PublishDeps {
  readonly bus: EventBus;
  readonly logger: Pick<Logger, 'error'>;
}

/**
 * Puts one notification event on the bus. A step that ends a run publishes after its ledger
 * record and may run again (a retried step): it publishes again, and the notifier's delivery
 * keys make that a no-op. An event EventBridge refused after its retries is logged as an error,
 * never thrown: a notification never changes how a run ends.
 */
export async function publishNotification(deps: PublishDeps, event: NotificationDetail): Promise<boolean> {
  const failed = await deps.bus.put([
    { source: PIPELINE_EVENT_SOURCE, detailType: event.detailType, detail: event.detail },
  ]);
  for (const f of failed) {
    deps.logger.error('notification event not published', {
      runId: event.detail.runId,
      detailType: event.detailType,
      errorCode: f.errorCode,
    });
  }
  return failed.length === 0;
}

function subjectOf(plan: RunPlan) {
  return {
    schemaVersion: '1' as const,
    runId: plan.runId,
    pipeline: plan.pipeline,
    environment: plan.environment,
    repository: plan.repository,
    commit: plan.commit,
    branch: plan.branch,
    trigger: plan.trigger,
  };
}

/** `Run Succeeded` or `Run Failed`, as the run's final word says. */
export function runEnded(
  plan: RunPlan,
  endedAt: Date,
  failure?: { readonly stage: string; readonly error: string; readonly reason: string },
): NotificationDetail {
  const at = endedAt.toISOString();
  if (failure === undefined)
    return { detailType: 'Run Succeeded', detail: { ...subjectOf(plan), deployed: plan.deploy, endedAt: at } };
  const { stage, error, reason } = failure;
  return { detailType: 'Run Failed', detail: { ...subjectOf(plan), failure: { stage, error, reason }, endedAt: at } };
}

/**
 * `Approval Requested`, for a run whose plan needs approval. `approvers` are the environment's
 * approvers as the pipeline is deployed now (those whose decisions count), not the run's snapshot.
 */
export function approvalRequested(
  plan: RunPlan,
  deadline: string,
  approvers: readonly string[],
): { readonly detailType: 'Approval Requested'; readonly detail: ApprovalRequested } {
  return {
    detailType: 'Approval Requested',
    detail: {
      ...subjectOf(plan),
      environment: plan.environment ?? '',
      deadline,
      approvers: [...approvers],
      minApprovals: plan.approval?.minApprovals ?? 1,
      ...(asksOf(plan).length === 0 ? {} : { asks: asksOf(plan) }),
    },
  };
}

/** What an approval of `plan` releases beyond its commit's build, in words an approver reads first. */
function asksOf(plan: RunPlan): string[] {
  const asks: string[] = [];
  if (plan.retry?.acceptConfiguration)
    asks.push(
      `a changed Lambda configuration ${plan.retry.acceptConfiguration}, accepted by ${plan.retry.requestedBy} (what changed: the deploy.refused record of run ${plan.retry.ofRunId}, gantry audit query --run ${plan.retry.ofRunId} --type deploy.refused)`,
    );
  if (plan.rollback)
    asks.push(
      `a rollback asked by ${plan.rollback.requestedBy}: version ${plan.rollback.version} of run ${plan.rollback.toRunId}, undoing run ${plan.rollback.ofRunId}`,
    );
  return asks;
}

/** `Deployment Rolled Back`. */
export function deploymentRolledBack(
  plan: RunPlan,
  rollback: Pick<DeploymentRolledBack, 'deploymentId' | 'target' | 'reason'>,
): NotificationDetail {
  return { detailType: 'Deployment Rolled Back', detail: { ...subjectOf(plan), ...rollback } };
}
