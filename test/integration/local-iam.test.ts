import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { iamReport, readDecisions } from '../../cli/local/iam-report';
import { loadGantryConfig } from '../../infra/config/load';
import { connectionSecretName } from '../../infra/config/schema';
import { readRuntimeInfo } from '../../local/discovery';
import { arnLookups, DECISIONS_FILE, LocalIam, type TemplateIam, templateIam } from '../../local/iam';
import { TemplateResolver } from '../../local/template/resolver';
import { synthTemplates } from '../../local/template/synth';
import type { StackTemplate } from '../../local/template/types';
import { apiTokenSecretName } from '../../shared/secrets/secrets';
import { eventually, startTestPlane, type TestPlane } from '../support/local';
import { staleEntries, uncoveredGrants } from './local-iam-unused';

/** The environments of a plane's service version processes whose function ARN matches, as any process of the user can read them. */
function serviceProcesses(arn: RegExp, endpoint: string): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let raw: string;
    try {
      raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    const env = Object.fromEntries(
      raw
        .split('\0')
        .filter((kv) => kv.includes('='))
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    // Other test files' planes run beside this one: only this plane's edge's processes.
    if (arn.test(env.GANTRY_FUNCTION_ARN ?? '') && env.AWS_ENDPOINT_URL === endpoint) found.push(env);
  }
  return found;
}

const config = loadGantryConfig(join(import.meta.dirname, '..', '..', 'gantry.config.yaml'));
const SECRET = connectionSecretName(config.connections[0] ?? { name: 'github-demo' });
const ENV = { region: 'us-east-1', accountId: '000000000000', edgeEndpoint: 'http://127.0.0.1:4566' };

/** The webhook receiver's GetSecretValue on its connection's secret, as the edge sees the SDK's call. */
function receiverReadsSecret(secretId = SECRET) {
  return {
    method: 'POST',
    url: new URL('http://127.0.0.1:4566/'),
    headers: { 'x-amz-target': 'secretsmanager.GetSecretValue' },
    body: Buffer.from(JSON.stringify({ SecretId: secretId })),
  };
}

function localIamOf(templates: StackTemplate[], dataDir: string): { iam: LocalIam; model: TemplateIam } {
  const resolver = new TemplateResolver(templates, ENV);
  const model = templateIam(resolver);
  return { iam: new LocalIam({ iam: model, arns: arnLookups(resolver, [], []), dataDir }), model };
}

/** The templates with every grant of `action` removed from the role of the function in folder `label`. */
function withoutGrant(templates: StackTemplate[], rolePart: string, action: string): StackTemplate[] {
  const copy = structuredClone(templates);
  for (const stack of copy) {
    for (const [id, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource.Type !== 'AWS::IAM::Policy' || !id.includes(rolePart)) continue;
      const document = (resource.Properties as { PolicyDocument: { Statement: { Action: string | string[] }[] } })
        .PolicyDocument;
      document.Statement = document.Statement.map((s) => ({
        ...s,
        Action: [s.Action].flat().filter((a) => a !== action),
      })).filter((s) => s.Action.length > 0);
    }
  }
  return copy;
}

describe('local IAM: a grant missing from the template', () => {
  const templates = synthTemplates(config);
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-iam-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  function receiverDecision(t: StackTemplate[], secretId?: string, role = 'WebhookIngressReceiverRole') {
    const { iam, model } = localIamOf(t, dataDir);
    const roleName = [...model.roles.keys()].find((r) => r.includes(role)) ?? '';
    const roleArn = model.roles.get(roleName)?.roleArn ?? '';
    expect(roleArn).not.toBe('');
    return iam.decide({ kind: 'role', roleName, roleArn }, receiverReadsSecret(secretId));
  }

  it('allows the receiver to read its connection secret with the template as synthesized', () => {
    expect(receiverDecision(templates)).toBeUndefined();
  });

  it("never lets the receiver, which parses what the internet sends, read the connection's API token", () => {
    const token = apiTokenSecretName(SECRET);
    expect(receiverDecision(templates, token)).toMatchObject({
      action: 'secretsmanager:GetSecretValue',
      reason: 'because no identity-based policy allows the secretsmanager:GetSecretValue action',
    });
    // The steps that talk to the provider read it.
    expect(receiverDecision(templates, token, 'PipelineStepsreportstatusRole')).toBeUndefined();
  });

  it('denies it, saying what is missing, once the grant is removed', () => {
    const denied = receiverDecision(withoutGrant(templates, 'WebhookIngressReceiver', 'secretsmanager:GetSecretValue'));
    expect(denied).toMatchObject({
      action: 'secretsmanager:GetSecretValue',
      reason: 'because no identity-based policy allows the secretsmanager:GetSecretValue action',
    });
    expect(denied?.resource).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry\/connections\//);
    expect(denied?.callers.some((c) => c.includes('WebhookIngressReceiver'))).toBe(true);
  });
});

describe('local IAM: dynamodb:LeadingKeys, as DynamoDB supplies it', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-iam-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const call = (operation: string, pk: string) => ({
    method: 'POST',
    url: new URL('http://127.0.0.1:4566/'),
    headers: { 'x-amz-target': `DynamoDB_20120810.${operation}` },
    body: Buffer.from(
      JSON.stringify({ TableName: 'gantry-deliveries', Key: { pk: { S: pk } }, Item: { pk: { S: pk } } }),
    ),
  });
  let local: ReturnType<typeof localIamOf>;
  beforeAll(() => {
    local = localIamOf(synthTemplates(config), dataDir);
  });
  const roleLike = (pattern: RegExp) => {
    const roleName = [...local.model.roles.keys()].find((r) => pattern.test(r)) ?? '';
    const roleArn = local.model.roles.get(roleName)?.roleArn ?? '';
    expect(roleArn).not.toBe('');
    return { kind: 'role' as const, roleName, roleArn };
  };

  it('keeps the webhook receiver to deliveries and signed content: it cannot erase a used caller proof or a notification', () => {
    const as = roleLike(/WebhookIngressReceiverRole/);
    for (const pk of ['github#d-1', 'azure-devops#d-2', 'content#github#abc'])
      for (const operation of ['PutItem', 'GetItem', 'UpdateItem', 'DeleteItem'])
        expect(local.iam.decide(as, call(operation, pk))).toBeUndefined();
    // Deleting a proof# item would let a captured operator request act again; notify# a second message.
    for (const pk of ['proof#0f0f', 'notify#run-1#slack'])
      for (const operation of ['PutItem', 'DeleteItem'])
        expect(local.iam.decide(as, call(operation, pk))).toMatchObject({ action: `dynamodb:${operation}` });
  });

  it('keeps the notifier to its own items of the deliveries table (ForAllValues:StringLike notify#*)', () => {
    const { iam } = local;
    const as = roleLike(/Notifier/i);
    expect(iam.decide(as, call('PutItem', 'notify#run-1#slack'))).toBeUndefined();
    expect(iam.decide(as, call('GetItem', 'notify-rate#slack#2026-12-06T21'))).toBeUndefined();
    // A webhook's dedupe item: AWS refuses it, and so does local mode.
    for (const operation of ['PutItem', 'DeleteItem', 'GetItem'])
      expect(iam.decide(as, call(operation, 'github#delivery#abc'))).toMatchObject({
        action: `dynamodb:${operation}`,
      });
  });
});

describe('local IAM at the edge: what a build may not do', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane();
  }, 120_000);
  afterAll(() => t?.close());

  function buildRoles(): [string, { accessKeyId: string; secretAccessKey: string }][] {
    const roles = readRuntimeInfo(t.dataDir)?.roles ?? {};
    return Object.entries(roles).filter(([name]) => /BuildRole/.test(name));
  }

  it('gives each build project its own role credentials in runtime.json', () => {
    const names = buildRoles().map(([name]) => name);
    expect(names.some((n) => n.includes('UntrustedBuildRole'))).toBe(true);
    expect(names.some((n) => !n.includes('Untrusted'))).toBe(true);
  });

  it.each(['trusted', 'untrusted'])('refuses the %s build reading a connection secret', async (kind) => {
    const [role, credentials] =
      buildRoles().find(([name]) => name.includes('Untrusted') === (kind === 'untrusted')) ?? [];
    expect(credentials).toBeDefined();
    const client = new SecretsManagerClient({ endpoint: t.plane.awsEndpoint, region: t.plane.region, credentials });
    const error = await client.send(new GetSecretValueCommand({ SecretId: SECRET })).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    expect((error as Error).message).toContain(`:assumed-role/${role}/`);
    expect((error as Error).message).toContain('is not authorized to perform: secretsmanager:GetSecretValue');
    expect(t.logs.some((l) => l.startsWith('iam ') && l.includes('secretsmanager:GetSecretValue'))).toBe(true);
  });

  it('refuses a build answering a task token', async () => {
    const [, credentials] = buildRoles()[0] ?? [];
    const sfn = new SFNClient({ endpoint: t.plane.awsEndpoint, region: t.plane.region, credentials });
    const error = await sfn
      .send(new SendTaskSuccessCommand({ taskToken: 'any-token', output: '{}' }))
      .catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
  });

  it('refuses a step writing another step’s part of a run: evaluate-gates taken over cannot approve one', async () => {
    const [role, credentials] =
      Object.entries(readRuntimeInfo(t.dataDir)?.roles ?? {}).find(([name]) => /evaluategates/i.test(name)) ?? [];
    expect(credentials).toBeDefined();
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: t.plane.awsEndpoint, region: t.plane.region, credentials }),
    );
    const write = (attribute: string, value: unknown) =>
      db
        .send(
          new UpdateCommand({
            TableName: 'gantry-runs',
            Key: { runId: 'run-nobody-planned' },
            UpdateExpression: 'SET #a = :v, updatedAt = :now',
            ConditionExpression: 'attribute_exists(runId)',
            ExpressionAttributeNames: { '#a': attribute },
            ExpressionAttributeValues: { ':v': value, ':now': new Date().toISOString() },
          }),
        )
        .catch((e: Error) => e);
    const denied = await write('approval', { outcome: 'approved', decisions: {} });
    expect(denied).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    expect((denied as Error).message).toContain(`:assumed-role/${role}/`);
    // Its own part passes IAM, and fails only the condition (no such run).
    expect(await write('gates', { passed: true })).toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('still serves the operator (the session token) and the functions their own grants', async () => {
    const operator = new SecretsManagerClient({
      endpoint: t.plane.awsEndpoint,
      region: t.plane.region,
      credentials: t.plane.operator,
    });
    const out = await operator.send(new GetSecretValueCommand({ SecretId: SECRET }));
    expect(out.SecretString).toContain('webhookSecret');
    // The receiver's secret holds no provider token: that is in its own secret, which the receiver cannot read.
    expect(out.SecretString).not.toContain('apiToken');
    const token = await operator.send(new GetSecretValueCommand({ SecretId: apiTokenSecretName(SECRET) }));
    expect(JSON.parse(token.SecretString ?? '{}').apiToken).toMatch(/^local-/);
  });

  it('reports the denied calls per role', async () => {
    // The edge writes its decisions off the call's path (a short debounce), so the file catches up.
    const untrusted = await eventually('the untrusted build’s denial in the decisions file', async () =>
      existsSync(join(t.dataDir, DECISIONS_FILE))
        ? iamReport(readDecisions(t.dataDir)).find(
            (r) =>
              r.role.includes('UntrustedBuildRole') &&
              r.denied.some((d) => d.action === 'secretsmanager:GetSecretValue'),
          )
        : undefined,
    );
    expect(untrusted?.denied.map((d) => d.action)).toContain('secretsmanager:GetSecretValue');
    expect(untrusted?.unusedGrants.length).toBeGreaterThan(0);
  });
});

describe('local IAM on a whole run', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane();
  }, 120_000);
  afterAll(() => t?.close());

  it('runs a develop push to success with every call of every role authorized', async () => {
    const { push } = await t.push({ branch: 'develop' });
    const run = await eventually(
      'the develop run to end',
      async () => {
        const found = (await t.runs.list({ pipeline: 'sample-service' })).find((r) => r.commit === push.after);
        return found && !['QUEUED', 'RUNNING'].includes(found.status) ? found : undefined;
      },
      240_000,
    );
    expect({ status: run.status, denied: t.logs.filter((l) => l.startsWith('iam ')) }).toEqual({
      status: 'SUCCEEDED',
      denied: [],
    });
    // The run's record says SUCCEEDED at ReportSuccess; its execution then hands the lane on
    // (ReleaseLane, on the wait-turn function): wait for that too, so the report is the whole run's.
    const execution = await eventually(
      'the develop execution to end',
      async () => {
        const { status } = await t.sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
        return status === 'RUNNING' ? undefined : status;
      },
      60_000,
    );
    expect(execution).toBe('SUCCEEDED');

    // The deployed service is the change's own code: its processes hold its function's role's
    // credentials, which may not move another environment's alias (the runtime's internal ones could).
    const roles = readRuntimeInfo(t.dataDir)?.roles ?? {};
    const services = serviceProcesses(/:function:gantry-sample-service-/, t.plane.awsEndpoint);
    expect(services.length).toBeGreaterThan(0);
    for (const env of services) {
      const role = Object.entries(roles).find(([, c]) => c.accessKeyId === env.AWS_ACCESS_KEY_ID)?.[0];
      expect({ function: env.GANTRY_FUNCTION_ARN, role }).toEqual({
        function: env.GANTRY_FUNCTION_ARN,
        role: expect.stringMatching(/Role/),
      });
    }
    const held = services[0] as Record<string, string>;
    const lambda = new LambdaClient({
      endpoint: t.plane.awsEndpoint,
      region: t.plane.region,
      credentials: { accessKeyId: held.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: held.AWS_SECRET_ACCESS_KEY ?? '' },
    });
    const moved = await lambda
      .send(new UpdateAliasCommand({ FunctionName: 'gantry-sample-service-prod', Name: 'live', FunctionVersion: '1' }))
      .catch((e: Error) => e);
    lambda.destroy();
    expect(moved).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    // That refusal is the one denial of the run, and it is the service's role's.
    expect(t.logs.filter((l) => l.startsWith('iam '))).toEqual([expect.stringContaining('lambda:UpdateAlias')]);

    const decisions = await t.plane.close().then(() => readDecisions(t.dataDir));
    const report = iamReport(decisions);
    expect(report.flatMap((r) => r.denied.map((d) => `${r.role}: ${d.action}`))).toEqual([
      expect.stringMatching(/: lambda:UpdateAlias$/),
    ]);
    // The run went through the receiver, the pipeline's steps, a build and the deployment's functions.
    const exercised = report.filter((r) => r.unusedGrants.length < (decisions.roles[r.role]?.grants.length ?? 0));
    expect(exercised.length).toBeGreaterThan(5);
    // Least privilege: every grant the run left unused has a reviewed reason (a new one needs one,
    // or goes from infra/), and every reason still covers an unused grant (a stale one must go).
    const unused = report.flatMap((r) => r.unusedGrants.map((g) => ({ role: r.role, ...g })));
    expect({ uncovered: uncoveredGrants(unused), stale: staleEntries(unused) }).toEqual({ uncovered: [], stale: [] });
  }, 300_000);
});
