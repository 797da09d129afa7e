import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApplicationDoesNotExistException,
  CodeDeployClient,
  CreateDeploymentCommand,
  DeploymentAlreadyCompletedException,
  DeploymentDoesNotExistException,
  DeploymentGroupDoesNotExistException,
  type DeploymentInfo,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  InvalidDeploymentIdException,
  InvalidLifecycleEventHookExecutionIdException,
  ListDeploymentsCommand,
  PutLifecycleEventHookExecutionStatusCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import {
  GetAliasCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  ResourceNotFoundException,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import type { DeploymentEvent } from '../../../local/codedeploy/service';
import { type LocalDeployer, startDeployer } from '../../../local/deployer';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import type { LambdaInvoker } from '../../../local/lambda/types';
import { S3Store } from '../../../local/s3';
import { inventoryOf } from '../../../local/template/inventory';
import { TemplateResolver } from '../../../local/template/resolver';
import { localClientConfig } from '../../support/aws';
import {
  APPLICATION,
  appSpec,
  ERROR_RATE_ALARM,
  FUNCTION_NAME,
  GROUP,
  servicePackage,
  serviceStack,
  writeServiceFolder,
} from './deploy-fixtures';

const REGION = 'eu-west-1';
const BUCKET = 'artifacts';

/** What a caller of the stable URL saw. */
interface LoadCounts {
  readonly statuses: Record<string, number>;
  readonly versions: Record<string, number>;
  connectionErrors: number;
}

/** Callers hitting the stable URL back to back on keep-alive connections until stopped. */
function startLoad(url: string, callers = 4): { stop: () => Promise<LoadCounts> } {
  const counts: LoadCounts = { statuses: {}, versions: {}, connectionErrors: 0 };
  const agent = new Agent({ keepAlive: true });
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = get(`${url}/hello`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const version = String(res.headers['x-gantry-version']);
          counts.statuses[String(res.statusCode)] = (counts.statuses[String(res.statusCode)] ?? 0) + 1;
          counts.versions[version] = (counts.versions[version] ?? 0) + 1;
          resolve();
        });
      });
      req.on('error', () => {
        counts.connectionErrors++;
        resolve();
      });
    });
  const loops = Array.from({ length: callers }, async () => {
    while (running) await once();
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return counts;
    },
  };
}

function fetchJson(url: string): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  return fetch(url).then(async (res) => ({
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: await res.json(),
  }));
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the local deployer behind Lambda and CodeDeploy', () => {
  let dataDir: string;
  let edge: RunningEdge;
  let s3: S3Store;
  let deployer: LocalDeployer;
  let lambda: LambdaClient;
  let codedeploy: CodeDeployClient;
  let stableUrl: string;
  const events: DeploymentEvent[] = [];
  const logs: string[] = [];

  /** Hooks as the traffic hook does them: GET /health on the target version through Lambda Invoke, then report. */
  const hookFunctions: LambdaInvoker = {
    invoke: async (name, payload) => {
      const { DeploymentId, LifecycleEventHookExecutionId } = payload as Record<string, string>;
      let status: 'Succeeded' | 'Failed' = 'Failed';
      if (name === 'hook-ok') {
        const { deploymentInfo } = await codedeploy.send(new GetDeploymentCommand({ deploymentId: DeploymentId }));
        const content = JSON.parse(String(deploymentInfo?.revision?.appSpecContent?.content));
        const target = content.Resources[0].service.Properties.TargetVersion;
        const event = {
          version: '2.0',
          rawPath: '/health',
          rawQueryString: '',
          headers: {},
          requestContext: { http: { method: 'GET', path: '/health' } },
        };
        const out = await lambda.send(
          new InvokeCommand({ FunctionName: FUNCTION_NAME, Qualifier: target, Payload: JSON.stringify(event) }),
        );
        const answer = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
        if (answer.statusCode === 200) status = 'Succeeded';
      }
      await codedeploy.send(
        new PutLifecycleEventHookExecutionStatusCommand({
          deploymentId: DeploymentId,
          lifecycleEventHookExecutionId: LifecycleEventHookExecutionId,
          status,
        }),
      );
      return { ok: true, payload: null };
    },
  };

  let inventory: ReturnType<typeof inventoryOf>;
  const start = async (on: RunningEdge) => {
    const started = await startDeployer({
      inventory,
      s3,
      functions: hookFunctions,
      dataDir,
      region: REGION,
      accountId: '000000000000',
      host: '127.0.0.1',
      basePort: 0,
      // A minute of deployment configuration takes 100 ms: Canary10Percent5Minutes shifts in half a second.
      timeScale: 600,
      syntheticTraffic: { ratePerSecond: 200, path: '/hello' },
      runtimeEnvironment: { PATH: process.env.PATH ?? '' },
      credentialsFor: () => ({ accessKeyId: 'AKIDSERVICEROLE', secretAccessKey: 'role-secret' }),
      log: (fn, line) => void logs.push(`${fn} ${line}`),
      publish: (event) => void events.push(event),
    });
    on.attach(...started.edgeAttachments);
    return started;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-deployer-'));
    const serviceDir = writeServiceFolder(join(dataDir, 'service'));
    inventory = inventoryOf(
      new TemplateResolver([serviceStack(serviceDir)], { region: REGION, accountId: '000000000000', edgeEndpoint: '' }),
    );
    edge = await startEdge({ port: 0 });
    s3 = new S3Store({ buckets: [BUCKET], dataDir: join(dataDir, 's3') });
    deployer = await start(edge);
    stableUrl = deployer.endpoints[0]?.url ?? '';
    lambda = new LambdaClient(localClientConfig(edge.endpoint));
    codedeploy = new CodeDeployClient(localClientConfig(edge.endpoint));
  });

  let closed = false;
  afterAll(async () => {
    lambda?.destroy();
    codedeploy?.destroy();
    if (!closed) await deployer?.close();
    await edge?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const publish = async (release: string, status = 200) => {
    const key = `builds/${release}/dist/function.zip`;
    await s3.putObject(BUCKET, key, servicePackage(release, status));
    return lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: FUNCTION_NAME, S3Bucket: BUCKET, S3Key: key, Publish: true }),
    );
  };

  const deploy = async (
    current: string,
    target: string,
    options: { config?: string; hooks?: Record<string, string> } = {},
  ) => {
    const { deploymentId } = await codedeploy.send(
      new CreateDeploymentCommand({
        applicationName: APPLICATION,
        deploymentGroupName: GROUP,
        ...(options.config === undefined ? {} : { deploymentConfigName: options.config }),
        description: `gantry run test ${current} → ${target}`,
        revision: {
          revisionType: 'AppSpecContent',
          appSpecContent: { content: appSpec(current, target, options.hooks) },
        },
      }),
    );
    return String(deploymentId);
  };

  const ended = (deploymentId: string) =>
    until(`deployment ${deploymentId} to end`, async () => {
      const { deploymentInfo } = await codedeploy.send(new GetDeploymentCommand({ deploymentId }));
      return ['Succeeded', 'Failed', 'Stopped'].includes(String(deploymentInfo?.status)) ? deploymentInfo : undefined;
    });

  const alias = () => lambda.send(new GetAliasCommand({ FunctionName: FUNCTION_NAME, Name: 'live' }));
  const stateEvents = (deploymentId: string) =>
    events.filter((e) => e.detail.deploymentId === deploymentId).map((e) => e.detail.state);

  const alarmState = async (name: string): Promise<string> => {
    const res = await fetch(edge.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'GraniteServiceVersion20100801.DescribeAlarms',
      },
      body: JSON.stringify({ AlarmNames: [name] }),
    });
    const { MetricAlarms } = (await res.json()) as { MetricAlarms: { StateValue: string }[] };
    return String(MetricAlarms[0]?.StateValue);
  };

  it('serves version 1, the asset folder, on the stable URL as blue', async () => {
    const { status, headers, body } = await fetchJson(`${stableUrl}/hello`);
    expect(status).toBe(200);
    expect(headers).toMatchObject({ 'x-gantry-version': '1', 'x-gantry-color': 'blue' });
    expect(body).toEqual({ release: 'v1', version: '1', color: 'blue', greeting: 'hello' });
  });

  it('publishes a version from a zip in the S3 store, and the same code again as the same version', async () => {
    const first = await publish('v2');
    expect(first).toMatchObject({ Version: '2', FunctionName: FUNCTION_NAME, State: 'Active' });
    expect(first.CodeSha256).toBe(createHash('sha256').update(servicePackage('v2')).digest('base64'));
    expect((await publish('v2')).Version).toBe('2');
    const { Versions } = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: FUNCTION_NAME }));
    expect(Versions?.map((v) => v.Version)).toEqual(['$LATEST', '1', '2']);
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: FUNCTION_NAME, Qualifier: '2' }));
    expect(fn.Configuration).toMatchObject({
      Version: '2',
      Handler: 'src/lambda.handler',
      CodeSha256: first.CodeSha256,
    });
  });

  it("invokes a version's handler with the event given", async () => {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: `arn:aws:lambda:${REGION}:000000000000:function:${FUNCTION_NAME}`,
        Qualifier: '2',
        Payload: JSON.stringify({ rawPath: '/hello', requestContext: { http: { method: 'GET' } } }),
      }),
    );
    expect(out.ExecutedVersion).toBe('2');
    expect(out.FunctionError).toBeUndefined();
    const answer = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
    expect(answer).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(answer.body)).toMatchObject({ release: 'v2', version: '2' });
  });

  it('shifts a canary deployment to the target version, with no caller ever refused', async () => {
    const load = startLoad(stableUrl);
    const deploymentId = await deploy('1', '2', {
      hooks: { BeforeAllowTraffic: 'hook-ok', AfterAllowTraffic: 'hook-ok' },
    });
    expect(deploymentId).toMatch(/^d-[A-Z0-9]{9}$/);
    const info = await ended(deploymentId);
    const seen = await load.stop();

    expect(info).toMatchObject({
      status: 'Succeeded',
      deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    });
    const record = deployer.codeDeploy.get(deploymentId);
    expect(record?.timeline.map((t) => t.percent)).toEqual(expect.arrayContaining([10, 100]));
    expect(record?.hookExecutions.map((h) => `${h.event} ${h.status}`)).toEqual([
      'BeforeAllowTraffic Succeeded',
      'AfterAllowTraffic Succeeded',
    ]);
    expect(await alias()).toMatchObject({ FunctionVersion: '2' });
    expect((await alias()).RoutingConfig).toBeUndefined();
    expect(stateEvents(deploymentId)).toEqual(['START', 'SUCCESS']);
    expect(events.at(-1)).toMatchObject({
      source: 'aws.codedeploy',
      detailType: 'CodeDeploy Deployment State-change Notification',
      detail: { application: APPLICATION, deploymentGroup: GROUP, region: REGION },
    });
    expect(seen.connectionErrors).toBe(0);
    expect(Object.keys(seen.statuses)).toEqual(['200']);
    expect(record?.syntheticTraffic).toMatchObject({ connectionErrors: 0 });
    const { headers, body } = await fetchJson(`${stableUrl}/hello`);
    expect(headers).toMatchObject({ 'x-gantry-version': '2', 'x-gantry-color': 'blue' });
    expect(body).toMatchObject({ release: 'v2', color: 'blue' });
  });

  it('rolls a version that fails back at once when the error-rate alarm fires', async () => {
    expect((await publish('v3-bad', 500)).Version).toBe('3');
    const load = startLoad(stableUrl);
    const deploymentId = await deploy('2', '3', { config: 'CodeDeployDefault.LambdaCanary10Percent30Minutes' });
    const info = await ended(deploymentId);
    const seen = await load.stop();

    expect(info).toMatchObject({ status: 'Failed', errorInformation: { code: 'ALARM_ACTIVE' } });
    expect(info.rollbackInfo?.rollbackMessage).toContain('back to version 2');
    const record = deployer.codeDeploy.get(deploymentId);
    expect(record?.alarm?.name).toBe(ERROR_RATE_ALARM);
    expect(record?.rollbackMs).toEqual(expect.any(Number));
    expect(await alias()).toMatchObject({ FunctionVersion: '2' });
    expect((await alias()).RoutingConfig).toBeUndefined();
    expect(stateEvents(deploymentId)).toEqual(['START', 'FAILURE']);
    expect(seen.connectionErrors).toBe(0);
    expect((await fetchJson(`${stableUrl}/hello`)).headers['x-gantry-version']).toBe('2');
    // With the load stopped, the window empties and the alarm clears.
    await until('the alarm window to empty', async () => {
      const status = deployer.alarms.evaluate(ERROR_RATE_ALARM);
      return status?.state !== 'ALARM' && (status?.requests ?? 0) < 5 ? true : undefined;
    });
    expect(await alarmState(ERROR_RATE_ALARM)).toBe('OK');
  });

  it('rolls back and ends Stopped when StopDeployment comes while traffic shifts', async () => {
    expect((await publish('v4')).Version).toBe('4');
    const deploymentId = await deploy('2', '4', { config: 'CodeDeployDefault.LambdaLinear10PercentEvery10Minutes' });
    await until('traffic to shift', async () => ((await alias()).RoutingConfig ? true : undefined));
    const stopped = await codedeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
    expect(stopped.status).toBe('Succeeded');
    const info = await ended(deploymentId);
    expect(info).toMatchObject({ status: 'Stopped', errorInformation: { code: 'MANUAL_STOP' } });
    expect(info.rollbackInfo).toBeDefined();
    expect(await alias()).toMatchObject({ FunctionVersion: '2' });
    expect((await alias()).RoutingConfig).toBeUndefined();
    expect(stateEvents(deploymentId)).toEqual(['START', 'STOP']);
    await expect(codedeploy.send(new StopDeploymentCommand({ deploymentId }))).rejects.toBeInstanceOf(
      DeploymentAlreadyCompletedException,
    );
  });

  it('fails and rolls back a deployment whose hook reports Failed', async () => {
    const deploymentId = await deploy('2', '4', {
      config: 'CodeDeployDefault.LambdaAllAtOnce',
      hooks: { AfterAllowTraffic: 'hook-fail' },
    });
    const info: DeploymentInfo = await ended(deploymentId);
    expect(info).toMatchObject({ status: 'Failed', errorInformation: { code: 'HOOK_EXECUTION_FAILURE' } });
    expect(info.errorInformation?.message).toContain('AfterAllowTraffic');
    expect(deployer.codeDeploy.get(deploymentId)?.timeline.map((t) => t.percent)).toContain(100);
    expect(await alias()).toMatchObject({ FunctionVersion: '2' });
    expect(stateEvents(deploymentId)).toEqual(['START', 'FAILURE']);
  });

  it('answers unknown applications, groups, deployments and hook executions as CodeDeploy does', async () => {
    await expect(codedeploy.send(new GetDeploymentCommand({ deploymentId: 'd-ABCDEFGH1' }))).rejects.toBeInstanceOf(
      DeploymentDoesNotExistException,
    );
    await expect(codedeploy.send(new GetDeploymentCommand({ deploymentId: 'nope' }))).rejects.toBeInstanceOf(
      InvalidDeploymentIdException,
    );
    const create = (applicationName: string, deploymentGroupName: string) =>
      codedeploy.send(
        new CreateDeploymentCommand({
          applicationName,
          deploymentGroupName,
          revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec('2', '4') } },
        }),
      );
    await expect(create('nope', GROUP)).rejects.toBeInstanceOf(ApplicationDoesNotExistException);
    await expect(create(APPLICATION, 'nope')).rejects.toBeInstanceOf(DeploymentGroupDoesNotExistException);
    const [latest = ''] =
      (await codedeploy.send(new ListDeploymentsCommand({ applicationName: APPLICATION, deploymentGroupName: GROUP })))
        .deployments ?? [];
    await expect(
      codedeploy.send(
        new PutLifecycleEventHookExecutionStatusCommand({
          deploymentId: latest,
          lifecycleEventHookExecutionId: 'unknown',
          status: 'Succeeded',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidLifecycleEventHookExecutionIdException);
    await expect(
      lambda.send(new GetAliasCommand({ FunctionName: FUNCTION_NAME, Name: 'nope' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('lists deployments newest first and describes the group with its alarms', async () => {
    const { deployments } = await codedeploy.send(
      new ListDeploymentsCommand({
        applicationName: APPLICATION,
        deploymentGroupName: GROUP,
        includeOnlyStatuses: ['Stopped'],
      }),
    );
    expect(deployments).toHaveLength(1);
    const { deploymentGroupInfo } = await codedeploy.send(
      new GetDeploymentGroupCommand({ applicationName: APPLICATION, deploymentGroupName: GROUP }),
    );
    expect(deploymentGroupInfo).toMatchObject({
      computePlatform: 'Lambda',
      alarmConfiguration: { enabled: true, alarms: [{ name: ERROR_RATE_ALARM }, { name: `${FUNCTION_NAME}-latency` }] },
      autoRollbackConfiguration: { enabled: true },
      lastSuccessfulDeployment: { status: 'Succeeded' },
    });
  });

  it('shows each alias, its weights, versions and deployment timelines at /_gantry/services', async () => {
    const { body } = await fetchJson(`${edge.endpoint}/_gantry/services`);
    const [service] = (body as { services: Record<string, unknown>[] }).services;
    expect(service).toMatchObject({
      functionName: FUNCTION_NAME,
      alias: 'live',
      url: stableUrl,
      version: '2',
      weights: { 2: 100 },
    });
    expect((service?.versions as { version: string }[] | undefined)?.map((v) => v.version)).toEqual([
      '1',
      '2',
      '3',
      '4',
    ]);
    const deployments = service?.deployments as {
      status: string;
      timeline: { percent: number }[];
      rollbackMs?: number;
    }[];
    expect(deployments.map((d) => d.status)).toEqual(['Failed', 'Stopped', 'Failed', 'Succeeded']);
    expect(deployments[2]?.rollbackMs).toEqual(expect.any(Number));
    expect(deployments[3]?.timeline.map((t) => t.percent)).toEqual(expect.arrayContaining([0, 10, 100]));
  });

  it('stops every version process when it closes', async () => {
    const running = await deployer.services.process(FUNCTION_NAME, '2');
    closed = true;
    await deployer.close();
    expect(running.running).toBe(false);
  });

  it('keeps versions, aliases and deployments across a restart', async () => {
    const again = await startEdge({ port: 0 });
    const restarted = await start(again);
    const client = new LambdaClient(localClientConfig(again.endpoint));
    try {
      expect(restarted.services.store.alias(FUNCTION_NAME, 'live')?.functionVersion).toBe('2');
      const { Versions } = await client.send(new ListVersionsByFunctionCommand({ FunctionName: FUNCTION_NAME }));
      expect(Versions?.map((v) => v.Version)).toEqual(['$LATEST', '1', '2', '3', '4']);
      expect(restarted.codeDeploy.records.all()).toHaveLength(4);
      const { headers, body } = await fetchJson(`${restarted.endpoints[0]?.url}/hello`);
      expect(headers['x-gantry-version']).toBe('2');
      expect(body).toMatchObject({ release: 'v2' });
    } finally {
      client.destroy();
      await restarted.close();
      await again.close();
    }
  });
});
