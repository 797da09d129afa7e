import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { loadTargetRoles } from '../aws/target-roles';
import { type Credentials, TargetSessions } from '../aws/target-sessions';
import type { Observability } from '../observability';
import { awsPipelineDeps } from '../pipelines/wiring';
import { AwsDeployControl } from './aws';
import type { DeployDeps } from './outcome';

/** The pipeline's ports plus CodeDeploy, Lambda and CloudWatch: SDK clients built once per cold start. */
export function awsDeployDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): DeployDeps {
  const control = (config: { credentials?: Credentials }) =>
    new AwsDeployControl(new CodeDeployClient(config), new LambdaClient(config), new CloudWatchClient(config));
  const deploy = control({});
  return {
    ...awsPipelineDeps(o11y, env),
    deploy,
    // A target in another account: the same clients, signed as its deploy role for the run.
    sites: new TargetSessions(deploy, loadTargetRoles(env), (credentials) => control({ credentials })),
  };
}
