import { epochSeconds } from '../edge/aws-json';
import type { DeploymentRecord } from './records';
import type { ApplicationSpec, DeploymentGroupSpec } from './types';

/** A deployment in GetDeployment's `deploymentInfo` terms (times in epoch seconds). */
export function deploymentInfo(
  record: DeploymentRecord,
  group: DeploymentGroupSpec | undefined,
): Record<string, unknown> {
  const done = record.status === 'Succeeded' ? 1 : 0;
  const failed = record.status === 'Failed' || record.status === 'Stopped' ? 1 : 0;
  return {
    deploymentId: record.deploymentId,
    applicationName: record.applicationName,
    deploymentGroupName: record.deploymentGroupName,
    deploymentConfigName: record.deploymentConfigName,
    status: record.status,
    ...(record.errorInformation === undefined ? {} : { errorInformation: record.errorInformation }),
    createTime: epochSeconds(record.createTime),
    ...(record.startTime === undefined ? {} : { startTime: epochSeconds(record.startTime) }),
    ...(record.completeTime === undefined ? {} : { completeTime: epochSeconds(record.completeTime) }),
    deploymentOverview: {
      Pending: record.status === 'Created' ? 1 : 0,
      InProgress: record.status === 'InProgress' ? 1 : 0,
      Succeeded: done,
      Failed: failed,
      Skipped: 0,
      Ready: 0,
    },
    description: record.description,
    creator: record.creator,
    revision: record.revision,
    ...(record.rollbackInfo === undefined ? {} : { rollbackInfo: record.rollbackInfo }),
    ...(group === undefined
      ? {}
      : {
          autoRollbackConfiguration: { enabled: group.autoRollback.enabled, events: group.autoRollback.events },
          deploymentStyle: {
            deploymentType: group.deploymentStyle.type,
            deploymentOption: group.deploymentStyle.option,
          },
        }),
    ignoreApplicationStopFailures: false,
    updateOutdatedInstancesOnly: false,
    instanceTerminationWaitTimeStarted: false,
    fileExistsBehavior: 'DISALLOW',
    computePlatform: 'Lambda',
    deploymentStatusMessages: statusMessages(record),
  };
}

/** The timeline as status messages, with when each step happened after the start. */
function statusMessages(record: DeploymentRecord): string[] {
  const start = record.timeline[0]?.at ?? record.createTime;
  const lines = record.timeline.map((t) => `+${((t.at - start) / 1000).toFixed(3)}s ${t.event}`);
  if (record.rollbackMs !== undefined && record.alarm !== undefined) {
    lines.push(
      `${record.alarm.name} fired; all traffic was back on the current version ${record.rollbackMs.toFixed(3)} ms later`,
    );
  }
  return lines;
}

export function applicationInfo(application: ApplicationSpec): Record<string, unknown> {
  return {
    applicationId: application.id,
    applicationName: application.name,
    linkedToGitHub: false,
    computePlatform: application.computePlatform,
  };
}

/** A deployment group in GetDeploymentGroup's terms; `deployments` are the group's, oldest first. */
export function deploymentGroupInfo(
  group: DeploymentGroupSpec,
  applicationId: string,
  deployments: readonly DeploymentRecord[],
): Record<string, unknown> {
  const last = deployments.at(-1);
  const lastSucceeded = deployments.filter((d) => d.status === 'Succeeded').at(-1);
  const summary = (d: DeploymentRecord) => ({
    deploymentId: d.deploymentId,
    status: d.status,
    ...(d.completeTime === undefined ? {} : { endTime: epochSeconds(d.completeTime) }),
    createTime: epochSeconds(d.createTime),
  });
  return {
    applicationName: group.application,
    applicationId,
    deploymentGroupId: group.id,
    deploymentGroupName: group.name,
    deploymentConfigName: group.deploymentConfigName,
    serviceRoleArn: group.serviceRoleArn,
    alarmConfiguration: {
      enabled: group.alarms.enabled,
      ignorePollAlarmFailure: group.alarms.ignorePollAlarmFailure,
      alarms: group.alarms.names.map((name) => ({ name })),
    },
    autoRollbackConfiguration: { enabled: group.autoRollback.enabled, events: group.autoRollback.events },
    deploymentStyle: { deploymentType: group.deploymentStyle.type, deploymentOption: group.deploymentStyle.option },
    computePlatform: 'Lambda',
    ...(last === undefined ? {} : { lastAttemptedDeployment: summary(last) }),
    ...(lastSucceeded === undefined ? {} : { lastSuccessfulDeployment: summary(lastSucceeded) }),
  };
}
