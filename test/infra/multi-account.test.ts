import { Match, Template } from 'aws-cdk-lib/assertions';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/function-metadata';
import { matchesPattern } from '../../local/eventbridge';
import { TARGET_ROLES_ENV } from '../../shared/aws/target-roles';
import { stepRoleName, TARGET_ROLE_KINDS, type TargetRoleKind } from '../../shared/config/names';
import { multiAccountYaml, synthGantry, testConfig } from '../support/cdk';
import { actionsOf, allowStatements, covers, statementsByFunction } from '../support/iam-invariants';

const HOME = '111111111111';
const PROD = '222222222222';
const REGION = 'eu-west-1';

/**
 * The test config with the control plane pinned and widgets' prod released into its own account;
 * both of widgets' targets are sample targets (provisioned by a sample stack in each account).
 */
const MULTI_ACCOUNT_YAML = multiAccountYaml(HOME, REGION, { prod: PROD })
  .replace('lambda: { function: widgets-dev }', 'lambda: { function: widgets-dev }\n          sample: true')
  .replace('lambda: { function: widgets-prod }', 'lambda: { function: widgets-prod }\n          sample: true')
  .replace('  - name: widgets\n', '  - name: widgets\n    requireSeparateAccount: true\n');

const STEPS = ['deploy-release', 'deploy-verify', 'deploy-events', 'resolve-plan', 'record-failure', 'operator-api'];
/** The target role each step acts as (infra/constructs/cross-account.ts, TARGET_ROLE_OF). */
const KIND_OF: Record<string, TargetRoleKind> = {
  'deploy-release': 'deploy',
  'deploy-verify': 'verify',
  'deploy-events': 'stop',
  'resolve-plan': 'stop',
  'record-failure': 'stop',
  'operator-api': 'stop',
};
/** An ARN as the templates spell it: the partition is the deploying region's. */
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const stepRole = (step: string) => arn(`:iam::${HOME}:role/${stepRoleName(step, REGION)}`);
const STEP_ROLES = STEPS.map(stepRole);
const targetRole = (kind: TargetRoleKind) => arn(`:iam::${PROD}:role/gantry-${kind}-${HOME}`);
/** What releases: new code into the function, a version of it, or a deployment with any AppSpec. */
const RELEASING = ['lambda:UpdateFunctionCode', 'lambda:PublishVersion', 'codedeploy:CreateDeployment'];
/** The steps that never release (the operator API faces the internet). */
const NON_RELEASING = ['operator-api', 'deploy-events', 'resolve-plan', 'record-failure'];

interface TemplateRole {
  Properties: {
    RoleName: string;
    AssumeRolePolicyDocument: {
      Statement: { Principal: { AWS: unknown }; Condition: { ArnEquals?: { 'aws:PrincipalArn': unknown } } }[];
    };
  };
}
interface TemplatePolicy {
  Properties: {
    Roles: { Ref: string }[];
    PolicyDocument: { Statement: { Effect: string; Action: string | string[]; Resource: unknown }[] };
  };
}

/** A target stack's roles: their ARN, who their trust policy lets assume them, and what they allow. */
function targetRoles(template: Template) {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as TemplatePolicy[];
  const same = (a: unknown) => (b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return Object.entries(template.findResources('AWS::IAM::Role') as Record<string, TemplateRole>)
    .filter(([, role]) => role.Properties.RoleName?.endsWith(`-${HOME}`))
    .map(([id, role]) => {
      const statements = policies
        .filter((p) => p.Properties.Roles.some((r) => r.Ref === id))
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((st) => st.Effect === 'Allow');
      const trust = role.Properties.AssumeRolePolicyDocument.Statement;
      return {
        name: role.Properties.RoleName,
        arn: arn(`:iam::${PROD}:role/${role.Properties.RoleName}`),
        /** Named both as a principal and in the PrincipalArn condition of every trust statement. */
        trusts: (principal: unknown) =>
          trust.every(
            (st) =>
              [st.Principal.AWS].flat().some(same(principal)) &&
              [st.Condition.ArnEquals?.['aws:PrincipalArn'] ?? []].flat().some(same(principal)),
          ),
        allows: (action: string) => statements.some((st) => [st.Action].flat().some((a) => covers(a, action))),
      };
    });
}

/** The artifacts-bucket keys a policy text grants, in order of appearance. */
function releaseKeys(text: string): string[] {
  return [...new Set([...text.matchAll(/\/(releases\/[^"]*)"/g)].map((m) => m[1] ?? ''))];
}

describe('releasing into another account', () => {
  let gantry: ReturnType<typeof synthGantry>;
  let target$: Template;

  beforeAll(() => {
    gantry = synthGantry(testConfig(MULTI_ACCOUNT_YAML), true);
    const [stack] = gantry.targets;
    if (stack === undefined) throw new Error('no target stack');
    target$ = Template.fromStack(stack);
  });

  it("adds one GantryTarget stack, pinned to the target account and the control plane's region (no lookups)", () => {
    expect(gantry.targets.map((s) => [s.stackName, s.account, s.region])).toEqual([
      [`GantryTarget-${PROD}`, PROD, REGION],
    ]);
  });

  it.each(TARGET_ROLE_KINDS)(
    "trusts exactly the control plane's %s steps in the target role of that kind, with conditions and a run-id session tag",
    (kind) => {
      const roles = target$.findResources('AWS::IAM::Role', { Properties: { RoleName: `gantry-${kind}-${HOME}` } });
      const [role] = Object.values(roles) as { Properties: { AssumeRolePolicyDocument: unknown } }[];
      const trusted = STEPS.filter((step) => KIND_OF[step] === kind).map(stepRole);
      // CloudFormation takes one principal as itself, several as a list (the synthesizer collapses it).
      const principals = trusted.length === 1 ? trusted[0] : trusted;
      const who = {
        StringEquals: { 'aws:PrincipalAccount': HOME },
        ArnEquals: { 'aws:PrincipalArn': trusted },
      };
      expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ControlPlaneSteps',
            Effect: 'Allow',
            Principal: { AWS: principals },
            Action: 'sts:AssumeRole',
            Condition: {
              ...who,
              StringLike: { 'sts:RoleSessionName': 'gantry-*' },
              Null: { 'aws:RequestTag/gantry:run-id': 'false' },
            },
          },
          {
            Sid: 'RunIdSessionTag',
            Effect: 'Allow',
            Principal: { AWS: principals },
            Action: 'sts:TagSession',
            Condition: {
              ...who,
              Null: { 'aws:RequestTag/gantry:run-id': 'false' },
              'ForAllValues:StringEquals': { 'aws:TagKeys': ['gantry:run-id'] },
            },
          },
        ],
      });
    },
  );

  it.each(NON_RELEASING)(
    'lets %s assume no target role that may publish code or create a deployment (neither its grant nor any trust policy)',
    (step) => {
      const grants = statementsByFunction(gantry, FUNCTION_METADATA_KEY).get(step) ?? [];
      const assumable = grants
        .filter((st) => st.actions.some((a) => covers(a, 'sts:AssumeRole')))
        .flatMap((st) => st.resources);
      const releasing = targetRoles(target$).filter((role) => RELEASING.some(role.allows));
      expect(releasing.map((r) => r.name)).toEqual([`gantry-deploy-${HOME}`, `gantry-verify-${HOME}`]);
      for (const role of releasing) {
        expect(role.trusts(stepRole(step))).toBe(false);
        expect(assumable).not.toContainEqual(role.arn);
      }
      // What it may assume instead: the stop role, which reads and stops deployments only.
      expect(assumable).toEqual([targetRole('stop')]);
    },
  );

  it('lets deploy-release, and only it, assume a target role that publishes code and creates deployments', () => {
    const grants = statementsByFunction(gantry, FUNCTION_METADATA_KEY);
    const mayAssume = (step: string, role: { arn: unknown; trusts: (p: unknown) => boolean }) =>
      role.trusts(stepRole(step)) &&
      (grants.get(step) ?? []).some(
        (st) =>
          st.actions.some((a) => covers(a, 'sts:AssumeRole')) &&
          st.resources.some((r) => JSON.stringify(r) === JSON.stringify(role.arn)),
      );
    const publishers = targetRoles(target$).filter((role) =>
      ['lambda:UpdateFunctionCode', 'lambda:PublishVersion'].some(role.allows),
    );
    expect(publishers.map((r) => r.name)).toEqual([`gantry-deploy-${HOME}`]);
    const release = publishers[0];
    if (release === undefined) throw new Error('no release role');
    expect(RELEASING.every(release.allows)).toBe(true);
    expect(STEPS.filter((step) => mayAssume(step, release))).toEqual(['deploy-release']);
  });

  it("limits the verify role's deployments to an all-at-once rollback of the Lambda target, and gives it no code or packages", () => {
    const verify = targetRoles(target$).find((r) => r.name === `gantry-verify-${HOME}`);
    expect(verify?.trusts(stepRole('deploy-verify'))).toBe(true);
    for (const action of [
      'lambda:UpdateFunctionCode',
      'lambda:PublishVersion',
      'lambda:GetAlias',
      's3:GetObject',
      'kms:Decrypt',
    ])
      expect(verify?.allows(action)).toBe(false);
    const [id] = Object.keys(
      target$.findResources('AWS::IAM::Role', { Properties: { RoleName: `gantry-verify-${HOME}` } }),
    );
    const policy = JSON.stringify(
      Object.values(target$.findResources('AWS::IAM::Policy')).filter((p) =>
        JSON.stringify((p as TemplatePolicy).Properties.Roles).includes(`"${id}"`),
      ),
    );
    expect(policy.match(/deploymentconfig:[^"]*/g)).toEqual(['deploymentconfig:CodeDeployDefault.LambdaAllAtOnce']);
  });

  it('grants no wildcard and no account root anywhere in a trust policy of the target stack', () => {
    const trust = JSON.stringify(
      Object.values(target$.findResources('AWS::IAM::Role')).map(
        (r) => (r as { Properties: { AssumeRolePolicyDocument: unknown } }).Properties.AssumeRolePolicyDocument,
      ),
    );
    expect(trust).not.toMatch(/"\*"|:root/);
    expect(trust).toContain(`:iam::${HOME}:role/gantry-deploy-release-${REGION}`);
  });

  it("limits the deploy role to prod's group, function and release packages, never the control plane's targets", () => {
    const policies = JSON.stringify(target$.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('deploymentgroup:widgets/prod');
    expect(policies).toContain('function:widgets-prod');
    // The configured package of each trusted build, never the rest a build uploads (reports, files
    // a gated build wrote with the pipeline's secrets): the target account's admin can act as this role.
    // Prod waits for approval: its releases are built in the gated project, and only those are read.
    expect(releaseKeys(policies)).toEqual(['releases/widgets/gated/*/artifacts/dist/function.zip']);
    expect(policies).not.toContain('deploymentgroup:widgets/dev');
    expect(policies).not.toContain('widgets-dev');
    expect(policies).not.toContain('deploymentconfig:*');
  });

  it("forwards the target's CodeDeploy state changes to the control plane's bus", () => {
    target$.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.codedeploy'], detail: { application: ['widgets'] } },
      Targets: [Match.objectLike({ Arn: arn(`:events:${REGION}:${HOME}:event-bus/gantry`) })],
    });
  });

  it('lets the bus accept PutEvents from the registered target account only', () => {
    const control$ = gantry.control$;
    const policies = Object.values(control$.findResources('AWS::Events::EventBusPolicy')).map(
      (p) => (p as { Properties: { Statement: { Principal: unknown; Condition: unknown } } }).Properties.Statement,
    );
    expect(policies).toEqual([
      expect.objectContaining({
        Principal: { AWS: arn(`:iam::${PROD}:root`) },
        Action: 'events:PutEvents',
        Condition: {
          StringEquals: {
            'events:source': 'aws.codedeploy',
            'events:detail-type': 'CodeDeploy Deployment State-change Notification',
          },
        },
      }),
    ]);
    control$.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { account: [PROD], source: ['aws.codedeploy'] },
    });
  });

  it('names the step roles and lets each assume exactly the target role of its kind', () => {
    const control$ = gantry.control$;
    for (const step of STEPS)
      control$.hasResourceProperties('AWS::IAM::Role', { RoleName: stepRoleName(step, REGION) });
    const holding = Object.values(control$.findResources('AWS::Lambda::Function')).filter((fn) =>
      JSON.stringify(fn).includes('"GANTRY_TARGET_ROLES"'),
    );
    expect(holding).toHaveLength(STEPS.length);
    const grants = statementsByFunction(gantry, FUNCTION_METADATA_KEY);
    for (const step of STEPS) {
      const assumes = (grants.get(step) ?? []).filter((st) => st.actions.includes('sts:AssumeRole'));
      expect(assumes).toEqual([
        { actions: ['sts:AssumeRole', 'sts:TagSession'], resources: [targetRole(KIND_OF[step] ?? 'stop')] },
      ]);
    }
  });

  it('gives each acting step, and no other function, its named role, the AssumeRole grant and the target roles', () => {
    const assumers = [...statementsByFunction(gantry, FUNCTION_METADATA_KEY)]
      .filter(([, statements]) => actionsOf(statements).includes('sts:AssumeRole'))
      .map(([name]) => name);
    expect(assumers.sort()).toEqual([...STEPS].sort());
    const control$ = gantry.control$;
    const functions = Object.values(control$.findResources('AWS::Lambda::Function')) as {
      Metadata: Record<string, string>;
      Properties: { Role: { 'Fn::GetAtt': [string, string] }; Environment: { Variables: Record<string, unknown> } };
    }[];
    const roles = control$.findResources('AWS::IAM::Role');
    const acting = functions.filter((fn) => TARGET_ROLES_ENV in fn.Properties.Environment.Variables);
    expect(acting.map((fn) => fn.Metadata[FUNCTION_METADATA_KEY]).sort()).toEqual([...STEPS].sort());
    for (const fn of acting)
      expect(roles[fn.Properties.Role['Fn::GetAtt'][0]]?.Properties.RoleName).toBe(
        stepRoleName(fn.Metadata[FUNCTION_METADATA_KEY] ?? '', REGION),
      );
  });

  it("lets the deploy role read widgets' release packages from the artifacts bucket, and decrypt them through S3 only", () => {
    const data$ = gantry.data$;
    const bucket = JSON.stringify(data$.findResources('AWS::S3::BucketPolicy'));
    const role = `:iam::${PROD}:role/gantry-deploy-${HOME}`;
    expect(bucket).toMatch(
      new RegExp(`"aws:PrincipalArn":\\{"Fn::Join":\\["",\\["arn:",\\{"Ref":"AWS::Partition"\\},"${role}"`),
    );
    expect(releaseKeys(bucket)).toEqual(['releases/widgets/gated/*/artifacts/dist/function.zip']);
    const [pattern = ''] = releaseKeys(bucket);
    expect(covers(pattern, 'releases/widgets/gated/b7/artifacts/dist/function.zip')).toBe(true);
    for (const other of [
      'releases/widgets/gated/b7/artifacts/reports/junit.xml',
      'releases/widgets/gated/b7/artifacts/.env',
      // Another class's builds (dev's, from pushes nobody reviewed) are no package prod releases.
      'releases/widgets/ungated/b8/artifacts/dist/function.zip',
    ])
      expect(covers(pattern, other)).toBe(false);
    const key = JSON.stringify(data$.findResources('AWS::KMS::Key'));
    expect(key).toContain(role);
    // Only the release role reads release packages: never the verify or stop role.
    for (const text of [bucket, key]) expect(text).not.toMatch(/role\/gantry-(verify|stop)-/);
    expect(key).toContain('"kms:ViaService":{"Fn::Join":["",["s3.",{"Ref":"AWS::Region"},".amazonaws.com"]]}');
  });

  it("provisions each account's sample targets in that account: prod's in GantrySampleService-222222222222, after its GantryTarget stack", () => {
    const functionsOf = (stack: Parameters<typeof Template.fromStack>[0]) =>
      Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(
        (f) => (f as { Properties: { FunctionName?: string } }).Properties.FunctionName,
      );
    const home = gantry.sample;
    const [prod] = gantry.foreignSamples;
    if (home === undefined || prod === undefined) throw new Error('a sample stack is missing');
    expect(home.stackName).toBe('GantrySampleService');
    expect(gantry.foreignSamples.map((s) => [s.stackName, s.account, s.region])).toEqual([
      [`GantrySampleService-${PROD}`, PROD, REGION],
    ]);
    expect(functionsOf(home)).toEqual(expect.arrayContaining(['widgets-dev', 'gantry-traffic-hook']));
    expect(functionsOf(home)).not.toContain('widgets-prod');
    expect(functionsOf(prod)).toEqual(expect.arrayContaining(['widgets-prod', 'gantry-traffic-hook']));
    expect(functionsOf(prod)).not.toContain('widgets-dev');
    Template.fromStack(prod).hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentGroupName: 'prod',
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    });
    // After the account's GantryTarget stack, which makes Gantry's custom deployment configurations there.
    expect(prod.dependencies.map((s) => s.stackName)).toEqual([`GantryTarget-${PROD}`]);
  });

  it("forwards calls on the signing roles from us-east-1, where IAM's events arrive, to the control plane's default bus", () => {
    const watch = gantry.iamWatch;
    if (watch === undefined) throw new Error('no GantryIamWatch stack for a control plane in eu-west-1');
    expect([watch.stackName, watch.account, watch.region]).toEqual(['GantryIamWatch', HOME, 'us-east-1']);
    const template = gantry.app.synth().getStackByName(watch.stackName).template as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const rule = rules[0]?.Properties as { EventPattern: object; Targets: { Arn: unknown }[] };
    expect(JSON.stringify(rule.Targets.map((t) => t.Arn))).toContain(`:events:${REGION}:${HOME}:event-bus/default`);
    // Across regions EventBridge forwards with a role, which only this account's rules may use.
    const roles = Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
    expect(roles).toHaveLength(1);
    expect(JSON.stringify(roles[0]?.Properties.AssumeRolePolicyDocument)).toContain(
      `"Condition":{"StringEquals":{"aws:SourceAccount":"${HOME}"}}`,
    );
    // The same calls the control plane's own tampering rule matches there, on the home region's role names.
    const call = (roleName: string, eventName = 'UpdateAssumeRolePolicy') => ({
      version: '0',
      id: 'e-1',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.iam',
      account: HOME,
      time: '2026-12-07T18:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { eventSource: 'iam.amazonaws.com', eventName, requestParameters: { roleName } },
    });
    // The control plane (deployed in the configured REGION) names them `gantry-<step>-${AWS::Region}` in its own rule.
    expect(JSON.stringify(gantry.control$.findResources('AWS::Events::Rule'))).toContain(
      '"roleName":[{"Fn::Join":["",["gantry-record-provenance-",{"Ref":"AWS::Region"}]]}',
    );
    for (const role of [`gantry-record-provenance-${REGION}`, `gantry-audit-checkpoint-${REGION}`])
      expect(matchesPattern(rule.EventPattern, call(role))).toBe(true);
    expect(matchesPattern(rule.EventPattern, call(`gantry-resolve-plan-${REGION}`))).toBe(false);
    expect(matchesPattern(rule.EventPattern, call(`gantry-record-provenance-${REGION}`, 'GetRole'))).toBe(false);
  });

  it('passes cdk-nag in every stack, the target stack included', () => {
    expect(() => gantry.app.synth({ force: true })).not.toThrow();
  });
});

describe('releasing into another account, with the web console deployed', () => {
  it('trusts the same step roles and never the console, which acts only through the operator API', () => {
    const gantry = synthGantry(
      testConfig(
        `${MULTI_ACCOUNT_YAML}console:\n  issuer: https://idp.example.com/oauth2/default\n  audience: gantry-console-client\n`,
      ),
    );
    const [stack] = gantry.targets;
    if (stack === undefined) throw new Error('no target stack');
    const text = JSON.stringify(Template.fromStack(stack).toJSON());
    for (const role of STEP_ROLES) expect(text).toContain(JSON.stringify(role));
    expect(text).not.toContain('console');
    const assumers = allowStatements(gantry)
      .filter((s) => s.actions.some((a) => covers(a, 'sts:AssumeRole')))
      .map((s) => s.id.replace(/Role.*$/, ''));
    expect(assumers.length).toBeGreaterThan(0);
    expect(assumers.filter((id) => id.startsWith('Console'))).toEqual([]);
  });
});
