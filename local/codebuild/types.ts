/** How CodeBuild types an environment variable: where its value comes from. */
export type EnvironmentVariableType = 'PLAINTEXT' | 'SECRETS_MANAGER' | 'PARAMETER_STORE';

export interface EnvironmentVariable {
  readonly name: string;
  /** The value, or for SECRETS_MANAGER `secret-id[:json-key[:version-stage[:version-id]]]`. */
  readonly value: string;
  readonly type: EnvironmentVariableType;
}

/** Where a project (or a StartBuild override) puts its artifacts in the local S3 store. */
export interface ArtifactsSpec {
  readonly bucket: string;
  readonly path?: string;
  /** @default the project's name */
  readonly name?: string;
  readonly packaging: 'NONE' | 'ZIP';
  /** BUILD_ID puts the build's UUID between the path and the name. @default 'NONE' */
  readonly namespaceType?: 'NONE' | 'BUILD_ID';
  /** Whether the buildspec's `artifacts.name` replaces `name`. @default false */
  readonly overrideArtifactName?: boolean;
}

/** A CodeBuild project as local mode reads it from the template's `AWS::CodeBuild::Project`. */
export interface ProjectSpec {
  readonly name: string;
  readonly arn: string;
  readonly environmentVariables: readonly EnvironmentVariable[];
  readonly timeoutMinutes: number;
  /** A path in the repository (relative to CODEBUILD_SRC_DIR), or inline YAML. @default 'buildspec.yml' */
  readonly buildspec?: string;
  readonly artifacts?: ArtifactsSpec;
  readonly reportGroups?: readonly { readonly name: string; readonly arn: string }[];
  /** The project's own source: used when StartBuild sends no `sourceLocationOverride`. */
  readonly source?: { readonly type: string; readonly location?: string };
  /**
   * Whether builds get credentials for the local AWS APIs. Untrusted projects (tagged
   * `gantry:trust=untrusted`) get none. (No build is sandboxed here: each is a process of the
   * user's, which can read the plane's data folder; README, "Two trust levels".) @default true
   */
  readonly awsCredentials?: boolean;
}

export type PhaseType =
  | 'SUBMITTED'
  | 'QUEUED'
  | 'PROVISIONING'
  | 'DOWNLOAD_SOURCE'
  | 'INSTALL'
  | 'PRE_BUILD'
  | 'BUILD'
  | 'POST_BUILD'
  | 'UPLOAD_ARTIFACTS'
  | 'FINALIZING'
  | 'COMPLETED';

export type StatusType = 'SUCCEEDED' | 'FAILED' | 'FAULT' | 'TIMED_OUT' | 'IN_PROGRESS' | 'STOPPED';

export interface PhaseContext {
  readonly statusCode: string;
  readonly message: string;
}

/** One phase as the build record keeps it (times in epoch milliseconds). */
export interface PhaseRecord {
  readonly phaseType: PhaseType;
  phaseStatus?: StatusType;
  readonly startTime: number;
  endTime?: number;
  contexts: PhaseContext[];
}

/** One report group's files as the build copied them into the artifacts bucket. */
export interface ReportRecord {
  readonly reportGroupName: string;
  readonly reportGroupArn: string;
  readonly reportArn: string;
  readonly type: 'TEST' | 'CODE_COVERAGE';
  readonly fileFormat: string;
  /** Where the files were copied; absent when the build had no artifacts location. */
  readonly location?: { readonly bucket: string; readonly prefix: string; readonly keys: readonly string[] };
}

/** A build as local mode persists it under `<dataDir>/builds/<id>/build.json`. */
export interface BuildRecord {
  readonly id: string;
  readonly arn: string;
  readonly buildNumber: number;
  readonly projectName: string;
  readonly initiator: string;
  readonly startTime: number;
  endTime?: number;
  currentPhase: PhaseType;
  buildStatus: StatusType;
  readonly sourceVersion?: string;
  resolvedSourceVersion?: string;
  readonly source: { readonly type: string; readonly location: string; readonly buildspec?: string };
  readonly timeoutInMinutes: number;
  readonly environmentVariables: readonly EnvironmentVariable[];
  readonly artifacts?: ArtifactsSpec;
  artifactsLocation?: string;
  phases: PhaseRecord[];
  exportedEnvironmentVariables: { name: string; value: string }[];
  reports: ReportRecord[];
  logTruncated: boolean;
  /** The build's process group while it runs, so a restarted runtime can end what it left behind. */
  processGroup?: number;
}
