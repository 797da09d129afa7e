import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { IdentityRegistry } from '../../../local/edge/identity';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { stsService } from '../../../local/edge/sts';
import { LocalIam, type TemplateIam } from '../../../local/iam';
import { type AssumeRoleRequest, assumeRoleRefusal } from '../../../local/iam/trust';
import { assumeRoleParams } from '../../../shared/aws/target-sessions';
import { fixtureArns } from '../../support/local-iam';
import { DEPLOY, HOME, MAY_ASSUME, RELEASE, sourced, TARGET, TRUST } from '../../support/trust-fixtures';

const BUILD = `arn:aws:iam::${HOME}:role/gantry-build`;
const GROUP = `arn:aws:codedeploy:us-east-1:${TARGET}:deploymentgroup:svc/prod`;
const DEPLOY_RIGHTS = sourced('DeployRolePolicy', [
  { Effect: 'Allow', Action: 'codedeploy:GetDeploymentGroup', Resource: GROUP },
]);

const releaseCaller = { arn: RELEASE, account: HOME, identity: MAY_ASSUME };
const asRun = (runId: string): AssumeRoleRequest => {
  const params = assumeRoleParams(DEPLOY, runId);
  return {
    roleArn: DEPLOY,
    sessionName: params?.RoleSessionName ?? '',
    tags: (params?.Tags ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })),
  };
};

describe('assumeRoleRefusal', () => {
  const role = { roleArn: DEPLOY, trust: TRUST };

  it('lets a listed step role assume the deploy role in a session named and tagged for its run', () => {
    expect(assumeRoleRefusal(role, releaseCaller, asRun('run-1'))).toBeUndefined();
  });

  it('refuses a role the trust policy does not list, even one allowed by its own identity policy', () => {
    const reason = assumeRoleRefusal(role, { arn: BUILD, account: HOME, identity: MAY_ASSUME }, asRun('run-1'));
    expect(reason).toMatch(
      /no statement of the role's trust policy allows sts:AssumeRole to arn:aws:iam::000000000000:role\/gantry-build/,
    );
  });

  it('refuses a session not named gantry-<run>', () => {
    const reason = assumeRoleRefusal(role, releaseCaller, { ...asRun('run-1'), sessionName: 'mallory' });
    expect(reason).toMatch(/allows sts:AssumeRole .* with session name mallory/);
  });

  it('refuses a session without the run-id tag, and one with another tag besides it', () => {
    expect(assumeRoleRefusal(role, releaseCaller, { ...asRun('run-1'), tags: [] })).toMatch(/sts:AssumeRole/);
    const sneaky = { ...asRun('run-1'), tags: [...asRun('run-1').tags, { key: 'team', value: 'ops' }] };
    expect(assumeRoleRefusal(role, releaseCaller, sneaky)).toMatch(
      /allows sts:TagSession .* session tags gantry:run-id, team/,
    );
  });

  it('refuses a listed role calling from another account (aws:PrincipalAccount)', () => {
    const reason = assumeRoleRefusal(role, { ...releaseCaller, account: '333333333333' }, asRun('run-1'));
    expect(reason).toMatch(/trust policy/);
  });

  it('across accounts also needs the caller identity policy to allow the role', () => {
    const reason = assumeRoleRefusal(role, { ...releaseCaller, identity: [] }, asRun('run-1'));
    expect(reason).toMatch(/no identity-based policy of the caller allows sts:AssumeRole on arn:aws:iam::222222222222/);
  });

  it('honours an explicit deny in the trust policy', () => {
    const deny = sourced('Deny', [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:*' }]);
    expect(assumeRoleRefusal({ roleArn: DEPLOY, trust: [...TRUST, ...deny] }, releaseCaller, asRun('r'))).toMatch(
      /explicit deny in the role's trust policy \(Deny#0\)/,
    );
  });

  it('refuses a role local mode does not know', () => {
    expect(assumeRoleRefusal(undefined, releaseCaller, asRun('run-1'))).toMatch(/no role .* exists/);
  });
});

describe('STS AssumeRole on the local edge', () => {
  let edge: RunningEdge;
  let identity: IdentityRegistry;
  let iam: LocalIam;
  let dataDir: string;
  const assumed: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-sts-'));
    const templateIam: TemplateIam = {
      roles: new Map([
        [
          'gantry-deploy-release-us-east-1',
          { roleName: 'gantry-deploy-release-us-east-1', roleArn: RELEASE, statements: MAY_ASSUME, trust: [] },
        ],
        ['gantry-build', { roleName: 'gantry-build', roleArn: BUILD, statements: MAY_ASSUME, trust: [] }],
        [
          `gantry-deploy-${HOME}`,
          { roleName: `gantry-deploy-${HOME}`, roleArn: DEPLOY, statements: DEPLOY_RIGHTS, trust: TRUST },
        ],
      ]),
      functionRoles: new Map([
        [`arn:aws:lambda:us-east-1:${HOME}:function:release`, 'gantry-deploy-release-us-east-1'],
      ]),
      projectRoles: new Map(),
      resourcePolicies: new Map(),
      unresolved: [],
    };
    iam = new LocalIam({
      iam: templateIam,
      arns: fixtureArns(HOME, [GROUP]),
      dataDir,
      onAssumed: (line) => assumed.push(line),
    });
    identity = new IdentityRegistry('a-session-token-of-length');
    iam.register(identity);
    edge = await startEdge({ port: 0, identity, services: [] });
    edge.authorizeWith((principal, call, res) => iam.authorize(principal, call, res));
    edge.attach({ rest: stsService({ identity, assumeRole: (caller, call) => iam.assumeRole(caller, call) }) });
  });
  afterAll(async () => {
    await edge.close();
    iam.flush();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const credentialsOf = (role: string) => {
    const c = iam.credentials.get(role);
    if (c === undefined) throw new Error(`no credentials for ${role}`);
    return c;
  };
  /** What TargetSessions does, pointed at the edge: fromTemporaryCredentials with the caller's own keys. */
  const assume = (role: string, params = assumeRoleParams(DEPLOY, 'run-7')) =>
    fromTemporaryCredentials({
      params,
      masterCredentials: credentialsOf(role),
      clientConfig: { endpoint: edge.endpoint, region: 'us-east-1' },
    })();

  /** A signed call to the edge (CodeDeploy's JSON protocol) with the given credentials. */
  async function call(
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
    operation: string,
    input: object,
  ) {
    const body = JSON.stringify(input);
    const url = new URL(edge.endpoint);
    const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'codedeploy', sha256: Sha256 });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers: {
        host: url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `CodeDeploy_20141006.${operation}`,
      },
      body,
    });
    const res = await fetch(edge.endpoint, { method: 'POST', headers: signed.headers as Record<string, string>, body });
    return { status: res.status, text: await res.text() };
  }

  it('issues session credentials that later calls are authorized with as the deploy role', async () => {
    const session = await assume('gantry-deploy-release-us-east-1');
    expect(session).toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/), sessionToken: expect.any(String) });
    expect(session.expiration?.getTime()).toBeGreaterThan(Date.now() + 800_000);
    expect(assumed).toContainEqual(
      expect.stringContaining(`assumed ${DEPLOY} as session gantry-run-7 gantry:run-id=run-7`),
    );

    // Allowed by the deploy role's policy: it reaches the (absent) service instead of being denied.
    const allowed = await call(session, 'GetDeploymentGroup', { applicationName: 'svc', deploymentGroupName: 'prod' });
    expect(allowed.status).toBe(400);
    expect(allowed.text).toMatch(/UnknownOperationException/);
    const denied = await call(session, 'DeleteDeploymentGroup', {
      applicationName: 'svc',
      deploymentGroupName: 'prod',
    });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain(
      `User: arn:aws:sts::${TARGET}:assumed-role/gantry-deploy-${HOME}/gantry-run-7 is not authorized to perform: codedeploy:DeleteDeploymentGroup`,
    );
  });

  it('refuses the session keys without their session token', async () => {
    const session = await assume('gantry-deploy-release-us-east-1');
    const out = await call(
      { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey },
      'GetDeploymentGroup',
      {
        applicationName: 'svc',
        deploymentGroupName: 'prod',
      },
    );
    expect(out.status).toBe(403);
    expect(out.text).toMatch(/session token/);
  });

  it('answers a role outside the trust policy with STS AccessDenied naming who and why', async () => {
    await expect(assume('gantry-build')).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringMatching(
        new RegExp(
          `^User: arn:aws:sts::${HOME}:assumed-role/gantry-build/gantry-local is not authorized to perform: sts:AssumeRole on resource: ${DEPLOY} because no statement of the role's trust policy allows`,
        ),
      ),
    });
  });

  it('refuses a session name other than gantry-<run>, and one without the run-id tag', async () => {
    const params = assumeRoleParams(DEPLOY, 'run-7');
    await expect(
      assume('gantry-deploy-release-us-east-1', { ...params, RoleArn: DEPLOY, RoleSessionName: 'ops-session' }),
    ).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringContaining('session name ops-session') });
    await expect(
      assume('gantry-deploy-release-us-east-1', { ...params, RoleArn: DEPLOY, Tags: [] }),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
