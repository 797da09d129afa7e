import type { S3Store } from '../s3';
import type { BuildRecords } from './records';
import type { SecretResolver } from './secrets';
import type { ArtifactsSpec, EnvironmentVariable, ProjectSpec } from './types';

/** What every build of one runner shares: where records live, the S3 store, the image, the limits. */
export interface RunnerContext {
  readonly records: BuildRecords;
  readonly store: S3Store;
  readonly secrets: SecretResolver;
  readonly region: string;
  readonly accountId: string;
  /** The image's PATH (see `imagePath`). */
  readonly path: string;
  readonly bash: string;
  readonly killGraceMs: number;
  readonly maxLogBytes: number;
  readonly timeCompression: number;
  readonly edgeEndpoint?: string;
  /** A project's service role's credentials (local IAM). */
  readonly credentialsFor?: (projectName: string) => { accessKeyId: string; secretAccessKey: string } | undefined;
  readonly log?: (buildId: string, line: string) => void;
}

/** One build's settings: the project's, with StartBuild's overrides applied. */
export interface BuildPlan {
  readonly project: ProjectSpec;
  readonly sourceType: string;
  readonly sourceLocation: string;
  readonly sourceVersion?: string;
  /** Inline YAML, an S3 ARN, or a path in the source. */
  readonly buildspec: string;
  /** Project variables with StartBuild's overrides merged in (not yet resolved). */
  readonly variables: readonly EnvironmentVariable[];
  readonly timeoutMinutes: number;
  readonly artifacts?: ArtifactsSpec;
}
