import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { Observability } from '../observability';
import { awsPipelineDeps } from '../pipelines/wiring';
import { CodeBuildBuildSource, KmsProvenanceSigner } from './aws';
import { loadProvenanceConfig } from './env';
import type { ProvenanceDeps } from './record';
import { S3VersionedObjects } from './s3';

/** The provenance key and the versioned artifacts bucket, for the steps that sign or verify. */
export function awsProvenancePorts(env: NodeJS.ProcessEnv = process.env) {
  const { keyId } = loadProvenanceConfig(env);
  return {
    objects: new S3VersionedObjects(new S3Client({})),
    signer: new KmsProvenanceSigner(new KMSClient({}), keyId),
  };
}

/** RecordProvenance's ports: SDK clients built once per cold start. */
export function awsProvenanceDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): ProvenanceDeps {
  const pipeline = awsPipelineDeps(o11y, env);
  return {
    ...awsProvenancePorts(env),
    runs: pipeline.runs,
    audit: pipeline.audit,
    builds: new CodeBuildBuildSource(new CodeBuildClient({})),
    logger: o11y.logger,
    clock: () => new Date(),
  };
}
