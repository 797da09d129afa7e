import type { Principal } from '../../../local/edge/identity';
import { type LocalIam, templateIam } from '../../../local/iam';
import { localAccountId } from '../../../local/services/context';
import type { TemplateResolver } from '../../../local/template/resolver';
import { stepRoleName } from '../../../shared/config/names';
import { multiAccountYaml, testConfig } from '../../support/cdk';
import { codeDeployCall, localIamOf, runSession } from '../../support/local-iam';

const HOME = '111111111111';
const PROD = '222222222222';
const REGION = 'eu-west-1';
const DEPLOY_ROLE = `arn:aws:iam::${PROD}:role/gantry-deploy-${HOME}`;
const VERIFY_ROLE = `arn:aws:iam::${PROD}:role/gantry-verify-${HOME}`;
const STOP_ROLE = `arn:aws:iam::${PROD}:role/gantry-stop-${HOME}`;
/** The steps that only read and stop deployments in a target account. */
const STOPPERS = ['operator-api', 'deploy-events', 'resolve-plan', 'record-failure'];

/** widgets' dev in the control plane's account, its prod in another (as test/infra/multi-account.test.ts). */
const CONFIG = testConfig(multiAccountYaml(HOME, REGION, { prod: PROD }));

/** Local IAM as `npm start` builds it from the synthesized templates of a two-account config. */
describe('local mode with a target in another account', () => {
  let resolver: TemplateResolver;
  let iam: LocalIam;
  let close: () => void;

  beforeAll(() => {
    ({ resolver, iam, close } = localIamOf(CONFIG, REGION));
  }, 120_000);
  afterAll(() => close());

  const role = (name: string): Extract<Principal, { kind: 'role' }> => {
    // Roles of another account are keyed by ARN (a deploy role's name repeats in every target account).
    const found = [...templateIam(resolver).roles.values()].find((r) => r.roleName === name);
    if (found === undefined) throw new Error(`no role ${name}`);
    return { kind: 'role', roleName: found.roleName, roleArn: found.roleArn };
  };
  const asRun = (runId: string) => runSession(DEPLOY_ROLE, runId);
  const codeDeploy = codeDeployCall;
  const step = (name: string) => role(stepRoleName(name, REGION));
  const prod = { applicationName: 'widgets', deploymentGroupName: 'prod' };
  /** Lambda's REST API as it reaches the edge: `code` is UpdateFunctionCode, a POST to `versions` PublishVersion. */
  const lambda = (method: string, path: string) => ({
    method,
    url: new URL(`http://127.0.0.1:4566/2015-03-31/functions/${path}`),
    headers: {},
    body: Buffer.from('{}'),
  });
  const session = (caller: string, roleArn: string) => {
    const decision = iam.assumeRole(step(caller), runSession(roleArn, 'run-42'));
    if (!decision.ok) throw new Error(decision.reason);
    return decision.principal;
  };

  it("serves the control plane's stacks in its account and the target stack's in the target account", () => {
    expect(localAccountId(CONFIG)).toBe(HOME);
    expect(role(`gantry-deploy-${HOME}`).roleArn).toBe(DEPLOY_ROLE);
    expect(role(stepRoleName('deploy-release', REGION)).roleArn).toBe(
      `arn:aws:iam::${HOME}:role/${stepRoleName('deploy-release', REGION)}`,
    );
    expect(resolver.accountOf(`GantryTarget-${PROD}`)).toBe(PROD);
  });

  it("lets the release step assume the target's deploy role, whose session may release into prod only", () => {
    const decision = iam.assumeRole(role(stepRoleName('deploy-release', REGION)), asRun('run-42'));
    if (!decision.ok) throw new Error(decision.reason);
    expect(decision.principal).toMatchObject({ roleArn: DEPLOY_ROLE, sessionName: 'gantry-run-42' });
    const prod = { applicationName: 'widgets', deploymentGroupName: 'prod', revision: {} };
    expect(iam.decide(decision.principal, codeDeploy('CreateDeployment', prod))).toBeUndefined();
    const dev = { applicationName: 'widgets', deploymentGroupName: 'dev', revision: {} };
    expect(iam.decide(decision.principal, codeDeploy('CreateDeployment', dev))).toMatchObject({
      resource: `arn:aws:codedeploy:${REGION}:${PROD}:deploymentgroup:widgets/dev`,
    });
  });

  it('refuses the deploy role to a control-plane role its trust policy does not name', () => {
    const build = [...templateIam(resolver).projectRoles.values()][0];
    if (build === undefined) throw new Error('no build project role');
    const decision = iam.assumeRole(role(build), asRun('run-42'));
    expect(decision).toMatchObject({ ok: false, reason: expect.stringMatching(/trust policy allows sts:AssumeRole/) });
  });

  it('refuses the release step a session not named for a run, or without its run-id tag', () => {
    const release = role(stepRoleName('deploy-release', REGION));
    expect(iam.assumeRole(release, { ...asRun('run-42'), sessionName: 'debug' })).toMatchObject({ ok: false });
    expect(iam.assumeRole(release, { ...asRun('run-42'), tags: [] })).toMatchObject({ ok: false });
  });

  it.each([...STOPPERS, 'deploy-verify'])(
    "refuses the release role to %s's credentials: the target's trust policy names the release step only",
    (caller) => {
      expect(iam.assumeRole(step(caller), asRun('run-42'))).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/no statement of the role's trust policy allows sts:AssumeRole/),
      });
    },
  );

  it.each(STOPPERS)(
    "lets %s assume the stop role, whose session reads and stops prod's deployments, and never releases",
    (caller) => {
      const stopper = session(caller, STOP_ROLE);
      expect(stopper).toMatchObject({ roleArn: STOP_ROLE, sessionName: 'gantry-run-42' });
      expect(iam.decide(stopper, codeDeploy('ListDeployments', prod))).toBeUndefined();
      expect(iam.decide(stopper, codeDeploy('CreateDeployment', { ...prod, revision: {} }))).toMatchObject({
        action: 'codedeploy:CreateDeployment',
      });
      expect(iam.decide(stopper, lambda('PUT', 'widgets-prod/code'))).toMatchObject({
        action: 'lambda:UpdateFunctionCode',
      });
      expect(iam.decide(stopper, lambda('POST', 'widgets-prod/versions'))).toMatchObject({
        action: 'lambda:PublishVersion',
      });
      // Nor the verify role, which may create a (rollback) deployment.
      expect(iam.assumeRole(step(caller), runSession(VERIFY_ROLE, 'run-42'))).toMatchObject({ ok: false });
    },
  );

  it('lets DeployCheck assume the verify role: the bake rollback and the alarms, never new code', () => {
    const verify = session('deploy-verify', VERIFY_ROLE);
    expect(iam.decide(verify, codeDeploy('CreateDeployment', { ...prod, revision: {} }))).toBeUndefined();
    expect(iam.decide(verify, codeDeploy('GetDeploymentGroup', prod))).toBeUndefined();
    const config = { deploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce' };
    expect(iam.decide(verify, codeDeploy('GetDeploymentConfig', config))).toBeUndefined();
    const canary = { deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes' };
    expect(iam.decide(verify, codeDeploy('GetDeploymentConfig', canary))).toMatchObject({
      action: 'codedeploy:GetDeploymentConfig',
    });
    expect(iam.decide(verify, lambda('PUT', 'widgets-prod/code'))).toMatchObject({
      action: 'lambda:UpdateFunctionCode',
    });
    expect(iam.assumeRole(step('deploy-release'), runSession(VERIFY_ROLE, 'run-42'))).toMatchObject({ ok: false });
  });

  it("lets the release step's session publish prod's code", () => {
    const release = session('deploy-release', DEPLOY_ROLE);
    expect(iam.decide(release, lambda('PUT', 'widgets-prod/code'))).toBeUndefined();
    expect(iam.decide(release, lambda('POST', 'widgets-prod/versions'))).toBeUndefined();
    expect(iam.decide(release, lambda('PUT', 'widgets-dev/code'))).toMatchObject({
      resource: `arn:aws:lambda:${REGION}:${PROD}:function:widgets-dev`,
    });
  });

  it("lets the target account's forwarding rule put CodeDeploy's state changes on the control plane's bus, and nothing else", () => {
    const bus = `arn:aws:events:${REGION}:${HOME}:event-bus/gantry`;
    const forward = resolver
      .resources('AWS::Events::Rule')
      .filter((r) => r.stack === `GantryTarget-${PROD}`)
      .flatMap((r) => (resolver.properties(r.stack, r.logicalId).Targets ?? []) as { Arn: string; RoleArn: string }[]);
    expect(forward.map((t) => t.Arn)).toEqual([bus]);
    const roleArn = forward[0]?.RoleArn ?? '';
    expect(roleArn).toMatch(new RegExp(`^arn:aws:iam::${PROD}:role/`));
    const put = { action: 'events:PutEvents', resource: bus };
    const stateChange = {
      'events:source': 'aws.codedeploy',
      'events:detail-type': 'CodeDeploy Deployment State-change Notification',
    };
    expect(iam.decideAs(roleArn, put, stateChange)).toBeUndefined();
    // The bus's policy takes only CodeDeploy's state changes from the target account.
    expect(iam.decideAs(roleArn, put, { ...stateChange, 'events:source': 'gantry.webhooks' })).toMatchObject({
      reason: expect.stringContaining(`in account ${HOME}, and no resource-based policy allows`),
    });
    // A role of an account the bus does not list, even with a policy that would allow it.
    expect(iam.decideAs(`arn:aws:iam::333333333333:role/intruder`, put, stateChange)).toMatchObject({
      reason: expect.stringContaining('no identity-based and no resource-based policy'),
    });
  });
});
