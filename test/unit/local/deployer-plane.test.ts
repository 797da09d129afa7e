import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  CodeDeployClient,
  CreateDeploymentCommand,
  type DeploymentInfo,
  GetDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadGantryConfig } from '../../../infra/config/load';
import { PROJECT_ROOT } from '../../../infra/paths';
import { zip } from '../../../local/codebuild/zip';
import { type LocalControlPlane, startLocalControlPlane } from '../../../local/runtime';
import { localClientConfig } from '../../support/aws';

const SERVICE = join(PROJECT_ROOT, 'examples', 'sample-service');

/** The sample service's package as its build makes it: package.json and src/. */
function samplePackage(): Buffer {
  const files = ['package.json', ...readdirSync(join(SERVICE, 'src')).map((f) => `src/${f}`)];
  return zip(files.map((name) => ({ name, data: readFileSync(join(SERVICE, name)) })));
}

describe('the deployer in the local control plane, with the sample service stack', () => {
  let dataDir: string;
  let plane: LocalControlPlane;
  let lambda: LambdaClient;
  let codedeploy: CodeDeployClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-plane-deploy-'));
    plane = await startLocalControlPlane({
      config: loadGantryConfig(join(PROJECT_ROOT, 'gantry.config.yaml')),
      dataDir,
      port: 0,
      awsPort: 0,
      servicePort: 0,
      timeScale: 600,
      syntheticTraffic: { ratePerSecond: 100 },
    });
    const config = { ...localClientConfig(plane.awsEndpoint), region: plane.region, credentials: plane.operator };
    lambda = new LambdaClient(config);
    codedeploy = new CodeDeployClient(config);
  }, 120_000);

  afterAll(async () => {
    lambda?.destroy();
    codedeploy?.destroy();
    await plane?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives every service alias of the templates a stable URL serving version 1', async () => {
    expect(plane.serviceEndpoints.map((e) => `${e.functionName}:${e.alias}`)).toEqual(
      plane.inventory.services.flatMap((s) => s.aliases.map((a) => `${s.name}:${a.name}`)),
    );
    const dev = plane.serviceEndpoints.find((e) => e.functionName.endsWith('-dev'));
    const res = await fetch(`${dev?.url}/version`);
    expect(res.headers.get('x-gantry-version')).toBe('1');
    expect(await res.json()).toEqual({ version: '1', color: 'blue' });
  });

  it('deploys a build of the sample service with the traffic hook, announcing it on the default bus', async () => {
    const [group] = plane.inventory.codeDeploy.groups.filter((g) => g.name === 'dev');
    const service = plane.inventory.services.find((s) => s.name.endsWith('-dev'));
    if (group === undefined || service === undefined) throw new Error('the sample stack has no dev target');
    const bucket = String(plane.inventory.buckets[0]);
    const s3 = new S3Client({
      ...localClientConfig(plane.awsEndpoint),
      // Signed for the region the plane serves, as the edge now requires of every signature.
      region: plane.region,
      credentials: plane.operator,
      forcePathStyle: true,
    });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'test/dist/function.zip', Body: samplePackage() }));
    s3.destroy();
    const published = await lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: service.name,
        S3Bucket: bucket,
        S3Key: 'test/dist/function.zip',
        Publish: true,
      }),
    );
    expect(published.Version).toBe('2');

    const hook = 'gantry-traffic-hook';
    const content = JSON.stringify({
      version: 0.0,
      Resources: [
        {
          service: {
            Type: 'AWS::Lambda::Function',
            Properties: { Name: service.name, Alias: 'live', CurrentVersion: '1', TargetVersion: '2' },
          },
        },
      ],
      Hooks: [{ BeforeAllowTraffic: hook }, { AfterAllowTraffic: hook }],
    });
    const { deploymentId } = await codedeploy.send(
      new CreateDeploymentCommand({
        applicationName: group.application,
        deploymentGroupName: group.name,
        description: 'a deployment outside any pipeline run',
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content } },
      }),
    );
    let info: DeploymentInfo | undefined;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      info = (await codedeploy.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo;
      if (!['Created', 'InProgress'].includes(String(info?.status))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(info).toMatchObject({ status: 'Succeeded' });
    expect((await lambda.send(new GetAliasCommand({ FunctionName: service.name, Name: 'live' }))).FunctionVersion).toBe(
      '2',
    );
    const announced = plane.bus
      .recentEvents()
      .filter((e) => e.source === 'aws.codedeploy' && e.bus === 'default')
      .map((e) => e.detailType);
    expect(announced).toEqual([
      'CodeDeploy Deployment State-change Notification',
      'CodeDeploy Deployment State-change Notification',
    ]);
    const view = (await (
      await fetch(`${plane.awsEndpoint}/_gantry/services`, { headers: { authorization: `Bearer ${plane.token}` } })
    ).json()) as {
      services: { functionName: string; weights: Record<string, number> }[];
    };
    expect(view.services.find((s) => s.functionName === service.name)?.weights).toEqual({ 2: 100 });
    expect(relative(PROJECT_ROOT, service.codeDir)).toBe('examples/sample-service');
  });
});
