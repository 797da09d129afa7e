import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { awsAuditLedger } from '../audit/wiring';
import { documentClient } from '../aws/clients';
import { CodeDeployStopper } from '../aws/codedeploy';
import { S3ArtifactStore } from '../aws/s3';
import { StepFunctionsControl } from '../aws/step-functions';
import { loadTargetRoles } from '../aws/target-roles';
import { TargetSessions } from '../aws/target-sessions';
import { EventBridgeBus } from '../bus/event-bus';
import { readEnv } from '../config/env';
import { HttpCommitHistory } from '../history/reader';
import type { Observability } from '../observability';
import { DynamoDbRunStore } from '../runs/store';
import { SecretsManagerSecretSource } from '../secrets/secrets';
import { ConnectionStatusPort } from '../status/connection';
import { HttpCommitStatusReporter } from '../status/reporter';
import { DynamoDbDeliveryStore } from '../webhooks/deliveries';
import { StateMachinePipelines } from './aws';
import { loadPipelineConfig, PIPELINE_ENV } from './env';
import type { FailureDeps } from './finish';
import { ConnectionHistoryPort } from './history-port';
import type { DeployedPipelines, PipelineDeps } from './ports';
import type { ResolveDeps } from './start';

/** Stops deployments here, and in target accounts as their deploy roles (GANTRY_TARGET_ROLES). */
function codeDeployStopper(env: NodeJS.ProcessEnv): CodeDeployStopper {
  const home = new CodeDeployClient({});
  const roles = loadTargetRoles(env);
  return new CodeDeployStopper(
    home,
    new TargetSessions(home, roles, (credentials) => new CodeDeployClient({ credentials })),
  );
}

/** Wires the pipeline steps' ports to AWS: SDK clients built once per cold start. */
export function awsPipelineDeps({ logger }: Observability, env: NodeJS.ProcessEnv = process.env): PipelineDeps {
  const config = loadPipelineConfig(env);
  const secrets = new SecretsManagerSecretSource(new SecretsManagerClient({}), config.secretCacheMs);
  return {
    runs: new DynamoDbRunStore(documentClient(new DynamoDBClient({})), config.runsTable),
    executions: new StepFunctionsControl(new SFNClient({})),
    artifacts: new S3ArtifactStore(new S3Client({})),
    statuses: new ConnectionStatusPort(new HttpCommitStatusReporter(), secrets, config.statusApis, logger),
    audit: awsAuditLedger(env),
    bus: new EventBridgeBus(new EventBridgeClient({}), config.eventBus),
    secrets,
    logger,
    clock: () => new Date(),
  };
}

/**
 * ResolvePlan's ports: the pipeline's, plus the deliveries the webhook receiver verified (its
 * table name is required: without it no change could be admitted, so the function fails at cold
 * start) and the providers' commit history, read with the connections' status API URL and token.
 */
export function awsResolveDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): ResolveDeps {
  const { [PIPELINE_ENV.deliveriesTable]: table } = readEnv(
    z.object({ [PIPELINE_ENV.deliveriesTable]: z.string().min(1) }),
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

/**
 * The ports of a step that reads who may approve now (ReportStatus, RequestApproval): the
 * pipeline's, plus the pipelines as deployed (DescribeStateMachine).
 */
export function awsAuthorityDeps(
  o11y: Observability,
  env: NodeJS.ProcessEnv = process.env,
): PipelineDeps & { readonly pipelines: DeployedPipelines } {
  return {
    ...awsPipelineDeps(o11y, env),
    pipelines: new StateMachinePipelines(new SFNClient({})),
  };
}

/** RecordFailure's ports: the pipeline's, plus CodeDeploy to stop a deployment a hand-made failure left running. */
export function awsFailureDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): FailureDeps {
  return {
    ...awsPipelineDeps(o11y, env),
    deployments: codeDeployStopper(env),
  };
}
