import { S3Client } from '@aws-sdk/client-s3';
import { S3ArtifactStore } from '../aws/s3';
import type { Observability } from '../observability';
import type { GateDeps } from './gates';
import { awsPipelineDeps } from './wiring';

/**
 * EvaluateGates' ports: the pipeline steps', plus the build's artifacts in S3. Apart from the
 * other steps' wiring so that only this step loads the S3 client for them.
 */
export function awsGateDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): GateDeps {
  return { ...awsPipelineDeps(o11y, env), artifacts: new S3ArtifactStore(new S3Client({})) };
}
