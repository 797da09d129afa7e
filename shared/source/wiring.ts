import { S3Client } from '@aws-sdk/client-s3';
import type { Observability } from '../observability';
import { loadPipelineConfig } from '../pipelines/env';
import { awsPipelineDeps } from '../pipelines/wiring';
import { S3VersionedObjects } from '../provenance/s3';
import { deliveryOf } from '../status/reporter';
import { loadSourceConfig } from './env';
import type { SourceDeps } from './fetch';
import { ArchiveHttpClient } from './http';
import { DEFAULT_ARCHIVE_LIMITS } from './repack';

/**
 * An archive is larger than a status answer: a minute per attempt, three attempts (5xx, 429 and
 * network errors retried with backoff), well within the step's five minutes.
 */
const ARCHIVE_TIMEOUT_MS = 60_000;

/** FetchSource's ports: SDK clients built once per cold start. */
export function awsSourceDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): SourceDeps {
  const pipeline = awsPipelineDeps(o11y, env);
  return {
    runs: pipeline.runs,
    audit: pipeline.audit,
    secrets: pipeline.secrets,
    apis: loadPipelineConfig(env).statusApis,
    objects: new S3VersionedObjects(new S3Client({})),
    bucket: loadSourceConfig(env).bucket,
    delivery: deliveryOf({
      http: new ArchiveHttpClient(DEFAULT_ARCHIVE_LIMITS.maxArchiveBytes),
      timeoutMs: ARCHIVE_TIMEOUT_MS,
      retry: { maxAttempts: 3 },
    }),
    limits: DEFAULT_ARCHIVE_LIMITS,
    logger: o11y.logger,
  };
}
