import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DECISIONS_FILE, type IamDecisions, LocalIam, type TemplateIam } from '../../../local/iam';
import { sourced } from '../../support/trust-fixtures';

const HOME = '000000000000';
const NOTIFIER = `arn:aws:iam::${HOME}:role/notifier`;
const table = (name: string) => `arn:aws:dynamodb:us-east-1:${HOME}:table/${name}`;
const group = (name: string) => `arn:aws:codedeploy:us-east-1:${HOME}:deploymentgroup:svc/${name}`;
const QUEUES = `http://127.0.0.1:4566/${HOME}`;
/** Deployment ids and the group each belongs to, as CodeDeploy keeps them. */
const DEPLOYMENTS: Record<string, string> = { 'd-DEV000001': group('dev'), 'd-PROD00001': group('prod') };

const RIGHTS = sourced('NotifierPolicy', [
  {
    Effect: 'Allow',
    Action: ['dynamodb:PutItem', 'dynamodb:GetItem'],
    Resource: table('gantry-deliveries'),
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['notify#*'] } },
  },
  { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:${HOME}:Allowed` },
  {
    Effect: 'Allow',
    Action: [
      'codedeploy:StopDeployment',
      'codedeploy:PutLifecycleEventHookExecutionStatus',
      'codedeploy:BatchGetDeployments',
    ],
    Resource: group('dev'),
  },
]);

const ARNS = {
  region: 'us-east-1',
  accountId: HOME,
  secretArn: (id: string) => id,
  keyArn: (id: string) => id,
  stateMachineArns: () => [],
  deploymentGroupArns: () => [group('dev'), group('prod')],
  deploymentGroupOf: (id: string) => DEPLOYMENTS[id],
  partitionKeyOf: () => 'pk',
};
let model: TemplateIam;
let dataDir: string;
let iam: LocalIam;
const lines: string[] = [];
const notifier = { kind: 'role', roleName: 'notifier', roleArn: NOTIFIER } as const;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'gantry-iam-decoys-'));
  model = {
    roles: new Map([['notifier', { roleName: 'notifier', roleArn: NOTIFIER, statements: RIGHTS, trust: [] }]]),
    functionRoles: new Map([[`arn:aws:lambda:us-east-1:${HOME}:function:notifier`, 'notifier']]),
    projectRoles: new Map(),
    resourcePolicies: new Map(),
    unresolved: [],
  };
  iam = new LocalIam({ iam: model, arns: ARNS, dataDir, onDenied: (line) => lines.push(line) });
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The edge's call for a JSON-protocol operation. */
const call = (target: string, input: object) => ({
  method: 'POST',
  url: new URL('http://127.0.0.1:4566/'),
  headers: { 'x-amz-target': target },
  body: Buffer.from(JSON.stringify(input)),
});

/** What the edge answers the call with: the status local IAM wrote, or 200 when it let the call through. */
function status(target: string, input: object): number {
  let written = 200;
  const res = {
    writeHead(code: number) {
      written = code;
      return { end: () => undefined };
    },
  } as unknown as ServerResponse;
  return iam.authorize(notifier, call(target, input), res) ? written : 200;
}

const putItem = (input: object) => status('DynamoDB_20120810.PutItem', input);
const send = (QueueUrl: string) => status('AmazonSQS.SendMessage', { QueueUrl, MessageBody: 'x' });
const codeDeploy = (operation: string, input: object) => status(`CodeDeploy_20141006.${operation}`, input);

function recorded(): IamDecisions['roles'][string]['denied'] {
  iam.flush();
  const decisions = JSON.parse(readFileSync(join(dataDir, DECISIONS_FILE), 'utf8')) as IamDecisions;
  return decisions.roles.notifier?.denied ?? [];
}

describe('local IAM authorizes the resource the emulator acts on, not a decoy beside it', () => {
  it('DynamoDB: decides on TableName, which dynalite writes, not on a TableArn sent alongside', () => {
    const item = { pk: { S: 'notify#run-1#slack' } };
    expect(putItem({ TableName: 'gantry-deliveries', Item: item })).toBe(200);
    expect(putItem({ TableName: 'gantry-audit', TableArn: table('gantry-deliveries'), Item: item })).toBe(403);
    // Nor does a TableArn take dynamodb:LeadingKeys away from the ForAllValues condition.
    const webhook = { pk: { S: 'github#delivery#1' } };
    expect(putItem({ TableName: 'gantry-deliveries', TableArn: table('gantry-deliveries'), Item: webhook })).toBe(403);
    expect(recorded()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'dynamodb:PutItem', resource: table('gantry-audit') }),
        expect.objectContaining({ action: 'dynamodb:PutItem', resource: table('gantry-deliveries') }),
      ]),
    );
  });

  it.each([
    ['a fragment', `${QUEUES}/Target#/Allowed`],
    ['a query', `${QUEUES}/Target?x=/Allowed`],
    ['an empty fragment', `${QUEUES}/Allowed#`],
    ['a path below the queue', `${QUEUES}/Target/Allowed`],
  ])('SQS: refuses a QueueUrl with %s, which SQS would not read as the queue IAM saw', (_what, url) => {
    expect(send(url)).toBe(403);
    expect(recorded()).toContainEqual(
      expect.objectContaining({ action: 'sqs:SendMessage', resource: url, reason: expect.stringMatching(/QueueUrl/) }),
    );
  });

  it('SQS: still allows the queue the role may use, and decides another by its path', () => {
    expect(send(`${QUEUES}/Allowed`)).toBe(200);
    expect(send(`${QUEUES}/Target`)).toBe(403);
  });

  it.each([
    ['StopDeployment', { deploymentId: 'd-PROD00001' }],
    ['PutLifecycleEventHookExecutionStatus', { deploymentId: 'd-PROD00001', status: 'Succeeded' }],
    ['BatchGetDeployments', { deploymentIds: ['d-DEV000001', 'd-PROD00001'] }],
  ])(
    'CodeDeploy: decides %s on the group the deployment belongs to, not the group the request names',
    (operation, input) => {
      const decoy = { ...input, applicationName: 'svc', deploymentGroupName: 'dev' };
      expect(codeDeploy(operation, decoy)).toBe(403);
      expect(recorded()).toContainEqual(
        expect.objectContaining({ action: `codedeploy:${operation}`, resource: group('prod') }),
      );
    },
  );

  it('CodeDeploy: still allows the role its own group’s deployments', () => {
    expect(codeDeploy('StopDeployment', { deploymentId: 'd-DEV000001' })).toBe(200);
    expect(codeDeploy('BatchGetDeployments', { deploymentIds: ['d-DEV000001'] })).toBe(200);
  });

  it('CodeDeploy: finds the group through the deployments local CodeDeploy keeps, once it runs', () => {
    const { deploymentGroupOf: _none, ...withoutDeployments } = ARNS;
    const late = new LocalIam({ iam: model, arns: withoutDeployments, dataDir: join(dataDir, 'late') });
    late.locateDeployments((id) => DEPLOYMENTS[id]);
    const stop = call('CodeDeploy_20141006.StopDeployment', {
      deploymentId: 'd-PROD00001',
      deploymentGroupName: 'dev',
    });
    expect(late.decide(notifier, stop)).toMatchObject({ resource: group('prod') });
    late.flush();
  });

  it('prints each refusal in the terminal', () => {
    expect(lines.some((l) => l.includes('dynamodb:PutItem') && l.includes('gantry-audit'))).toBe(true);
    expect(lines.some((l) => l.includes('sqs:SendMessage') && l.includes('#/Allowed'))).toBe(true);
    expect(lines.some((l) => l.includes('codedeploy:StopDeployment') && l.includes('svc/prod'))).toBe(true);
  });
});
