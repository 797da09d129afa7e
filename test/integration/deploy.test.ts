import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodeDeployClient, CreateDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { git } from '../../cli/local/sample-repo';
import type { GantryConfig } from '../../infra/config/schema';
import type { RunRecord } from '../../shared/runs/model';
import { gantry } from '../support/cli';
import {
  edgeClientConfig,
  endedRun,
  eventually,
  finishedRun,
  operatorHeaders,
  rollbackAs,
  startTestPlane,
  type TestPlane,
} from '../support/local';

interface ServiceView {
  functionName: string;
  url: string;
  weights: Record<string, number>;
}

/**
 * Blue/green releases end to end: push → build → gates → CodeDeploy (local deployer) → run record, ledger, CLI.
 * Staging's canary is held 15 minutes (15 s at 60x), in which `gantry runs cancel` (a new process,
 * slow to start on a loaded machine) stops it midway; a 5-minute canary (5 s) once ended first.
 * Dev's canary shifts 10% for one minute (1 s), not five: its three releases here check the 10%
 * step and the end, not how long it lasts. Preview keeps five minutes: the bad release's canary
 * must last long enough for its alarm to fire.
 */
function withTestCanaries(config: GantryConfig): GantryConfig {
  return {
    ...config,
    pipelines: config.pipelines.map((p) => ({
      ...p,
      environments: p.environments.map((e) => {
        if (e.deploy === undefined) return e;
        if (e.name === 'staging') return { ...e, deploy: { ...e.deploy, strategy: 'Canary10Percent15Minutes' } };
        if (e.name === 'dev')
          return { ...e, deploy: { ...e.deploy, strategy: { canary: { percent: 10, minutes: 1 } } } };
        return e;
      }),
    })),
  };
}

describe('releases through the local deployer', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane(undefined, { timeScale: 60, configure: withTestCanaries });
  }, 60_000);
  afterAll(() => t?.close());

  const service = async (fn: string): Promise<ServiceView> => {
    const res = await fetch(new URL('/_gantry/services', t.plane.awsEndpoint), { headers: operatorHeaders(t.plane) });
    const found = ((await res.json()) as { services: ServiceView[] }).services.find((s) => s.functionName === fn);
    if (found === undefined) throw new Error(`no service ${fn}`);
    return found;
  };
  const versionServed = async (fn: string) => {
    const res = await fetch(new URL('/version', (await service(fn)).url));
    return ((await res.json()) as { version: string }).version;
  };
  /** A new commit on `branch` that changes the packaged code (so it publishes a new version). */
  const change = (branch: string, note: string) => {
    const repo = t.repo();
    git(repo, 'checkout', '--quiet', branch);
    const file = join(repo, 'src', 'greeting.js');
    writeFileSync(file, `${readFileSync(file, 'utf8')}// ${note}\n`);
    git(repo, 'commit', '--quiet', '-am', note);
  };
  const pushBranch = async (branch: string): Promise<string> => (await t.push({ branch })).push.after;
  const show = async (run: RunRecord) =>
    (await gantry('runs', 'show', run.runId.slice(0, 12), '--data-dir', t.dataDir)).stdout;

  let firstGood: RunRecord;

  it('releases a good build to dev: canary 10% then 100%, green serves all traffic, every step recorded', async () => {
    const run = await finishedRun(t, await pushBranch('develop'));
    // With the failure beside it, so that a failed run says why in the test's output.
    expect({ status: run.status, failure: run.failure }).toEqual({ status: 'SUCCEEDED', failure: undefined });
    expect(run.deployment).toMatchObject({ status: 'succeeded', fromVersion: '1', toVersion: '2' });
    expect(run.stages.deploy).toMatchObject({ status: 'succeeded', summary: expect.stringContaining('version 1 → 2') });
    expect((await service('gantry-sample-service-dev')).weights).toEqual({ 2: 100 });
    expect(await versionServed('gantry-sample-service-dev')).toBe('2');
    const res = await fetch(new URL('/_gantry/services', t.plane.awsEndpoint), { headers: operatorHeaders(t.plane) });
    const dev = (
      (await res.json()) as { services: { functionName: string; deployments: { timeline: { percent: number }[] }[] }[] }
    ).services.find((s) => s.functionName === 'gantry-sample-service-dev');
    const percents = dev?.deployments[0]?.timeline.map((e) => e.percent) ?? [];
    expect(percents).toContain(10);
    expect(percents.at(-1)).toBe(100);
    const audit = await gantry('audit', 'query', '--run', run.runId, '--json', '--data-dir', t.dataDir);
    expect((JSON.parse(audit.stdout) as { type: string }[]).map((e) => e.type)).toEqual(
      expect.arrayContaining(['deploy.started', 'deploy.succeeded', 'run.succeeded']),
    );
    expect(await show(run)).toMatch(/Deployment succeeded: version 1 → 2 on lambda gantry-sample-service-dev:live/);
    firstGood = run;
  }, 90_000);

  it('rolls a bad release back: its canary raises the error-rate alarm, blue serves 100%, the run fails with the reason', async () => {
    const run = await finishedRun(t, (await t.push({ branch: 'demo/bad-release' })).push.after);
    expect(run).toMatchObject({ status: 'FAILED', environment: 'preview', failure: { stage: 'deploy' } });
    expect(run.failure?.reason).toMatch(/alarm/i);
    expect(run.failure?.reason).toContain('rolled back to version 1');
    expect(run.deployment).toMatchObject({ status: 'failed', rolledBack: true });
    expect((await service('gantry-sample-service-preview')).weights).toEqual({ 1: 100 });
    const hello = await fetch(new URL('/hello', (await service('gantry-sample-service-preview')).url));
    expect(hello.status).toBe(200);
    const audit = await gantry('audit', 'query', '--run', run.runId, '--json', '--data-dir', t.dataDir);
    expect((JSON.parse(audit.stdout) as { type: string }[]).map((e) => e.type)).toContain('deploy.rolled_back');
  }, 90_000);

  it('stops a deployment midway with `gantry runs cancel`: traffic goes back to blue, the run fails with the reason', async () => {
    change('main', 'cancel me');
    const commit = await pushBranch('main');
    const deploying = await eventually(
      'the deployment to start shifting',
      async () => {
        const r = (await t.runs.list({ pipeline: 'sample-service' })).find((x) => x.commit === commit);
        return r?.deployment?.deploymentId && r.deployment.status === 'in_progress' ? r : undefined;
      },
      60_000,
    );
    const cancelled = await gantry(
      'runs',
      'cancel',
      deploying.runId.slice(0, 12),
      '--reason',
      'wrong ticket',
      '--as',
      'ops',
      '--data-dir',
      t.dataDir,
    );
    // The whole result, so a refusal shows its stderr.
    expect(cancelled).toEqual({
      code: 0,
      stdout: expect.stringContaining('deployment stopped'),
      stderr: expect.any(String),
    });
    const run = await finishedRun(t, commit);
    expect(run.status).toBe('FAILED');
    expect(run.failure?.reason).toContain('wrong ticket');
    expect(run.deployment).toMatchObject({ fromVersion: '1', toVersion: '2' });
    await eventually('blue to serve all traffic', async () =>
      JSON.stringify((await service('gantry-sample-service-staging')).weights) === JSON.stringify({ 1: 100 })
        ? true
        : undefined,
    );
    expect(await versionServed('gantry-sample-service-staging')).toBe('1');
  }, 90_000);

  it('redeploys the last good revision with `gantry runs rollback <env>` as a new, linked run', async () => {
    change('develop', 'second good release');
    const second = await finishedRun(t, await pushBranch('develop'));
    expect({ status: second.status, failure: second.failure }).toEqual({ status: 'SUCCEEDED', failure: undefined });
    const newVersion = second.deployment?.toVersion;
    expect(newVersion).not.toBe('2');
    expect(await versionServed('gantry-sample-service-dev')).toBe(newVersion);

    const out = await rollbackAs(t, 'dev');
    expect(out).toMatchObject({ rollbackOf: second.runId, toRunId: firstGood.runId, version: '2' });
    const run = await endedRun(t, out.runId, 60_000);
    expect(run).toMatchObject({ status: 'SUCCEEDED', trigger: 'rollback' });
    expect(run.build).toBeUndefined();
    expect(await versionServed('gantry-sample-service-dev')).toBe('2');
    expect(await show(run)).toContain(`undoes run ${second.runId}`);
  }, 120_000);

  interface Recorded {
    type: string;
    details: { deploymentId: string; reason: string; deploymentGroup: string };
  }

  /** A deployment of the sample service's dev alias to `version`, created by hand: no run started it. */
  const deployByHand = async (version: (current: string | undefined) => string): Promise<string> => {
    const fn = 'gantry-sample-service-dev';
    const [current] = Object.keys((await service(fn)).weights);
    const content = JSON.stringify({
      version: 0.0,
      Resources: [
        {
          service: {
            Type: 'AWS::Lambda::Function',
            Properties: { Name: fn, Alias: 'live', CurrentVersion: current, TargetVersion: version(current) },
          },
        },
      ],
    });
    const codedeploy = new CodeDeployClient(edgeClientConfig(t.plane));
    const { deploymentId } = await codedeploy.send(
      new CreateDeploymentCommand({
        applicationName: 'gantry-sample-service',
        deploymentGroupName: 'dev',
        description: 'a quick fix, by hand',
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content } },
      }),
    );
    return deploymentId ?? '';
  };

  const securityRecord = async (deploymentId: string): Promise<Recorded | undefined> => {
    const out = await gantry('audit', 'query', '--type', 'security', '--json', '--data-dir', t.dataDir);
    return (JSON.parse(out.stdout) as Recorded[]).find((e) => e.details.deploymentId === deploymentId);
  };

  it('records a deployment no run started (CreateDeployment by hand) in the ledger, and counts it for its alarm', async () => {
    // Back to the first version, no gate, approval or provenance check: what the alarm is for.
    const deploymentId = await deployByHand(() => '1');
    const record = await eventually('the unattributed deployment in the ledger', () => securityRecord(deploymentId));
    expect(record).toMatchObject({ type: 'security.unattributed_deployment', details: { deploymentGroup: 'dev' } });
    expect(record.details.reason).toContain('its description names no Gantry run');
    // The datapoint `gantry-security-unattributed-deployment` watches, in the function's log (EMF).
    const counted = t.logs
      .filter((l) => l.includes('"SecurityRecords"'))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>);
    expect(counted).toEqual([
      expect.objectContaining({ SecurityRecords: 1, Type: 'security.unattributed_deployment' }),
    ]);
    // And a message of its own on the alarm topic (the Security Record rule → the local SNS stand-in),
    // which the alarm, notifying only when its state changes, cannot promise for a second record.
    const notice = await eventually('its notice on the alarm topic', async () =>
      t.plane.notifications.records.find(
        (r) => r.target === 'gantry-alarms' && JSON.stringify(r.body).includes(deploymentId),
      ),
    );
    expect(JSON.parse((notice.body as { message: string }).message)).toMatchObject({
      type: 'security.unattributed_deployment',
      runId: null,
      reason: expect.stringContaining('its description names no Gantry run'),
    });
  }, 60_000);

  it('keeps a deployment’s end that deploy-events failed on in the triggers dead-letter queue until `gantry dlq redrive` records it', async () => {
    const fnOf = (label: string) => {
      const found = t.plane.inventory.functions.find((f) => f.label === label);
      if (found === undefined) throw new Error(`no ${label} function`);
      return found;
    };
    const events = fnOf('deploy-events');
    const queue = t.plane.inventory.queues.find((q) => q.name.startsWith('GantryControlPlane-TriggerDeadLetters'));
    const sqs = new SQSClient(edgeClientConfig(t.plane));
    const triggers = t.plane.sqs.queueUrl(queue?.name ?? '');
    const held = async () =>
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: triggers, MaxNumberOfMessages: 10, VisibilityTimeout: 0 })))
        .Messages ?? [];
    // Every attempt Lambda makes fails, as a throttled ledger would fail them; nothing else is touched.
    const { functions } = t.plane;
    const invoke = functions.invoke.bind(functions);
    let attempts = 0;
    functions.invoke = async (arn, payload) => {
      if (arn !== events.arn) return invoke(arn, payload);
      attempts++;
      return { ok: false, errorType: 'ProvisionedThroughputExceededException', errorMessage: 'throttled', trace: [] };
    };
    let deploymentId = '';
    let body = '';
    try {
      deploymentId = await deployByHand((current) => (current === '1' ? '2' : '1'));
      body = await eventually('Lambda’s record of the failed invocation in the triggers queue', async () =>
        (await held()).map((m) => m.Body ?? '').find((b) => b.includes(deploymentId)),
      );
    } finally {
      functions.invoke = invoke;
    }
    expect(attempts).toBe(3);
    const record = JSON.parse(body) as { requestContext: Record<string, unknown> };
    expect(record).toMatchObject({
      requestContext: {
        functionArn: `${events.arn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { source: 'aws.codedeploy', detail: { deploymentId } },
      responsePayload: { errorType: 'ProvisionedThroughputExceededException' },
    });
    expect(await securityRecord(deploymentId)).toBeUndefined();
    // The same record, put in the queue by hand to run another function with that event: refused.
    const operatorApi = fnOf('operator-api');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: triggers,
        MessageBody: JSON.stringify({
          ...record,
          requestContext: { ...record.requestContext, functionArn: `${operatorApi.arn}:$LATEST` },
        }),
      }),
    );

    const out = await gantry('dlq', 'redrive', '--queue', 'triggers', '--json', '--data-dir', t.dataDir);
    expect(out.code).toBe(1);
    const reports = JSON.parse(out.stdout) as { subject: string; status: string; code?: string; detail: string }[];
    expect(reports).toEqual([
      expect.objectContaining({ subject: `→ ${events.name} (asynchronous invocation)`, status: 'redriven' }),
      expect.objectContaining({
        subject: `→ ${operatorApi.name} (asynchronous invocation)`,
        status: 'kept',
        code: 'unknown_target',
        detail: expect.stringContaining('does not send its failed invocations to this queue'),
      }),
    ]);
    const recorded = await eventually('the redriven deployment’s end in the ledger', () =>
      securityRecord(deploymentId),
    );
    expect(recorded).toMatchObject({ type: 'security.unattributed_deployment', details: { deploymentGroup: 'dev' } });
    // Redriven, Lambda's record left the queue; the forged one stays.
    const left = (await held()).map((m) => JSON.parse(m.Body ?? '{}') as { requestContext?: { functionArn?: string } });
    expect(left.map((m) => m.requestContext?.functionArn)).toEqual([`${operatorApi.arn}:$LATEST`]);
  }, 90_000);
});
