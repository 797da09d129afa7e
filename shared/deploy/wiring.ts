import { loadTargetRoles } from '../aws/target-roles';
import { type Credentials, TargetSessions } from '../aws/target-sessions';
import type { Observability } from '../observability';
import { awsPipelineDeps } from '../pipelines/wiring';
import { awsDeployControl } from './aws';
import type { DeployDeps } from './outcome';
import type { DeployControl } from './ports';

/** How a site's DeployControl is built: with the control plane's credentials, or a target role's. */
export type DeployControlFactory = (config: { credentials?: Credentials }) => DeployControl;

/** The pipeline's ports plus CodeDeploy, Lambda and CloudWatch: SDK clients built once per cold start. */
export function awsDeployDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): DeployDeps {
  return deployDepsWith(o11y, env, awsDeployControl);
}

/**
 * The deploy ports with each site's DeployControl built by `control`: `awsDeployControl` for the
 * steps that deploy on every call, `deferredAwsDeployControl` for a function that seldom does.
 */
export function deployDepsWith(o11y: Observability, env: NodeJS.ProcessEnv, control: DeployControlFactory): DeployDeps {
  const deploy = control({});
  return {
    ...awsPipelineDeps(o11y, env),
    deploy,
    // A target in another account: the same clients, signed as this step's role there for the run.
    sites: new TargetSessions(deploy, loadTargetRoles(env), (credentials) => control({ credentials })),
  };
}

/**
 * The CodeDeploy, Lambda and CloudWatch clients loaded by the first call, not at cold start: the
 * operator API only stops a deployment when a cancel finds one running, and each of its other
 * requests would otherwise pay ~25 ms of SDK loading before its first byte.
 */
export const deferredAwsDeployControl: DeployControlFactory = (config) =>
  deferredDeployControl(() => import('./aws').then((m) => m.awsDeployControl(config)));

/**
 * A DeployControl that builds the real one at its first call. A load that fails fails every call
 * the same way (a bundled module that cannot load will not load on a second try either).
 */
export function deferredDeployControl(load: () => Promise<DeployControl>): DeployControl {
  let loading: Promise<DeployControl> | undefined;
  const ready = () => {
    loading ??= load();
    return loading;
  };
  return {
    publishVersion: async (...args) => (await ready()).publishVersion(...args),
    versionCodeSha256: async (...args) => (await ready()).versionCodeSha256(...args),
    versionConfiguration: async (...args) => (await ready()).versionConfiguration(...args),
    aliasRouting: async (...args) => (await ready()).aliasRouting(...args),
    createDeployment: async (...args) => (await ready()).createDeployment(...args),
    findDeployment: async (...args) => (await ready()).findDeployment(...args),
    getDeployment: async (...args) => (await ready()).getDeployment(...args),
    stopDeployment: async (...args) => (await ready()).stopDeployment(...args),
    groupAlarms: async (...args) => (await ready()).groupAlarms(...args),
    alarmStates: async (...args) => (await ready()).alarmStates(...args),
  };
}
