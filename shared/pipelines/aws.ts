import { type CodeDeployClient, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { PipelineDefinition } from '../../events';
import { definitionInAsl } from './definition';
import type { ArtifactStore, DeployedPipelines, DeploymentStopper, ExecutionControl } from './ports';

/** Step Functions behind the ExecutionControl port. */
export class StepFunctionsControl implements ExecutionControl {
  constructor(private readonly sfn: SFNClient) {}

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? {}) }));
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.sfn.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_000) }));
  }

  async stopExecution(executionArn: string, error: string, cause: string): Promise<void> {
    await this.sfn.send(new StopExecutionCommand({ executionArn, error, cause }));
  }

  async startExecution(stateMachineArn: string, name: string, input: unknown): Promise<string> {
    const out = await this.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return out.executionArn ?? '';
  }

  async executionStatus(executionArn: string): Promise<string | undefined> {
    try {
      return (await this.sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  }
}

/** Each pipeline's definition as its state machine carries it now (DescribeStateMachine). */
export class StateMachinePipelines implements DeployedPipelines {
  constructor(private readonly sfn: SFNClient) {}

  async definitionOf(stateMachineArn: string): Promise<PipelineDefinition> {
    const out = await this.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    return definitionInAsl(out.definition ?? '{}');
  }
}

/** `arn:aws:s3:::bucket/prefix` → bucket and prefix. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const path = location.replace(/^arn:aws[a-z-]*:s3:::/, '').replace(/^s3:\/\//, '');
  const slash = path.indexOf('/');
  return slash < 0
    ? { bucket: path, prefix: '' }
    : { bucket: path.slice(0, slash), prefix: path.slice(slash + 1).replace(/\/?$/, '/') };
}

/** Every key under a prefix, page by page, up to `max`. */
export async function listKeys(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  prefix: string,
  max = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = out.NextContinuationToken;
  } while (token !== undefined && keys.length < max);
  return keys;
}

/** Build artifacts in S3, where CodeBuild puts them. */
export class S3ArtifactStore implements ArtifactStore {
  constructor(private readonly s3: S3Client) {}

  async list(location: string): Promise<string[]> {
    const { bucket, prefix } = parseS3Location(location);
    return listKeys(this.s3, bucket, prefix, 1000);
  }

  async read(location: string, key: string): Promise<Buffer> {
    const { bucket } = parseS3Location(location);
    const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
  }
}

/** CodeDeploy behind the DeploymentStopper port: stop, and let CodeDeploy roll the traffic back. */
export class CodeDeployStopper implements DeploymentStopper {
  constructor(private readonly codeDeploy: CodeDeployClient) {}

  async stopDeployment(deploymentId: string): Promise<void> {
    await this.codeDeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
  }
}
