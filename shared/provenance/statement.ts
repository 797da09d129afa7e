import {
  GANTRY_BUILD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  type ProvenanceStatement,
  type ProvenanceSubject,
  type RunPlan,
  SLSA_PROVENANCE_TYPE,
} from '../../events';
import type { BuildInfo } from './ports';

/** `arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>` → the project's ARN: the builder id. */
export function builderIdOf(buildArn: string): string {
  const match = /^(arn:[^:]+:codebuild:[^:]*:[^:]*:)build\/([^:]+):/.exec(buildArn);
  if (match === null) throw new Error(`not a CodeBuild build ARN: ${buildArn}`);
  return `${match[1]}project/${match[2]}`;
}

/** The project name a builder id names (`…:project/<name>`). */
export function projectOfBuilder(builderId: string): string | null {
  return /:project\/([^:/]+)$/.exec(builderId)?.[1] ?? null;
}

export interface StatementInputs {
  readonly plan: RunPlan;
  readonly build: BuildInfo;
  readonly buildspecPath: string;
  readonly subjects: readonly ProvenanceSubject[];
  /** The source snapshot the build ran from, as Gantry hashed it (absent for a build from a git source). */
  readonly snapshot?: { readonly uri: string; readonly sha256: string };
}

/** The SLSA v1 provenance of one build, as Gantry attests it. */
export function provenanceStatement({
  plan,
  build,
  buildspecPath,
  subjects,
  snapshot,
}: StatementInputs): ProvenanceStatement {
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [...subjects].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    predicateType: SLSA_PROVENANCE_TYPE,
    predicate: {
      buildDefinition: {
        buildType: GANTRY_BUILD_TYPE,
        externalParameters: {
          repository: plan.repository,
          ref: plan.ref,
          commit: plan.commit,
          buildspec: { path: buildspecPath, digest: { gitCommit: plan.commit } },
        },
        internalParameters: { pipeline: plan.pipeline, runId: plan.runId, trust: plan.build.trust },
        // The source is the snapshot the build ran from: its digest, and the commit it is of.
        resolvedDependencies: [
          snapshot === undefined
            ? { uri: `git+${plan.build.cloneUrl}${plan.ref ? `@${plan.ref}` : ''}`, digest: { gitCommit: plan.commit } }
            : { uri: snapshot.uri, digest: { sha256: snapshot.sha256, gitCommit: plan.commit } },
        ],
      },
      runDetails: {
        builder: { id: builderIdOf(build.arn) },
        metadata: { invocationId: build.id, startedOn: build.startTime, finishedOn: build.endTime },
      },
    },
  };
}
