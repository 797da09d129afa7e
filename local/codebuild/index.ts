export type { FileSetSpec, ReportSpec } from './buildspec';
export { type BuildDescription, describeBuild, type PhaseDescription } from './describe';
export { BuildSyncError, BuildspecError, CodeBuildError, type CodeBuildErrorCode, PhaseFailure } from './errors';
export { RESTARTED } from './records';
export type { SecretResolver } from './secrets';
export { type CodeBuildOptions, LocalCodeBuild } from './service';
export { type SyncBuildResult, startBuildSync } from './sync';
export type {
  ArtifactsSpec,
  BuildRecord,
  EnvironmentVariable,
  EnvironmentVariableType,
  PhaseContext,
  PhaseType,
  ProjectSpec,
  ReportRecord,
  StatusType,
} from './types';
