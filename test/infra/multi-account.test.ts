import { Match, Template } from 'aws-cdk-lib/assertions';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/function-metadata';
import { TARGET_ROLES_ENV } from '../../shared/aws/target-roles';
import { stepRoleName } from '../../shared/config/names';
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
/** An ARN as the templates spell it: the partition is the deploying region's. */
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const STEP_ROLES = STEPS.map((s) => arn(`:iam::${HOME}:role/${stepRoleName(s, REGION)}`));
const DEPLOY_ROLE = arn(`:iam::${PROD}:role/gantry-deploy-${HOME}`);

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

  it('lets exactly the control-plane step roles assume the deploy role, with conditions and a run-id session tag', () => {
    const roles = target$.findResources('AWS::IAM::Role', { Properties: { RoleName: `gantry-deploy-${HOME}` } });
    const [role] = Object.values(roles) as { Properties: { AssumeRolePolicyDocument: unknown } }[];
    const who = {
      StringEquals: { 'aws:PrincipalAccount': HOME },
      ArnEquals: { 'aws:PrincipalArn': STEP_ROLES },
    };
    expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ControlPlaneSteps',
          Effect: 'Allow',
          Principal: { AWS: STEP_ROLES },
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
          Principal: { AWS: STEP_ROLES },
          Action: 'sts:TagSession',
          Condition: {
            ...who,
            Null: { 'aws:RequestTag/gantry:run-id': 'false' },
            'ForAllValues:StringEquals': { 'aws:TagKeys': ['gantry:run-id'] },
          },
        },
      ],
    });
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
    expect(policies).toContain(`gantry-artifacts-${HOME}-${REGION}/releases/widgets/*`);
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

  it('names the step roles and lets each assume exactly the target deploy role', () => {
    const control$ = gantry.control$;
    for (const step of STEPS)
      control$.hasResourceProperties('AWS::IAM::Role', { RoleName: stepRoleName(step, REGION) });
    const assumes = Object.values(control$.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (
        p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }
      ).Properties.PolicyDocument.Statement.filter((s) => JSON.stringify(s.Action).includes('sts:AssumeRole')),
    );
    expect(assumes).toHaveLength(STEPS.length);
    const holding = Object.values(control$.findResources('AWS::Lambda::Function')).filter((fn) =>
      JSON.stringify(fn).includes('"GANTRY_TARGET_ROLES"'),
    );
    expect(holding).toHaveLength(STEPS.length);
    for (const s of assumes)
      expect(s).toMatchObject({ Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: DEPLOY_ROLE });
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
    expect(bucket).toContain('/releases/widgets/*');
    const key = JSON.stringify(data$.findResources('AWS::KMS::Key'));
    expect(key).toContain(role);
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
