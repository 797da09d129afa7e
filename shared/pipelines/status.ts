import type { RunPlan } from '../../events';
import type { StatusPosted } from '../status/port';
import type { CommitStatusRequest, PipelineDeps } from './ports';

/** Where a commit status links to: the run's execution in the Step Functions console. */
export function executionConsoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

/**
 * Posts the run's commit status; a provider that does not answer is logged, never fatal to the
 * run. Says whether the provider took it, and if not whether asking again later may help, for a
 * caller that can try again (the bus's ended runs).
 */
export async function postStatus(
  deps: Pick<PipelineDeps, 'statuses' | 'logger'>,
  plan: RunPlan,
  state: CommitStatusRequest['state'],
  description: string,
): Promise<StatusPosted> {
  try {
    return await deps.statuses.report({
      ...plan.status,
      state,
      description,
      targetUrl: executionConsoleUrl(plan.executionArn),
    });
  } catch (error) {
    // The token could not be read, or the adapter failed: an operator's fix may make it work.
    deps.logger.warn('commit status not reported', {
      runId: plan.runId,
      state,
      error: error instanceof Error ? error.name : 'unknown',
    });
    return { posted: false, retryLater: true };
  }
}
