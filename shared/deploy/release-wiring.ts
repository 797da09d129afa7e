import { SFNClient } from '@aws-sdk/client-sfn';
import type { Observability } from '../observability';
import { StateMachinePipelines } from '../pipelines/aws';
import { awsProvenancePorts } from '../provenance/wiring';
import type { ReleaseDeps } from './release';
import { awsDeployDeps } from './wiring';

/**
 * The Deploy step's ports: the deploy ports plus the provenance key, the versioned artifacts and
 * the pipelines as deployed (DescribeStateMachine: who is still an approver). Apart from
 * `awsDeployDeps` so that only Deploy loads the S3, KMS and CodeBuild clients provenance needs.
 */
export function awsReleaseDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): ReleaseDeps {
  return {
    ...awsDeployDeps(o11y, env),
    provenance: awsProvenancePorts(env),
    pipelines: new StateMachinePipelines(new SFNClient({})),
  };
}
