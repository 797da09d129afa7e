import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { DeploymentStateChangeSchema } from '../../events';
import { runIdOf } from '../../shared/deploy/appspec';
import { onDeploymentEvent } from '../../shared/deploy/release';
import { awsDeployDeps } from '../../shared/deploy/wiring';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsDeployDeps(o11y);

/**
 * CodeDeploy's deployment state-change events (EventBridge, default bus): resumes the run whose
 * deployment ended. Deployments Gantry did not start are logged and left alone.
 */
export const handler = middy(async (event: unknown) => {
  const parsed = DeploymentStateChangeSchema.safeParse(event);
  if (!parsed.success) {
    o11y.logger.warn('not a CodeDeploy state-change event', { issue: parsed.error.issues[0]?.message });
    return { outcome: 'ignored' };
  }
  const { deploymentId, state } = parsed.data.detail;
  const info = await deps.deploy.getDeployment(deploymentId);
  const runId = runIdOf(info.description);
  if (runId === null) {
    o11y.logger.info('deployment not started by Gantry', { deploymentId, state });
    return { outcome: 'ignored' };
  }
  const outcome = await onDeploymentEvent(deps, info, runId);
  o11y.logger.info('deployment event handled', { deploymentId, state, runId, outcome });
  return { outcome };
})
  .use(injectLambdaContext(o11y.logger))
  .use(captureLambdaHandler(o11y.tracer))
  .use(logMetrics(o11y.metrics));
