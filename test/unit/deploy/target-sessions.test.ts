import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { CodeDeployStopper } from '../../../shared/aws/codedeploy';
import {
  type AssumeRole,
  type Credentials,
  TargetSessions,
  UnknownTargetAccountError,
} from '../../../shared/aws/target-sessions';
import { AwsDeployControl } from '../../../shared/deploy/aws';

const PROD = '222222222222';
const ROLE = `arn:aws:iam::${PROD}:role/gantry-deploy-111111111111`;
const HOME_KEYS = { accessKeyId: 'AKIAHOMEHOMEHOME', secretAccessKey: 'home-secret' };

/** One request the fake saw: which key signed it, and what it asked. */
interface Seen {
  readonly key: string;
  readonly target: string;
  readonly body: string;
}

/** STS (AssumeRole, query protocol) and CodeDeploy (JSON) on one loopback port, recording each call. */
function fakeAws(): Promise<{ server: Server; endpoint: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const key = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const target = String(req.headers['x-amz-target'] ?? new URLSearchParams(body).get('Action') ?? '');
    seen.push({ key, target, body });
    if (target === 'AssumeRole') {
      res.setHeader('content-type', 'text/xml');
      res.end(
        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
          '<AccessKeyId>ASIATARGETTARGET</AccessKeyId><SecretAccessKey>target-secret</SecretAccessKey>' +
          '<SessionToken>target-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>' +
          `<AssumedRoleUser><Arn>${ROLE.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/s</Arn>` +
          '<AssumedRoleId>AROATARGET:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>',
      );
      return;
    }
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.end(
      target.endsWith('GetDeployment')
        ? JSON.stringify({ deploymentInfo: { deploymentId: 'd-1', status: 'Succeeded', description: 'x' } })
        : '{}',
    );
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }),
    ),
  );
}

describe('target sessions with the real SDK clients', () => {
  let aws: Awaited<ReturnType<typeof fakeAws>>;
  let codeDeploy: (credentials?: Credentials) => CodeDeployClient;
  let assume: AssumeRole;

  beforeAll(async () => {
    aws = await fakeAws();
    const config = { endpoint: aws.endpoint, region: 'eu-west-1' };
    codeDeploy = (credentials) => new CodeDeployClient({ ...config, credentials: credentials ?? HOME_KEYS });
    // The SDK's own AssumeRole provider, signed with the control plane's keys, pointed at the fake.
    assume = (params) => fromTemporaryCredentials({ params, masterCredentials: HOME_KEYS, clientConfig: config });
  });
  afterAll(() => new Promise<void>((resolve) => aws.server.close(() => resolve())));
  beforeEach(() => {
    aws.seen.length = 0;
  });

  function stopper(): CodeDeployStopper {
    const home = codeDeploy();
    return new CodeDeployStopper(home, new TargetSessions(home, { [PROD]: ROLE }, (c) => codeDeploy(c), assume));
  }

  it('assumes the target role as gantry-<run>, tagged with the run id, and signs the call with its keys', async () => {
    await stopper().stopDeployment('d-1', { account: PROD, runId: 'widgets-run-7' });
    const [assumed, stopped] = aws.seen;
    const form = new URLSearchParams(assumed?.body);
    expect({ key: assumed?.key, action: assumed?.target }).toEqual({
      key: HOME_KEYS.accessKeyId,
      action: 'AssumeRole',
    });
    expect(Object.fromEntries([...form].filter(([k]) => k !== 'Version'))).toEqual({
      Action: 'AssumeRole',
      RoleArn: ROLE,
      RoleSessionName: 'gantry-widgets-run-7',
      'Tags.member.1.Key': 'gantry:run-id',
      'Tags.member.1.Value': 'widgets-run-7',
      DurationSeconds: '900',
    });
    expect(stopped).toMatchObject({ key: 'ASIATARGETTARGET', target: 'CodeDeploy_20141006.StopDeployment' });
    expect(JSON.parse(stopped?.body ?? '{}')).toEqual({ deploymentId: 'd-1', autoRollbackEnabled: true });
  });

  it("stops a deployment in the control plane's account with its own keys, assuming nothing", async () => {
    await stopper().stopDeployment('d-1', { account: null, runId: 'r' });
    expect(aws.seen.map((s) => [s.key, s.target])).toEqual([
      [HOME_KEYS.accessKeyId, 'CodeDeploy_20141006.StopDeployment'],
    ]);
  });

  it('refuses an account it holds no role for, before any request', async () => {
    await expect(stopper().stopDeployment('d-1', { account: '333333333333', runId: 'r' })).rejects.toBeInstanceOf(
      UnknownTargetAccountError,
    );
    expect(aws.seen).toEqual([]);
  });

  it('reuses one session per account and run, and opens another for another run', async () => {
    const sessions = new TargetSessions(
      new AwsDeployControl(codeDeploy(), undefined as never, undefined as never),
      { [PROD]: ROLE },
      (c) => new AwsDeployControl(codeDeploy(c), undefined as never, undefined as never),
      assume,
    );
    await sessions.at({ account: PROD, runId: 'a' }).getDeployment('d-1');
    await sessions.at({ account: PROD, runId: 'a' }).getDeployment('d-1');
    await sessions.at({ account: PROD, runId: 'b' }).getDeployment('d-1');
    expect(aws.seen.map((s) => s.target)).toEqual([
      'AssumeRole',
      'CodeDeploy_20141006.GetDeployment',
      'CodeDeploy_20141006.GetDeployment',
      'AssumeRole',
      'CodeDeploy_20141006.GetDeployment',
    ]);
    expect(aws.seen.filter((s) => s.target.endsWith('GetDeployment')).map((s) => s.key)).toEqual([
      'ASIATARGETTARGET',
      'ASIATARGETTARGET',
      'ASIATARGETTARGET',
    ]);
  });
});
