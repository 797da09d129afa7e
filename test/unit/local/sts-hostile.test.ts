import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { IdentityRegistry } from '../../../local/edge/identity';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { type AssumeRoleCall, stsService } from '../../../local/edge/sts';
import { LocalIam } from '../../../local/iam';
import { evaluate } from '../../../local/iam/evaluate';
import { type AssumeRoleRequest, assumeRoleRefusal } from '../../../local/iam/trust';
import { fixtureArns } from '../../support/local-iam';
import { DEPLOY, HOME, MAY_ASSUME, RELEASE, sourced, TARGET, TRUST } from '../../support/trust-fixtures';

const release = { arn: RELEASE, account: HOME, identity: MAY_ASSUME };
const run: AssumeRoleRequest = {
  roleArn: DEPLOY,
  sessionName: 'gantry-run-1',
  tags: [{ key: 'gantry:run-id', value: 'run-1' }],
};

describe('trust policy conditions fail closed', () => {
  it('applies a Deny whose condition operator the evaluator does not know (it may hold in AWS)', () => {
    const deny = sourced('Deny', [
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sts:AssumeRole',
        Condition: { DateGreaterThan: { 'aws:CurrentTime': '2000-01-01T00:00:00Z' } },
      },
    ]);
    expect(assumeRoleRefusal({ roleArn: DEPLOY, trust: [...TRUST, ...deny] }, release, run)).toMatch(/explicit deny/);
  });

  it('applies a Deny whose set qualifier the evaluator does not know', () => {
    const deny = sourced('Deny', [
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sts:AssumeRole',
        Condition: { 'ForSomeValues:StringEquals': { 'aws:PrincipalAccount': 'nobody' } },
      },
    ]);
    expect(assumeRoleRefusal({ roleArn: DEPLOY, trust: [...TRUST, ...deny] }, release, run)).toMatch(/explicit deny/);
  });

  it('never lets an Allow with an unknown qualifier grant as if it were unqualified', () => {
    const trust = sourced('Trust', [
      {
        Effect: 'Allow',
        Principal: { AWS: [RELEASE] },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: { 'ForSomeValues:StringEquals': { 'aws:PrincipalAccount': HOME } },
      },
    ]);
    expect(assumeRoleRefusal({ roleArn: DEPLOY, trust }, release, run)).toMatch(/no statement/);
  });

  it('an identity Deny with an unknown operator denies (evaluate)', () => {
    const identity = sourced('Id', [
      { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      {
        Effect: 'Deny',
        Action: 's3:GetObject',
        Resource: '*',
        Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      },
    ]);
    const out = evaluate({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', context: {} }, identity, undefined, {
      arn: RELEASE,
      account: HOME,
    });
    expect(out.decision).toBe('explicit-deny');
  });

  it('refuses a second tag whose key differs from gantry:run-id only in case', () => {
    const tags = [...run.tags, { key: 'GANTRY:RUN-ID', value: 'forged' }];
    expect(assumeRoleRefusal({ roleArn: DEPLOY, trust: TRUST }, release, { ...run, tags })).toBeDefined();
  });
});

describe('AssumeRole parameters on the edge', () => {
  let edge: RunningEdge;
  const calls: AssumeRoleCall[] = [];
  const keys = { accessKeyId: 'AKIAGANTRYTEST01', secretAccessKey: 'secret-of-the-release-role' };

  beforeAll(async () => {
    const identity = new IdentityRegistry('a-session-token-of-length');
    identity.register(keys.accessKeyId, keys.secretAccessKey, {
      kind: 'role',
      roleName: 'gantry-deploy-release-us-east-1',
      roleArn: RELEASE,
    });
    edge = await startEdge({ port: 0, identity, services: [] });
    edge.attach({
      rest: stsService({
        identity,
        assumeRole: (_caller, call) => {
          calls.push(call);
          return {
            ok: true,
            principal: {
              kind: 'role',
              roleName: `gantry-deploy-${HOME}`,
              roleArn: DEPLOY,
              sessionName: call.sessionName,
            },
          };
        },
      }),
    });
  });
  afterAll(() => edge.close());

  const assume = (Tags: { Key: string; Value: string }[]) =>
    fromTemporaryCredentials({
      params: { RoleArn: DEPLOY, RoleSessionName: 'gantry-run-1', Tags },
      masterCredentials: keys,
      clientConfig: { endpoint: edge.endpoint, region: 'us-east-1' },
    })();

  it('passes one run-id tag through', async () => {
    await expect(assume([{ Key: 'gantry:run-id', Value: 'run-1' }])).resolves.toMatchObject({
      accessKeyId: expect.stringMatching(/^ASIA/),
    });
  });

  it.each([
    [
      'the same key twice',
      [
        { Key: 'gantry:run-id', Value: 'run-1' },
        { Key: 'gantry:run-id', Value: 'run-2' },
      ],
    ],
    [
      'a key twice in two cases',
      [
        { Key: 'gantry:run-id', Value: 'run-1' },
        { Key: 'Gantry:Run-Id', Value: 'run-2' },
      ],
    ],
  ])('refuses %s, as STS does (tag keys are case-insensitive)', async (_what, tags) => {
    const before = calls.length;
    await expect(assume(tags)).rejects.toMatchObject({ name: 'ValidationError' });
    expect(calls.length).toBe(before);
  });

  it.each([
    ['a value with a line break (a forged log line)', [{ Key: 'gantry:run-id', Value: 'run-1\nSTS AssumeRole: x' }]],
    ['an empty key', [{ Key: '', Value: 'run-1' }]],
    ['a key longer than 128 characters', [{ Key: 'k'.repeat(129), Value: 'v' }]],
    ['a value longer than 256 characters', [{ Key: 'gantry:run-id', Value: 'v'.repeat(257) }]],
    ['a key in the aws: namespace', [{ Key: 'aws:run-id', Value: 'v' }]],
  ])('refuses a tag with %s', async (_what, tags) => {
    const before = calls.length;
    await expect(assume(tags)).rejects.toMatchObject({ name: 'ValidationError' });
    expect(calls.length).toBe(before);
  });
});

describe('session lifetimes', () => {
  it('refuses a session longer than the role allows (IAM default: one hour)', () => {
    const role = { roleArn: DEPLOY, trust: TRUST };
    expect(assumeRoleRefusal(role, release, { ...run, durationSeconds: 3600 })).toBeUndefined();
    expect(assumeRoleRefusal(role, release, { ...run, durationSeconds: 43_200 })).toMatch(/MaxSessionDuration of 3600/);
    expect(
      assumeRoleRefusal({ ...role, maxSessionDuration: 43_200 }, release, { ...run, durationSeconds: 43_200 }),
    ).toBeUndefined();
  });

  it('refuses a role session more than an hour for another role (role chaining)', async () => {
    const identity = new IdentityRegistry('a-session-token-of-length');
    const chained = { accessKeyId: 'ASIAGANTRYCHAIN1', secretAccessKey: 'secret-of-a-session' };
    identity.register(chained.accessKeyId, chained.secretAccessKey, {
      kind: 'role',
      roleName: 'gantry-deploy-release-us-east-1',
      roleArn: RELEASE,
      sessionName: 'a-session',
    });
    let asked = 0;
    const edge = await startEdge({ port: 0, identity, services: [] });
    try {
      edge.attach({
        rest: stsService({
          identity,
          assumeRole: (_caller, call) => {
            asked += 1;
            return {
              ok: true,
              principal: { kind: 'role', roleName: 'x', roleArn: DEPLOY, sessionName: call.sessionName },
            };
          },
        }),
      });
      const assume = (DurationSeconds: number) =>
        fromTemporaryCredentials({
          params: { RoleArn: DEPLOY, RoleSessionName: 'gantry-run-1', DurationSeconds },
          masterCredentials: chained,
          clientConfig: { endpoint: edge.endpoint, region: 'us-east-1' },
        })();
      await expect(assume(7200)).rejects.toMatchObject({
        name: 'ValidationError',
        message: expect.stringMatching(/1 hour session limit .* role chaining/),
      });
      expect(asked).toBe(0);
      await expect(assume(3600)).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });
    } finally {
      await edge.close();
    }
  });

  it('a deploy-role session cannot assume the deploy role again (its trust names the step roles only)', () => {
    const session = { arn: DEPLOY, account: TARGET, identity: MAY_ASSUME };
    expect(assumeRoleRefusal({ roleArn: DEPLOY, trust: TRUST }, session, run)).toMatch(/no statement/);
  });
});

describe('a person the operator acts as', () => {
  it('is of the account their ARN names: a trust naming a person of another account is not a same-account grant', () => {
    const carol = 'arn:aws:iam::123456789012:user/carol';
    const ops = `arn:aws:iam::${HOME}:role/ops`;
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-sts-user-'));
    try {
      const iam = new LocalIam({
        iam: {
          roles: new Map([
            [
              'ops',
              {
                roleName: 'ops',
                roleArn: ops,
                statements: [],
                trust: sourced('Ops', [{ Effect: 'Allow', Principal: { AWS: carol }, Action: 'sts:AssumeRole' }]),
              },
            ],
          ]),
          functionRoles: new Map(),
          projectRoles: new Map(),
          resourcePolicies: new Map(),
          unresolved: [],
        },
        arns: fixtureArns(HOME),
        dataDir,
      });
      // Across accounts AWS also needs carol's own identity policy, which local mode cannot see: refused.
      expect(
        iam.assumeRole({ kind: 'user', arn: carol }, { roleArn: ops, sessionName: 'carol', tags: [] }),
      ).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/no identity-based policy of the caller/),
      });
      iam.flush();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

const SAME_ACCOUNT_ROLE = `arn:aws:iam::${HOME}:role/gantry-deploy-home`;

describe('assumeRoleRefusal: the caller’s own policies', () => {
  const trustsCaller = sourced('Trust', [{ Effect: 'Allow', Principal: { AWS: [RELEASE] }, Action: 'sts:AssumeRole' }]);
  const denies = sourced('Guardrail', [{ Effect: 'Deny', Action: 'sts:AssumeRole', Resource: SAME_ACCOUNT_ROLE }]);
  const request = { roleArn: SAME_ACCOUNT_ROLE, sessionName: 'gantry-r-1', tags: [] };

  it('applies an explicit Deny in the caller’s identity policy even when the trust policy names the caller', () => {
    const caller = { arn: RELEASE, account: HOME, identity: denies };
    expect(assumeRoleRefusal({ roleArn: SAME_ACCOUNT_ROLE, trust: trustsCaller }, caller, request)).toMatch(
      /explicit deny in an identity-based policy \(Guardrail#0\)/,
    );
  });

  it('still lets a trust policy that names the caller suffice in its own account, without an identity Allow', () => {
    const caller = { arn: RELEASE, account: HOME, identity: [] };
    expect(assumeRoleRefusal({ roleArn: SAME_ACCOUNT_ROLE, trust: trustsCaller }, caller, request)).toBeUndefined();
  });
});
