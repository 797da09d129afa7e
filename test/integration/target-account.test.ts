import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { git } from '../../cli/local/sample-repo';
import type { GantryConfig } from '../../infra/config/schema';
import { readRuntimeInfo } from '../../local/discovery';
import { assumeRoleParams } from '../../shared/aws/target-sessions';
import { stepRoleName } from '../../shared/config/names';
import type { RunRecord } from '../../shared/runs/model';
import { gantry } from '../support/cli';
import {
  actingAs,
  commitOnBranch,
  endedRun,
  eventually,
  finishedRun,
  operatorHeaders,
  rollbackAs,
  startTestPlane,
  type TestPlane,
} from '../support/local';

const HOME = '000000000000';
const PROD = '222222222222';
const REGION = 'us-east-1';
const DEPLOY_ROLE = `arn:aws:iam::${PROD}:role/gantry-deploy-${HOME}`;
const STOP_ROLE = `arn:aws:iam::${PROD}:role/gantry-stop-${HOME}`;
const VERIFY_ROLE = `arn:aws:iam::${PROD}:role/gantry-verify-${HOME}`;

/**
 * The demo config with the control plane pinned to the local account and prod (a sample target,
 * so GantrySampleService-222222222222 provisions it there) in a second account, whatever the
 * shipped gantry.config.yaml says. Prod bakes one minute, not ten: at 60x the four prod releases
 * here would otherwise spend 40 s at full traffic; the bake (and its alarm check) still runs.
 */
function twoAccounts(config: GantryConfig): GantryConfig {
  const copy = structuredClone(config) as { -readonly [K in keyof GantryConfig]: GantryConfig[K] };
  copy.controlPlane = { account: HOME, region: REGION };
  for (const pipeline of copy.pipelines)
    for (const env of pipeline.environments)
      if (env.name === 'prod' && env.deploy !== undefined) Object.assign(env.deploy, { account: PROD, bakeMinutes: 1 });
  return copy;
}

/**
 * A local control plane whose prod target lives in another account: each step reaches it only
 * through STS AssumeRole on the edge, as the target role of its kind (the release step as the
 * deploy role, DeployCheck as the verify role), in a session named for the run.
 */
describe('local mode: a target in a second account', () => {
  let t: TestPlane;
  beforeAll(async () => {
    // 60x: the bad release's canary must run long enough (6 s) to raise its alarm.
    t = await startTestPlane(undefined, { configure: twoAccounts, timeScale: 60 });
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
    // Authorized by the deploy role's policy in account 222222222222, where the sample stack made the group.
    const listed = await prod.send(
      new ListDeploymentsCommand({ applicationName: 'gantry-sample-service', deploymentGroupName: 'prod' }),
    );
    expect(listed.deployments).toEqual(expect.any(Array));
    // The deploy role may not touch the control plane account's groups.
    await expect(
      prod.send(new ListDeploymentsCommand({ applicationName: 'gantry-sample-service', deploymentGroupName: 'dev' })),
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
        new GetDeploymentGroupCommand({ applicationName: 'gantry-sample-service', deploymentGroupName: 'prod' }),
      ),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringMatching(/is not authorized to perform: sts:AssumeRole on resource: .*trust policy/),
    });
  });

  it("refuses the release role to the operator API's credentials; its stop-role session cannot create a deployment", async () => {
    const operator = stepRoleName('operator-api', REGION);
    await expect(
      codeDeployAs(operator).send(
        new ListDeploymentsCommand({ applicationName: 'gantry-sample-service', deploymentGroupName: 'prod' }),
      ),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringMatching(
        new RegExp(`not authorized to perform: sts:AssumeRole on resource: ${DEPLOY_ROLE} .*trust policy`),
      ),
    });
    const stopper = codeDeployAs(operator, assumeRoleParams(STOP_ROLE, 'run-7'));
    const prod = { applicationName: 'gantry-sample-service', deploymentGroupName: 'prod' };
    expect((await stopper.send(new ListDeploymentsCommand(prod))).deployments).toEqual(expect.any(Array));
    await expect(
      stopper.send(
        new CreateDeploymentCommand({
          ...prod,
          revision: { revisionType: 'AppSpecContent', appSpecContent: { content: '{}' } },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(`assumed-role/gantry-stop-${HOME}/gantry-run-7 is not authorized`),
    });
  });

  it('refuses the release step a session without the run-id tag', async () => {
    const untagged = { ...assumeRoleParams(DEPLOY_ROLE, 'run-7'), RoleArn: DEPLOY_ROLE, Tags: [] };
    await expect(
      codeDeployAs(stepRoleName('deploy-release', REGION), untagged).send(
        new GetDeploymentGroupCommand({ applicationName: 'gantry-sample-service', deploymentGroupName: 'prod' }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  // The whole run across accounts: dev at home, prod in 222222222222.
  const served = async (fn: string) => {
    const res = await fetch(new URL('/_gantry/services', t.plane.awsEndpoint), { headers: operatorHeaders(t.plane) });
    const { services } = (await res.json()) as {
      services: { functionName: string; url: string; weights: Record<string, number> }[];
    };
    const found = services.find((s) => s.functionName === fn);
    if (found === undefined) throw new Error(`no service ${fn}`);
    const version = ((await (await fetch(new URL('/version', found.url))).json()) as { version: string }).version;
    return { weights: found.weights, version };
  };
  const sessionsOf = (runId: string, role = DEPLOY_ROLE) =>
    t.logs.filter((line) => line.includes(`assumed ${role}`) && line.endsWith(`gantry:run-id=${runId}`));
  /** Bob approves the run `find` picks once it waits for prod's approval. */
  const approveWhenWaiting = async (find: (run: RunRecord) => boolean) => {
    const waiting = await eventually(
      'the run to wait for approval',
      async () => {
        const run = (await t.runs.list({ pipeline: 'sample-service' })).find(find);
        return run?.stages.approval?.status === 'waiting' ? run : undefined;
      },
      60_000,
    );
    const body = JSON.stringify({ decision: 'approve', reason: 'release checked' });
    const path = `runs/${waiting.runId}/decision`;
    const decided = await fetch(`${t.plane.webhookUrl}/${path}`, {
      method: 'POST',
      headers: await actingAs(t.plane, 'bob', path, body),
      body,
    });
    expect(decided.status).toBe(200);
  };
  /** A release branch committed by Alice, pushed, approved by Bob; the run once it ends. */
  const release = async (branch: string, note: string, base = 'develop') => {
    // A change to the packaged code, so that each release publishes a new version.
    const greeting = `${git(t.repo(), 'show', `${base}:src/greeting.js`)}\n// ${note}\n`;
    commitOnBranch(t.repo(), branch, 'Alice', { 'src/greeting.js': greeting }, note, base);
    const { push } = await t.push({ branch });
    await approveWhenWaiting((r) => r.commit === push.after);
    return finishedRun(t, push.after);
  };
  let firstProd: RunRecord;

  it('releases dev in the control plane account and, once approved, prod in the second account as its deploy role', async () => {
    const dev = await finishedRun(t, (await t.push({ branch: 'develop' })).push.after);
    // With the failure beside the statuses, so that a failing run says why.
    expect({
      status: dev.status,
      environment: dev.environment,
      deployment: dev.deployment?.status,
      failure: dev.failure,
    }).toEqual({ status: 'SUCCEEDED', environment: 'dev', deployment: 'succeeded', failure: undefined });
    expect(sessionsOf(dev.runId)).toEqual([]);
    expect((await served('gantry-sample-service-dev')).weights).toEqual({ 2: 100 });

    const prod = await release('release/1.0', 'Release 1.0');
    expect(prod).toMatchObject({
      status: 'SUCCEEDED',
      environment: 'prod',
      approval: { outcome: 'approved' },
      deployment: { status: 'succeeded', fromVersion: '1', toVersion: '2' },
    });
    // Every call into the prod account went through a session named for this run: the release as
    // the deploy role, the bake's checks as the verify role.
    expect(sessionsOf(prod.runId).length).toBeGreaterThan(0);
    expect(sessionsOf(prod.runId, VERIFY_ROLE).length).toBeGreaterThan(0);
    expect(await served('gantry-sample-service-prod')).toEqual({ weights: { 2: 100 }, version: '2' });
    const audit = await gantry('audit', 'query', '--run', prod.runId, '--json', '--data-dir', t.dataDir);
    expect((JSON.parse(audit.stdout) as { type: string }[]).map((e) => e.type)).toEqual(
      expect.arrayContaining(['approval.granted', 'deploy.started', 'deploy.succeeded', 'run.succeeded']),
    );
    firstProd = prod;
  }, 180_000);

  it("rolls prod's bad release back in the second account when its canary raises the alarm there", async () => {
    // demo/bad-release's code (its /hello answers 500), released to prod and approved.
    const run = await release('release/1.0-bad', 'Release the bad build', 'demo/bad-release');
    expect(run).toMatchObject({
      status: 'FAILED',
      environment: 'prod',
      failure: { stage: 'deploy' },
      deployment: { status: 'failed', rolledBack: true },
    });
    expect(run.failure?.reason).toMatch(/alarm/i);
    expect(sessionsOf(run.runId).length).toBeGreaterThan(0);
    // The first release still serves everything.
    expect(await served('gantry-sample-service-prod')).toEqual({ weights: { 2: 100 }, version: '2' });
  }, 120_000);

  it('redeploys prod’s last good revision in the second account with `gantry runs rollback prod`', async () => {
    const second = await release('release/1.1', 'Release 1.1');
    expect(second).toMatchObject({ status: 'SUCCEEDED', environment: 'prod' });
    expect((await served('gantry-sample-service-prod')).version).toBe(second.deployment?.toVersion);
    const out = await rollbackAs(t, 'prod');
    expect(out).toMatchObject({ rollbackOf: second.runId, toRunId: firstProd.runId, version: '2' });
    // Prod's approval holds for a rollback too (README, "Releases"); ops asked for it, Bob decides.
    await approveWhenWaiting((r) => r.runId === out.runId);
    const run = await endedRun(t, out.runId, 90_000);
    expect(run).toMatchObject({ status: 'SUCCEEDED', trigger: 'rollback', environment: 'prod' });
    expect(sessionsOf(run.runId).length).toBeGreaterThan(0);
    expect(await served('gantry-sample-service-prod')).toEqual({ weights: { 2: 100 }, version: '2' });
  }, 180_000);
});
