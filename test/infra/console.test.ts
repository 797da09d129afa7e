import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CONSOLE_PUBLIC_ROUTES } from '../../infra/constructs/console';
import { PROJECT_ROOT } from '../../infra/paths';
import { AUDIT_ENV } from '../../shared/audit/wiring';
import { CONSOLE_ASSET_FILES, shellPage } from '../../shared/console/assets';
import { CONSOLE_ENV } from '../../shared/console/env';
import { synthGantry, TEST_CONFIG_YAML, testConfig } from '../support/cdk';
import {
  ANSWERERS,
  allowStatements,
  holdersOf,
  operatorFunctionInvokers,
  taskAnswerers,
} from '../support/iam-invariants';

const CONFIG = `${TEST_CONFIG_YAML.replace(
  "carol: { principals: ['arn:aws:iam::123456789012:user/carol'], git: { github: carol } }",
  "carol: { principals: ['arn:aws:iam::123456789012:user/carol'], git: { github: carol }, oidc: ['00u-carol'] }",
)}
console:
  issuer: https://idp.example.com/oauth2/default
  audience: gantry-console-client
  throttle: { rate: 50, burst: 100 }
`;

type Statement = { Action: string | string[]; Resource: unknown };
type Route = { Properties: { RouteKey: string; AuthorizationType?: string; AuthorizerId?: unknown } };

function consoleStatements(t: Template): Statement[] {
  const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((r) =>
    JSON.stringify(r).includes(`"${CONSOLE_ENV.people}"`),
  ) as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } } | undefined;
  if (!fn) throw new Error('no console function');
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .map((p) => p as { Properties: { Roles: { Ref?: string }[]; PolicyDocument: { Statement: Statement[] } } })
    .filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('GantryConsole construct', () => {
  const gantry = synthGantry(testConfig(CONFIG));
  const t = gantry.control$;

  it('adds no one who may answer a waiting task or read an execution history: the console reads, the operator API acts', () => {
    const statements = allowStatements(gantry);
    expect(taskAnswerers(statements)).toEqual(ANSWERERS);
    expect(holdersOf(statements, 'states:GetExecutionHistory').filter((id) => id.startsWith('Console'))).toEqual([]);
    expect(holdersOf(statements, 'states:StopExecution').filter((id) => id.startsWith('Console'))).toEqual([]);
  });

  it("lets the console's role alone invoke the operator function, which it tells the issuer to verify against", () => {
    const handlerIds = Object.keys(t.findResources('AWS::Lambda::Function')).filter((id) =>
      id.startsWith('OperatorApiHandler'),
    );
    expect(handlerIds).toHaveLength(1);
    const invokers = operatorFunctionInvokers(allowStatements(gantry), handlerIds);
    expect(invokers.map((s) => s.id.replace(/Role.*$/, ''))).toEqual(['ConsoleHandler']);
    expect(invokers[0]?.actions).toEqual(['lambda:InvokeFunction']);
    const operator = t.findResources('AWS::Lambda::Function')[handlerIds[0] as string] as {
      Properties: { Environment: { Variables: Record<string, string> } };
    };
    expect(JSON.parse(operator.Properties.Environment.Variables[CONSOLE_ENV.oidc] ?? '')).toMatchObject({
      issuer: 'https://idp.example.com/oauth2/default',
      audience: 'gantry-console-client',
    });
  });

  it('puts the JWT authorizer of the configured issuer and audience on every API route', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://idp.example.com/oauth2/default', Audience: ['gantry-console-client'] },
    });
    const routes = Object.values(t.findResources('AWS::ApiGatewayV2::Route')) as Route[];
    const api = routes.filter((r) => r.Properties.RouteKey.includes('/console/api'));
    expect(api.map((r) => r.Properties.RouteKey)).toEqual(['ANY /console/api/{proxy+}']);
    expect(api[0]?.Properties.AuthorizationType).toBe('JWT');
    expect(api[0]?.Properties.AuthorizerId).toBeDefined();
  });

  it("throttles the console's API as configured", () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
    });
  });

  it('leaves only the shell, the sign-in callback and the static modules public, and only for GET', () => {
    const routes = Object.values(t.findResources('AWS::ApiGatewayV2::Route')) as Route[];
    const open = routes.filter((r) => (r.Properties.AuthorizationType ?? 'NONE') === 'NONE');
    expect(open.map((r) => r.Properties.RouteKey).sort()).toEqual(CONSOLE_PUBLIC_ROUTES.map((p) => `GET ${p}`).sort());
    expect(open.some((r) => r.Properties.RouteKey.includes('/api'))).toBe(false);
    expect(routes.some((r) => r.Properties.RouteKey === '$default')).toBe(false);
  });

  it("maps the people's oidc values and the issuer into the function", () => {
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((r) =>
      JSON.stringify(r).includes(`"${CONSOLE_ENV.people}"`),
    ) as { Properties: { Environment: { Variables: Record<string, string> }; Timeout: number } };
    const vars = fn.Properties.Environment.Variables;
    expect(JSON.parse(vars[CONSOLE_ENV.people] ?? '')).toEqual({ '00u-carol': 'carol' });
    expect(JSON.parse(vars[CONSOLE_ENV.oidc] ?? '')).toMatchObject({ claim: 'sub', algorithms: ['RS256'] });
    expect(fn.Properties.Timeout).toBeLessThanOrEqual(29);
  });

  it('grants reads on runs, the ledger, definitions and build logs, and no action of its own', () => {
    const statements = consoleStatements(t);
    const granted = new Set(statements.flatMap(actionsOf));
    for (const write of ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan', 'logs:PutLogEvents'])
      expect(
        statements.filter((s) => actionsOf(s).includes(write) && JSON.stringify(s.Resource).includes('gantry-')),
      ).toEqual([]);
    const auditWrites = statements.filter(
      (s) =>
        JSON.stringify(s.Resource).includes('gantry-audit') &&
        actionsOf(s).some((a) => a.startsWith('dynamodb:') && a !== 'dynamodb:Query'),
    );
    // The ledger: append only (PutItem, as every writer), never update or delete.
    expect(auditWrites.flatMap(actionsOf).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
    for (const a of [
      'states:DescribeStateMachineForExecution',
      'states:DescribeStateMachine',
      'logs:GetLogEvents',
      'logs:FilterLogEvents',
      'lambda:InvokeFunction',
    ])
      expect(granted).toContain(a);
    for (const a of [
      'states:GetExecutionHistory',
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
      'states:StopExecution',
      'states:StartExecution',
      'codedeploy:StopDeployment',
    ])
      expect(granted).not.toContain(a);
    // The runs table: read only; the operator function records what the console's people do.
    const runWrites = statements.filter(
      (s) =>
        JSON.stringify(s.Resource).includes('gantry-runs') &&
        actionsOf(s).some((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)),
    );
    expect(runWrites).toEqual([]);
    expect([...granted].filter((a) => a.endsWith('*') || a === 'dynamodb:UpdateTable' || a.startsWith('iam:'))).toEqual(
      [],
    );
  });

  it('lets the Audit page verify the signed checkpoints, never sign or write one', () => {
    const statements = consoleStatements(t);
    const granted = new Set(statements.flatMap(actionsOf));
    for (const a of ['kms:Verify', 's3:ListBucketVersions', 's3:GetObject', 's3:GetObjectVersion'])
      expect(granted).toContain(a);
    for (const a of ['kms:Sign', 's3:PutObject', 's3:DeleteObject', 's3:PutObjectRetention'])
      expect(granted).not.toContain(a);
    const reads = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(reads.map((s) => JSON.stringify(s.Resource)).join(' ')).toContain('gantry-audit-checkpoints-');
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((r) =>
      JSON.stringify(r).includes(`"${CONSOLE_ENV.people}"`),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining([AUDIT_ENV.checkpointKey, AUDIT_ENV.checkpointBucket]),
    );
  });

  it('passes the cdk-nag AWS Solutions checks with the console deployed', () => {
    const { app } = synthGantry(testConfig(CONFIG), true);
    expect(() => app.synth({ force: true })).not.toThrow();
  });

  it('bundles every browser module the shell names, from files that exist', () => {
    for (const file of CONSOLE_ASSET_FILES) expect(existsSync(join(PROJECT_ROOT, file))).toBe(true);
    const served = CONSOLE_ASSET_FILES.map((f) => f.split('/').pop());
    const named = [...shellPage('/console').matchAll(/\/console\/static\/([\w.-]+)/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(3);
    for (const name of named) expect(served).toContain(name);
  });

  it('is absent when the config has no console section', () => {
    const plain = synthGantry(testConfig()).control$;
    expect(Object.keys(plain.findResources('AWS::ApiGatewayV2::Api'))).toEqual([]);
    expect(JSON.stringify(plain.toJSON())).not.toContain(CONSOLE_ENV.oidc);
  });
});
