import { artifactsTarget, uploadArtifacts } from './artifacts';
import type { Buildspec } from './buildspec';
import type { BuildPlan, RunnerContext } from './context';
import { uploadReports } from './reports';
import type { ReportRecord } from './types';

export interface PublishInputs {
  readonly buildspec: Buildspec;
  readonly plan: BuildPlan;
  readonly context: RunnerContext;
  readonly buildUuid: string;
  readonly srcDir: string;
  readonly note: (message: string) => void;
  /** Told the reports as soon as they are copied, before the artifacts (which may still fail). */
  readonly onReports: (reports: ReportRecord[]) => void;
}

/** What UPLOAD_ARTIFACTS left: the artifacts location and the reports it copied. */
export interface Published {
  readonly location?: string;
  readonly reports: ReportRecord[];
}

/**
 * UPLOAD_ARTIFACTS: report groups' files first (so a failed artifacts upload still leaves the
 * test results), then the artifacts, into the local S3 store at the project's (or StartBuild's)
 * artifacts location. The buildspec's artifacts name counts when the project lets it.
 * @throws PhaseFailure (CLIENT_ERROR) when no file matches or the store refuses a write.
 */
export async function publishOutputs(inputs: PublishInputs): Promise<Published> {
  const { buildspec, plan, context } = inputs;
  const target =
    plan.artifacts === undefined
      ? undefined
      : artifactsTarget(plan.artifacts, {
          projectName: plan.project.name,
          buildUuid: inputs.buildUuid,
          ...(buildspec.artifacts?.name === undefined ? {} : { buildspecName: buildspec.artifacts.name }),
        });
  const reports = await uploadReports(buildspec.reports, {
    store: context.store,
    srcDir: inputs.srcDir,
    projectName: plan.project.name,
    projectGroups: plan.project.reportGroups ?? [],
    region: context.region,
    accountId: context.accountId,
    buildUuid: inputs.buildUuid,
    ...(target === undefined ? {} : { target }),
    warn: inputs.note,
  });
  inputs.onReports(reports);
  const published = { ...(target === undefined ? {} : { location: target.location }), reports };
  if (buildspec.artifacts === undefined) return published;
  if (target === undefined) {
    inputs.note('The project has no artifacts location: artifacts not uploaded');
    return published;
  }
  const keys = await uploadArtifacts(context.store, inputs.srcDir, buildspec.artifacts, target);
  inputs.note(`Uploaded ${keys.length} artifact object(s) to s3://${target.bucket}/${target.key}`);
  return published;
}
