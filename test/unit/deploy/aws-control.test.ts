import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsDeployControl } from '../../../shared/deploy/aws';
import { environmentDigest, environmentValueTags } from '../../../shared/deploy/configuration';

const lambda = mockClient(LambdaClient);
const control = new AwsDeployControl(new CodeDeployClient({}), new LambdaClient({}), new CloudWatchClient({}));

/** What Lambda answers about a version beside its code, as the AWS adapter reads it for the ledger. */
describe('the AWS deploy control', () => {
  beforeEach(() => lambda.reset());

  it("reads a published version's layers, handler, runtime and environment (its values digested, never kept)", async () => {
    const variables = { SERVICE_NAME: 'sample', NODE_OPTIONS: '--require /opt/x.js' };
    lambda.on(UpdateFunctionCodeCommand).resolves({
      Version: '7',
      CodeSha256: 'abc=',
      Handler: 'src/lambda.handler',
      Runtime: 'nodejs22.x',
      Layers: [{ Arn: 'arn:aws:lambda:us-east-1:123456789012:layer:extra:1' }],
      Environment: { Variables: variables },
      Role: 'arn:aws:iam::123456789012:role/fn',
      Architectures: ['arm64'],
      VpcConfig: { SubnetIds: ['subnet-b', 'subnet-a'], SecurityGroupIds: ['sg-1'] },
      FileSystemConfigs: [
        { Arn: 'arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1', LocalMountPath: '/mnt/x' },
      ],
      LoggingConfig: { LogGroup: '/aws/lambda/fn' },
    });
    const published = await control.publishVersion('fn', { bucket: 'b', key: 'k', versionId: 'v' });
    expect(published).toEqual({
      version: '7',
      codeSha256: 'abc=',
      configuration: {
        handler: 'src/lambda.handler',
        runtime: 'nodejs22.x',
        layers: ['arn:aws:lambda:us-east-1:123456789012:layer:extra:1'],
        environmentKeys: ['NODE_OPTIONS', 'SERVICE_NAME'],
        environmentSha256: environmentDigest(variables),
        // Which values differ between two versions, told in this process only, never what they are.
        environmentValueTags: environmentValueTags(variables),
        // What the code may reach and where its output goes, as text to compare.
        platform: {
          role: 'arn:aws:iam::123456789012:role/fn',
          architectures: 'arm64',
          vpc: 'subnet-a,subnet-b sg-1',
          fileSystems: 'arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1=/mnt/x',
          logGroup: '/aws/lambda/fn',
          kmsKey: '',
        },
      },
    });
    expect(JSON.stringify(published)).not.toContain('/opt/x.js');
    // The same environment in another order digests the same; another value does not.
    expect(environmentDigest({ NODE_OPTIONS: '--require /opt/x.js', SERVICE_NAME: 'sample' })).toBe(
      environmentDigest(variables),
    );
    expect(environmentDigest({ ...variables, NODE_OPTIONS: '' })).not.toBe(environmentDigest(variables));
  });

  it('reads a version without layers or environment as empty, and an alias with its weighted versions', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves({ Handler: 'h', Runtime: 'nodejs22.x' });
    await expect(control.versionConfiguration('fn', '3')).resolves.toEqual({
      handler: 'h',
      runtime: 'nodejs22.x',
      layers: [],
      environmentKeys: [],
      environmentSha256: environmentDigest({}),
      environmentValueTags: {},
      platform: { role: '', architectures: '', vpc: '', fileSystems: '', logGroup: '', kmsKey: '' },
    });
    lambda
      .on(GetAliasCommand)
      .resolves({ FunctionVersion: '4', RoutingConfig: { AdditionalVersionWeights: { '9': 0.5 } } });
    await expect(control.aliasRouting('fn', 'live')).resolves.toEqual({ version: '4', additional: { '9': 0.5 } });
  });
});
