import { CodeDeployClient, GetDeploymentGroupCommand } from '@aws-sdk/client-codedeploy';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { GantryConfig } from '../../infra/config/schema';
import { readRuntimeInfo } from '../../local/discovery';
import { assumeRoleParams } from '../../shared/aws/target-sessions';
import { stepRoleName } from '../../shared/config/names';
import { startTestPlane, type TestPlane } from '../support/local';

const HOME = '000000000000';
const PROD = '222222222222';
const REGION = 'us-east-1';
const DEPLOY_ROLE = `arn:aws:iam::${PROD}:role/gantry-deploy-${HOME}`;

/** The demo config with the control plane pinned to the local account and prod in a second account. */
function twoAccounts(config: GantryConfig): GantryConfig {
  const copy = structuredClone(config) as { -readonly [K in keyof GantryConfig]: GantryConfig[K] };
  copy.controlPlane = { account: HOME, region: REGION };
  for (const pipeline of copy.pipelines)
    for (const env of pipeline.environments)
      if (env.name === 'prod' && env.deploy !== undefined)
        Object.assign(env.deploy, { account: PROD, sample: false, deploymentGroup: 'prod-remote' });
  return copy;
}

/**
 * A local control plane whose prod target lives in another account: the release step reaches it
 * only through STS AssumeRole on the edge, as the target's deploy role, in a session named for the run.
 */
describe('local mode: a target in a second account', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane(undefined, { configure: twoAccounts });
  }, 180_000);
  afterAll(() => t?.close());

  const keysOf = (role: string) => {
    const keys = readRuntimeInfo(t.dataDir)?.roles?.[role];
    if (keys === undefined) throw new Error(`runtime.json has no credentials for ${role}`);
    return keys;
  };
  /** CodeDeploy as TargetSessions builds it: the caller's keys, AssumeRole through the edge, the session's credentials. */
  const codeDeployAs = (role: string, params = assumeRoleParams(DEPLOY_ROLE, 'run-7')) =>
    new CodeDeployClient({
      endpoint: t.plane.awsEndpoint,
      region: REGION,
      credentials: fromTemporaryCredentials({
        params,
        masterCredentials: keysOf(role),
        clientConfig: { endpoint: t.plane.awsEndpoint, region: REGION },
      }),
    });

  it('lets the release step act in the target account as its deploy role, in a session named for the run', async () => {
    const prod = codeDeployAs(stepRoleName('deploy-release', REGION));
    // Authorized by the deploy role's policy in account 222222222222: CodeDeploy itself answers (no such group here).
    await expect(
      prod.send(
        new GetDeploymentGroupCommand({ applicationName: 'gantry-sample-service', deploymentGroupName: 'prod-remote' }),
      ),
    ).rejects.toMatchObject({ name: 'DeploymentGroupDoesNotExistException' });
    // The deploy role may not touch the control plane account's groups.
    await expect(
      prod.send(
        new GetDeploymentGroupCommand({ applicationName: 'gantry-sample-service', deploymentGroupName: 'dev' }),
      ),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(`assumed-role/gantry-deploy-${HOME}/gantry-run-7 is not authorized`),
    });
    expect(t.logs).toContainEqual(
      expect.stringContaining(`assumed ${DEPLOY_ROLE} as session gantry-run-7 gantry:run-id=run-7`),
    );
  });

  it('refuses the deploy role to a role its trust policy does not name (a build project role)', async () => {
    const build = Object.keys(readRuntimeInfo(t.dataDir)?.roles ?? {}).find((r) => /BuildRole/.test(r)) ?? '';
    await expect(
      codeDeployAs(build).send(
        new GetDeploymentGroupCommand({ applicationName: 'gantry-sample-service', deploymentGroupName: 'prod-remote' }),
      ),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringMatching(/is not authorized to perform: sts:AssumeRole on resource: .*trust policy/),
    });
  });

  it('refuses the release step a session without the run-id tag', async () => {
    const untagged = { ...assumeRoleParams(DEPLOY_ROLE, 'run-7'), RoleArn: DEPLOY_ROLE, Tags: [] };
    await expect(
      codeDeployAs(stepRoleName('deploy-release', REGION), untagged).send(
        new GetDeploymentGroupCommand({ applicationName: 'gantry-sample-service', deploymentGroupName: 'prod-remote' }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
