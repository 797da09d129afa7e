import { pathToFileURL } from 'node:url';
import { epochSeconds } from '../edge/aws-json';
import { LOCAL_IMAGE } from './environment';
import type { BuildRecord, EnvironmentVariable, PhaseContext, PhaseType, ProjectSpec, StatusType } from './types';

/** A build phase as the CodeBuild API describes it (times in epoch seconds). */
export interface PhaseDescription {
  readonly phaseType: PhaseType;
  readonly phaseStatus?: StatusType;
  readonly startTime: number;
  readonly endTime?: number;
  readonly durationInSeconds?: number;
  readonly contexts?: readonly PhaseContext[];
}

/** A build as StartBuild, StopBuild and BatchGetBuilds return it. */
export interface BuildDescription {
  readonly id: string;
  readonly arn: string;
  readonly buildNumber: number;
  readonly startTime: number;
  readonly endTime?: number;
  readonly currentPhase: PhaseType;
  readonly buildStatus: StatusType;
  readonly sourceVersion?: string;
  readonly resolvedSourceVersion?: string;
  readonly projectName: string;
  readonly phases: readonly PhaseDescription[];
  readonly source: { readonly type: string; readonly location: string; readonly buildspec?: string };
  readonly artifacts?: { readonly location: string };
  readonly environment: {
    readonly type: 'LINUX_CONTAINER';
    readonly image: string;
    readonly computeType: string;
    readonly environmentVariables: readonly EnvironmentVariable[];
    readonly privilegedMode: boolean;
  };
  readonly logs: { readonly groupName: string; readonly streamName: string; readonly deepLink: string };
  readonly timeoutInMinutes: number;
  readonly queuedTimeoutInMinutes: number;
  readonly buildComplete: boolean;
  readonly initiator: string;
  readonly exportedEnvironmentVariables: readonly { readonly name: string; readonly value: string }[];
  readonly reportArns: readonly string[];
}

const COMPUTE_TYPE = 'BUILD_GENERAL1_SMALL';
const QUEUED_TIMEOUT_MINUTES = 480;

/** The build's CodeBuild log stream name: the UUID part of its id. */
export function logStreamOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}

export function describeBuild(record: BuildRecord, logFile: string): BuildDescription {
  return {
    id: record.id,
    arn: record.arn,
    buildNumber: record.buildNumber,
    startTime: epochSeconds(record.startTime),
    ...(record.endTime === undefined ? {} : { endTime: epochSeconds(record.endTime) }),
    currentPhase: record.currentPhase,
    buildStatus: record.buildStatus,
    ...(record.sourceVersion === undefined ? {} : { sourceVersion: record.sourceVersion }),
    ...(record.resolvedSourceVersion === undefined ? {} : { resolvedSourceVersion: record.resolvedSourceVersion }),
    projectName: record.projectName,
    phases: record.phases.map(describePhase),
    source: record.source,
    ...(record.artifactsLocation === undefined ? {} : { artifacts: { location: record.artifactsLocation } }),
    environment: {
      type: 'LINUX_CONTAINER',
      image: LOCAL_IMAGE,
      computeType: COMPUTE_TYPE,
      environmentVariables: record.environmentVariables,
      privilegedMode: false,
    },
    logs: {
      groupName: `/aws/codebuild/${record.projectName}`,
      streamName: logStreamOf(record.id),
      deepLink: pathToFileURL(logFile).href,
    },
    timeoutInMinutes: record.timeoutInMinutes,
    queuedTimeoutInMinutes: QUEUED_TIMEOUT_MINUTES,
    buildComplete: record.buildStatus !== 'IN_PROGRESS',
    initiator: record.initiator,
    exportedEnvironmentVariables: record.exportedEnvironmentVariables,
    reportArns: record.reports.map((r) => r.reportArn),
  };
}

function describePhase(phase: BuildRecord['phases'][number]): PhaseDescription {
  const ended = phase.endTime !== undefined;
  return {
    phaseType: phase.phaseType,
    ...(phase.phaseStatus === undefined ? {} : { phaseStatus: phase.phaseStatus }),
    startTime: epochSeconds(phase.startTime),
    ...(ended ? { endTime: epochSeconds(phase.endTime ?? 0) } : {}),
    ...(ended ? { durationInSeconds: Math.floor(((phase.endTime ?? 0) - phase.startTime) / 1000) } : {}),
    ...(phase.contexts.length === 0 ? {} : { contexts: phase.contexts }),
  };
}

/** A project as BatchGetProjects returns it. */
export function describeProject(project: ProjectSpec) {
  const a = project.artifacts;
  return {
    name: project.name,
    arn: project.arn,
    source: { type: project.source?.type ?? 'NO_SOURCE', ...sourceFields(project) },
    artifacts:
      a === undefined
        ? { type: 'NO_ARTIFACTS' }
        : {
            type: 'S3',
            location: a.bucket,
            ...(a.path === undefined ? {} : { path: a.path }),
            ...(a.name === undefined ? {} : { name: a.name }),
            packaging: a.packaging,
            namespaceType: a.namespaceType ?? 'NONE',
            overrideArtifactName: a.overrideArtifactName ?? false,
          },
    environment: {
      type: 'LINUX_CONTAINER',
      image: LOCAL_IMAGE,
      computeType: COMPUTE_TYPE,
      environmentVariables: project.environmentVariables,
      privilegedMode: false,
    },
    timeoutInMinutes: project.timeoutMinutes,
    queuedTimeoutInMinutes: QUEUED_TIMEOUT_MINUTES,
  };
}

function sourceFields(project: ProjectSpec) {
  return {
    ...(project.source?.location === undefined ? {} : { location: project.source.location }),
    ...(project.buildspec === undefined ? {} : { buildspec: project.buildspec }),
  };
}
