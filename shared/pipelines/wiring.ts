import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { countingWatchedRecords } from '../audit/security-metric';
import { announcingSecurityRecords } from '../audit/security-notice';
import { awsAuditLedger } from '../audit/wiring';
import { documentClient } from '../aws/clients';
import { StepFunctionsControl } from '../aws/step-functions';
import { EventBridgeBus } from '../bus/event-bus';
import type { Observability } from '../observability';
import { DynamoDbRunStore } from '../runs/store';
import { apiTokenSecretName, SecretsManagerSecretSource, SecretsManagerTokenSource } from '../secrets/secrets';
import { ConnectionStatusPort } from '../status/connection';
import { HttpCommitStatusReporter } from '../status/reporter';
import { StateMachinePipelines } from './aws';
import { loadPipelineConfig } from './env';
import type { DeployedPipelines, PipelineDeps } from './ports';

/** Wires the pipeline steps' ports to AWS: SDK clients built once per cold start. */
export function awsPipelineDeps(
  { logger, metrics }: Observability,
  env: NodeJS.ProcessEnv = process.env,
): PipelineDeps {
  const config = loadPipelineConfig(env);
  const client = new SecretsManagerClient({});
  const secrets = new SecretsManagerTokenSource(
    client,
    new SecretsManagerSecretSource(client, config.secretCacheMs),
    config.secretCacheMs,
    {
      onLegacy: (secretId) =>
        logger.warn('API token read beside the webhook secret', {
          secretId,
          fix: `the webhook receiver can read it there: move it to ${apiTokenSecretName(secretId)} (README: token scopes)`,
        }),
    },
  );
  const bus = new EventBridgeBus(new EventBridgeClient({}), config.eventBus);
  const clock = () => new Date();
  const ledger = countingWatchedRecords(awsAuditLedger(env), metrics);
  return {
    runs: new DynamoDbRunStore(documentClient(new DynamoDBClient({})), config.runsTable),
    executions: new StepFunctionsControl(new SFNClient({})),
    statuses: new ConnectionStatusPort(new HttpCommitStatusReporter(), secrets, config.statusApis, logger),
    // Each security record is counted for its alarm and announced on its own (the alarm notifies once).
    audit: announcingSecurityRecords(ledger, { bus, logger, clock }),
    bus,
    secrets,
    logger,
    clock,
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
