import type { LocalServices } from '../lambda-api/services';
import type { DeploymentRecord } from './records';
import type { LocalCodeDeploy } from './service';

const RECENT = 10;

/**
 * `/_gantry/services`: each service alias with its stable URL, how its traffic is split now,
 * its versions, and its recent deployments (newest first) with each one's timeline.
 */
export function servicesView(services: LocalServices, deployer: LocalCodeDeploy) {
  return {
    services: services.endpoints().map(({ functionName, alias, url }) => {
      const record = services.store.alias(functionName, alias);
      const proxy = services.proxy(functionName, alias);
      return {
        functionName,
        alias,
        url,
        version: record?.functionVersion,
        weights: proxy?.weights() ?? {},
        versions: services.store.versions(functionName).map((v) => ({
          version: v.version,
          codeSha256: v.codeSha256,
          lastModified: v.lastModified,
          description: v.description,
          running: services.isRunning(functionName, v.version),
        })),
        deployments: deployer.records
          .all()
          .filter((d) => d.target.functionName === functionName && d.target.alias === alias)
          .slice(-RECENT)
          .reverse()
          .map(deploymentView),
      };
    }),
  };
}

/** One deployment for people: times as ISO strings, steps with their offset from the start. */
export function deploymentView(d: DeploymentRecord) {
  const start = d.timeline[0]?.at ?? d.createTime;
  return {
    deploymentId: d.deploymentId,
    application: d.applicationName,
    deploymentGroup: d.deploymentGroupName,
    deploymentConfig: d.deploymentConfigName,
    description: d.description,
    status: d.status,
    ...(d.errorInformation === undefined ? {} : { error: d.errorInformation }),
    currentVersion: d.target.currentVersion,
    targetVersion: d.target.targetVersion,
    createTime: new Date(d.createTime).toISOString(),
    ...(d.completeTime === undefined
      ? {}
      : { completeTime: new Date(d.completeTime).toISOString(), durationMs: round(d.completeTime - start) }),
    ...(d.alarm === undefined ? {} : { alarm: d.alarm.name, alarmReason: d.alarm.reason }),
    ...(d.rollbackMs === undefined ? {} : { rollbackMs: round(d.rollbackMs) }),
    ...(d.syntheticTraffic === undefined ? {} : { syntheticTraffic: d.syntheticTraffic }),
    timeline: d.timeline.map((t) => ({
      at: new Date(t.at).toISOString(),
      elapsedMs: round(t.at - start),
      percent: t.percent,
      event: t.event,
    })),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
