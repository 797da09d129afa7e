import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetFunctionConfigurationCommand, LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { IdentityRegistry } from '../../../local/edge/identity';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { LocalIam, type TemplateIam } from '../../../local/iam';
import { lambdaApi } from '../../../local/lambda-api/api';
import type { LocalServices } from '../../../local/lambda-api/services';
import { S3Store } from '../../../local/s3';
import { fixtureArns } from '../../support/local-iam';
import { sourced } from '../../support/trust-fixtures';
import { FUNCTION_NAME, serviceFunctions, servicePackage, startServices, writeServiceFolder } from './deploy-fixtures';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const BUCKET = `gantry-artifacts-${ACCOUNT}-${REGION}`;
const RELEASE_KEY = 'releases/sample-service/p.zip';
const UNTRUSTED_KEY = 'untrusted/sample-service/p.zip';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/deploy-release`;
/** The release role: it may publish the function's code from release packages, and read nothing else. */
const RIGHTS = sourced('DeployReleasePolicy', [
  {
    Effect: 'Allow',
    Action: ['lambda:UpdateFunctionCode', 'lambda:GetFunctionConfiguration'],
    Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION_NAME}`,
  },
  { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: `arn:aws:s3:::${BUCKET}/releases/*` },
]);

const codeSha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

describe('UpdateFunctionCode reads its S3 package with the caller’s rights', () => {
  let dataDir: string;
  let edge: RunningEdge;
  let services: LocalServices;
  let iam: LocalIam;
  let lambda: LambdaClient;
  let store: S3Store;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-lambda-code-iam-'));
    const serviceDir = writeServiceFolder(join(dataDir, 'service'));
    const functions = serviceFunctions(serviceDir, REGION, ACCOUNT);
    const model: TemplateIam = {
      roles: new Map([
        ['deploy-release', { roleName: 'deploy-release', roleArn: ROLE, statements: RIGHTS, trust: [] }],
      ]),
      functionRoles: new Map([[`arn:aws:lambda:${REGION}:${ACCOUNT}:function:release`, 'deploy-release']]),
      projectRoles: new Map(),
      resourcePolicies: new Map(),
      unresolved: [],
    };
    iam = new LocalIam({ iam: model, arns: fixtureArns(ACCOUNT), dataDir: join(dataDir, 'iam') });
    const identity = new IdentityRegistry('a-session-token-of-length');
    iam.register(identity);
    edge = await startEdge({ port: 0, identity, region: REGION });
    edge.authorizeWith((principal, call, res) => iam.authorize(principal, call, res));
    store = new S3Store({ buckets: [BUCKET], versionedBuckets: [BUCKET], dataDir: join(dataDir, 's3') });
    services = await startServices(functions, join(dataDir, 'lambda'));
    edge.attach({
      rest: lambdaApi({
        services,
        s3: store,
        accountId: ACCOUNT,
        // As the deployer wires it (local/services/local.ts).
        mayRead: (principal, access) =>
          principal === undefined ? undefined : iam.decideFor(principal, access)?.reason,
      }),
    });
    const credentials = iam.credentials.get('deploy-release');
    lambda = new LambdaClient({ endpoint: edge.endpoint, region: REGION, credentials });
  });

  afterAll(async () => {
    lambda?.destroy();
    await services?.close();
    await edge?.close();
    iam?.flush();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const update = (S3Key: string, S3ObjectVersion?: string) =>
    lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: FUNCTION_NAME,
        S3Bucket: BUCKET,
        S3Key,
        ...(S3ObjectVersion === undefined ? {} : { S3ObjectVersion }),
      }),
    );
  const latestSha = async () =>
    (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION_NAME }))).CodeSha256;

  it('publishes a package the role may read, at the version named', async () => {
    const release = servicePackage('release');
    const put = await store.putObject(BUCKET, RELEASE_KEY, release);
    await expect(update(RELEASE_KEY, put.versionId)).resolves.toMatchObject({ CodeSha256: codeSha256(release) });
  });

  it('refuses a package the role may not read, as Lambda does, and leaves the code as it was', async () => {
    const before = await latestSha();
    const untrusted = servicePackage('untrusted');
    const put = await store.putObject(BUCKET, UNTRUSTED_KEY, untrusted);
    for (const version of [undefined, put.versionId]) {
      const error = await update(UNTRUSTED_KEY, version).catch((e: Error) => e);
      expect(error).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
      expect((error as Error).message).toContain(
        `Your access has been denied by S3, please make sure your request credentials have permission to ${version === undefined ? 'GetObject' : 'GetObjectVersion'} for ${BUCKET}/${UNTRUSTED_KEY}`,
      );
    }
    expect(await latestSha()).toBe(before);
    expect(await latestSha()).not.toBe(codeSha256(untrusted));
  });

  it('records the refused read as the role’s denial', () => {
    const denied = iam.decisions().roles['deploy-release']?.denied ?? [];
    expect(denied).toContainEqual(
      expect.objectContaining({ action: 's3:GetObject', resource: `arn:aws:s3:::${BUCKET}/${UNTRUSTED_KEY}` }),
    );
    expect(denied).toContainEqual(expect.objectContaining({ action: 's3:GetObjectVersion' }));
  });
});
