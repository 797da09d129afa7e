import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { lambdaApi } from '../../../local/lambda-api/api';
import type { LocalServices } from '../../../local/lambda-api/services';
import { createS3Endpoint, S3Store } from '../../../local/s3';
import { localClientConfig } from '../../support/aws';
import { FUNCTION_NAME, serviceFunctions, servicePackage, startServices, writeServiceFolder } from './deploy-fixtures';

const BUCKET = 'gantry-artifacts-000000000000-eu-west-1';
const KEY = 'builds/service/dist/function.zip';
const ACCOUNT = '000000000000';

const codeSha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

describe('UpdateFunctionCode with S3ObjectVersion on the local Lambda API', () => {
  let dataDir: string;
  let edge: RunningEdge;
  let services: LocalServices;
  let lambda: LambdaClient;
  let s3: S3Client;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-lambda-code-'));
    const serviceDir = writeServiceFolder(join(dataDir, 'service'));
    const functions = serviceFunctions(serviceDir, 'eu-west-1', ACCOUNT);
    edge = await startEdge({ port: 0 });
    const store = new S3Store({ buckets: [BUCKET], versionedBuckets: [BUCKET], dataDir: join(dataDir, 's3') });
    const s3Endpoint = createS3Endpoint(store, { region: 'eu-west-1' });
    edge.attach({
      fallback: (req, res, url) => {
        if (!s3Endpoint.accepts(req, url)) return false;
        void s3Endpoint.handle(req, res, url);
        return true;
      },
    });
    services = await startServices(functions, join(dataDir, 'lambda'));
    edge.attach({ rest: lambdaApi({ services, s3: store, accountId: ACCOUNT }) });
    lambda = new LambdaClient(localClientConfig(edge.endpoint));
    s3 = new S3Client(localClientConfig(edge.endpoint));
  });

  afterAll(async () => {
    lambda?.destroy();
    s3?.destroy();
    await services?.close();
    await edge?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('deploys the exact object version named, not the newer one, and answers its CodeSha256', async () => {
    const v1 = servicePackage('v1-zip');
    const v2 = servicePackage('v2-zip');
    const first = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: v1 }));
    const second = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: v2 }));
    expect(first.VersionId).not.toBe(second.VersionId);

    const updated = await lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: FUNCTION_NAME,
        S3Bucket: BUCKET,
        S3Key: KEY,
        S3ObjectVersion: first.VersionId,
        Publish: true,
      }),
    );
    expect(updated).toMatchObject({ Version: '2', CodeSha256: codeSha256(v1), CodeSize: v1.length });
    expect(codeSha256(v1)).not.toBe(codeSha256(v2));

    const latest = await lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: FUNCTION_NAME, S3Bucket: BUCKET, S3Key: KEY }),
    );
    expect(latest).toMatchObject({ Version: '$LATEST', CodeSha256: codeSha256(v2) });
    const published = await lambda.send(
      new PublishVersionCommand({ FunctionName: FUNCTION_NAME, CodeSha256: codeSha256(v2) }),
    );
    expect(published).toMatchObject({ Version: '3', CodeSha256: codeSha256(v2) });
    const version2 = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: FUNCTION_NAME, Qualifier: '2' }),
    );
    expect(version2.CodeSha256).toBe(codeSha256(v1));
  });

  it('answers InvalidParameterValueException naming NoSuchVersion for a version the object does not have', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: servicePackage('v3-zip') }));
    const update = lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: FUNCTION_NAME,
        S3Bucket: BUCKET,
        S3Key: KEY,
        S3ObjectVersion: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
      }),
    );
    await expect(update).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(update).rejects.toThrow(/S3 Error Code: NoSuchVersion.*01ARZ3NDEKTSV4RRFFQ69G5FAV/);
  });
});
