import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { documentClient } from '../aws/clients';
import { CodeDeployStopper } from '../aws/codedeploy';
import { loadTargetRoles } from '../aws/target-roles';
import { TargetSessions } from '../aws/target-sessions';
import { readEnv } from '../config/env';
import { HttpCommitHistory } from '../history/reader';
import type { Observability } from '../observability';
import { DynamoDbDeliveryStore } from '../webhooks/deliveries';
import { StateMachinePipelines } from './aws';
import { loadPipelineConfig, PIPELINE_ENV } from './env';
import type { FailureDeps } from './finish';
import { ConnectionHistoryPort } from './history-port';
import type { ResolveDeps } from './start';
import { awsPipelineDeps } from './wiring';

/*
 * The two steps that may stop a deployment (ResolvePlan superseding an older run, RecordFailure
 * after a hand-made failure), apart from the other steps' wiring: CodeDeploy and the STS
 * credential providers for target accounts load only in the functions that use them.
 */

/** Stops deployments here, and in target accounts as their stop roles (GANTRY_TARGET_ROLES). */
function codeDeployStopper(env: NodeJS.ProcessEnv): CodeDeployStopper {
  const home = new CodeDeployClient({});
  const roles = loadTargetRoles(env);
  return new CodeDeployStopper(
    home,
    new TargetSessions(home, roles, (credentials) => new CodeDeployClient({ credentials })),
  );
}

/**
 * ResolvePlan's ports: the pipeline's, plus the deliveries the webhook receiver verified (its
 * table name is required: without it no change could be admitted, so the function fails at cold
 * start) and the providers' commit history, read with the connections' status API URL and token.
 */
export function awsResolveDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): ResolveDeps {
  const { [PIPELINE_ENV.deliveriesTable]: table } = readEnv(
    z.object({ [PIPELINE_ENV.deliveriesTable]: z.string().check(z.minLength(1)) }),
    env,
  );
  const deps = awsPipelineDeps(o11y, env);
  return {
    ...deps,
    pipelines: new StateMachinePipelines(new SFNClient({})),
    admissions: new DynamoDbDeliveryStore(documentClient(new DynamoDBClient({})), table),
    deployments: codeDeployStopper(env),
    // 5 s per request, two tries, 20 s in all: ResolvePlan (30 s) still records the run if a provider is slow.
    history: new ConnectionHistoryPort(
      new HttpCommitHistory({ timeoutMs: 5_000, retry: { maxAttempts: 2 }, deadlineMs: 20_000 }),
      deps.secrets,
      loadPipelineConfig(env).statusApis,
    ),
  };
}

/** RecordFailure's ports: the pipeline's, plus CodeDeploy to stop a deployment a hand-made failure left running. */
export function awsFailureDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): FailureDeps {
  return {
    ...awsPipelineDeps(o11y, env),
    deployments: codeDeployStopper(env),
  };
}
