import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { PipelineDefinition, RunPlan } from '../../../events';
import { deploymentDescription, runIdOf } from '../../../shared/deploy/appspec';
import { configurationDigest, environmentDigest, environmentValueTags } from '../../../shared/deploy/configuration';
import { DeploymentNotYetRecorded, onDeploymentEvent, onStateChangeEvent } from '../../../shared/deploy/events';
import type { DeploymentInfo, FunctionConfiguration } from '../../../shared/deploy/ports';
import { type ReleaseDeps, startDeployment } from '../../../shared/deploy/release';
import { bakeUntil, checkBake, reconcileDeployment } from '../../../shared/deploy/verify';
import { cancel, OperatorActionError, type OperatorDeps, retry, rollback } from '../../../shared/operators/actions';
import { answerOperatorRequest } from '../../../shared/operators/operator-api';
import { separationConflict } from '../../../shared/pipelines/approval';
import { buildClassOf, buildClassPath } from '../../../shared/pipelines/artifact-layout';
import { finishRun, recordFailure, reportEnded } from '../../../shared/pipelines/finish';
import { resolvePlan } from '../../../shared/pipelines/plan';
import type { DeployedPipelines, ExecutionPipelines } from '../../../shared/pipelines/ports';
import { enterLane, resolveRun } from '../../../shared/pipelines/start';
import { recordProvenance } from '../../../shared/provenance/record';
import { provenAs } from '../../support/callers';
import { FakeDeployControl, SAMPLE_CONFIGURATION } from '../../support/deploy-fakes';
import { MemoryAdmissions, openedDeployment, type PipelineFakes, runsTableFixture } from '../../support/pipeline-fakes';
import { DEFINITION, lambdaTarget, PEOPLE, planRequest, sourceEvent } from '../../support/plans';
import { buildPhases, FakeBuildSource, HmacSigner, MemoryVersionedObjects } from '../../support/provenance-fakes';

const BUCKET = 'artifacts-bucket';

/** The widgets pipeline with one environment opted out of refusing Lambda configuration changes. */
function recording(environment: string): PipelineDefinition {
  return {
    ...DEFINITION,
    environments: DEFINITION.environments.map((e) =>
      e.name === environment && e.deploy?.lambda
        ? { ...e, deploy: { ...e.deploy, lambda: { ...e.deploy.lambda, configurationChanges: 'record' } } }
        : e,
    ),
  };
}

/** The widgets pipeline's operator (test/support/plans.ts). */
const OLGA = 'arn:aws:iam::123456789012:user/olga';
const ARN_BOB = 'arn:aws:iam::123456789012:user/bob';

/** CodeDeploy's state-change event for a deployment of the widgets dev group, as EventBridge delivers it. */
const stateChange = (deploymentId: string) =>
  ({
    source: 'aws.codedeploy',
    'detail-type': 'CodeDeploy Deployment State-change Notification',
    detail: { deploymentId, application: 'widgets', deploymentGroup: 'dev', state: 'SUCCESS' },
  }) as const;

describe('deploying a run through CodeDeploy', () => {
  let f: PipelineFakes;
  let cd: FakeDeployControl;
  let deps: ReleaseDeps & OperatorDeps & { pipelines: DeployedPipelines & ExecutionPipelines };
  let objects: MemoryVersionedObjects;
  let builds: FakeBuildSource;
  let signer: HmacSigner;
  let build = 0;

  const runs = runsTableFixture('runs');
  beforeEach(async () => {
    ({ fakes: f } = await runs.fresh());
    objects = new MemoryVersionedObjects();
    builds = new FakeBuildSource();
    signer = new HmacSigner();
    cd = new FakeDeployControl(objects);
    deps = { ...f.deps, deploy: cd, provenance: { objects, signer } };
  });

  /** The runs table, each status write waiting for `until` first and calling `after` after it. */
  function statusWritesHeld(hooks: { readonly until?: Promise<void>; readonly after?: () => void }): typeof f.runs {
    const runs = Object.create(f.runs) as typeof f.runs;
    runs.setStatus = async (...args) => {
      await hooks.until;
      const wrote = await f.runs.setStatus(...args);
      hooks.after?.();
      return wrote;
    };
    return runs;
  }

  /** A promise and what settles it. */
  function opening(): { readonly opened: Promise<void>; readonly open: () => void } {
    let open: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    return { opened, open };
  }

  /** A dev run whose trusted build uploaded `function.zip`, attested by RecordProvenance. */
  async function devRun(
    zip = Buffer.from(`package ${build + 1}`),
    commit = 'b'.repeat(40),
    branch = 'develop',
    pipeline = DEFINITION,
  ): Promise<RunPlan> {
    const plan = resolvePlan(
      planRequest(
        sourceEvent({ branch, ref: `refs/heads/${branch}`, after: commit, headSha: commit }),
        'push',
        pipeline,
      ),
    );
    // A run is planned from the pipeline as deployed: Deploy checks its target against that.
    if (pipeline !== DEFINITION) f.pipelines.deployed = pipeline;
    // As ResolvePlan records a run: it takes its lane first.
    await enterLane(f.deps, plan.lane, plan.runId);
    await f.runs.create(plan, 'RUNNING', f.now);
    return built(plan, zip);
  }
  /** A running run whose trusted build uploaded `function.zip`, attested by RecordProvenance, and whose gates passed. */
  async function built<P extends RunPlan>(plan: P, zip = Buffer.from(`package ${build + 1}`)): Promise<P> {
    // In the project, and under the prefix, of its class: the gated ones for a prod run.
    const id = `${plan.build.projectName}:b${++build}`;
    const prefix = `${buildClassPath('widgets', buildClassOf(plan))}/b${build}/artifacts/`;
    const uploading = new Date();
    await objects.put(BUCKET, `${prefix}dist/function.zip`, zip);
    builds.builds.set(id, {
      id,
      arn: `arn:aws:codebuild:us-east-1:123456789012:build/${id}`,
      projectName: plan.build.projectName,
      status: 'SUCCEEDED',
      resolvedSourceVersion: plan.commit,
      artifactsLocation: `arn:aws:s3:::${BUCKET}/${prefix.slice(0, -1)}`,
      buildspec: 'buildspec.yml',
      startTime: null,
      endTime: null,
      phases: buildPhases(uploading, new Date()),
    });
    await recordProvenance({ ...f.deps, objects, signer, builds, clock: () => f.now }, plan, id, plan.executionArn);
    // As EvaluateGates records a passing verdict.
    await f.runs.update(plan.runId, { gates: { passed: true, reasons: [], metrics: {} } }, f.now);
    f.audit.records.length = 0;
    return plan;
  }
  /** A dev run whose deployment (version 3 → 4) landed: its bake comes next. */
  async function landedRun(): Promise<RunPlan> {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    cd.end('d-000000001', 'Succeeded');
    await onDeploymentEvent(deps, await cd.getDeployment('d-000000001'), plan.runId);
    return plan;
  }

  it('publishes the build as a version and shifts the alias with the target’s configuration, parked on the token', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    expect(cd.published).toEqual([
      {
        fn: 'widgets-dev',
        bucket: BUCKET,
        key: 'releases/widgets/ungated/b1/artifacts/dist/function.zip',
        versionId: (await objects.get(BUCKET, 'releases/widgets/ungated/b1/artifacts/dist/function.zip')).versionId,
      },
    ]);
    const [request] = cd.created;
    expect(request).toMatchObject({
      application: 'widgets',
      deploymentGroup: 'dev',
      deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    });
    expect(runIdOf(request?.description ?? '')).toBe(plan.runId);
    expect(JSON.parse(request?.appSpec ?? '{}')).toMatchObject({
      Resources: [{ 'widgets-dev': { Properties: { Alias: 'live', CurrentVersion: '3', TargetVersion: '4' } } }],
      Hooks: [{ BeforeAllowTraffic: 'widgets-hook' }, { AfterAllowTraffic: 'widgets-hook' }],
    });
    const run = await f.runs.get(plan.runId);
    expect(run?.deployment).toMatchObject({
      taskToken: 'token-1',
      fromVersion: '3',
      toVersion: '4',
      status: 'in_progress',
    });
    expect(run?.stages.deploy?.status).toBe('running');
    expect(f.audit.records.map((r) => r.type)).toEqual(['deploy.started']);
    // The ledger alone ties the deployment to the attested bytes of this run's build.
    const zip = await objects.get(BUCKET, 'releases/widgets/ungated/b1/artifacts/dist/function.zip');
    expect(f.audit.records[0]?.details).toEqual({
      deploymentId: 'd-000000001',
      target: expect.any(String),
      strategy: expect.any(String),
      fromVersion: '3',
      toVersion: '4',
      artifact: {
        name: 'dist/function.zip',
        sha256: run?.provenance?.subjects.find((s) => s.name === 'dist/function.zip')?.sha256,
        versionId: zip.versionId,
        builtBy: plan.runId,
      },
      // What the version runs besides the package, as Lambda published it; nothing changed since version 3.
      configuration: { ...SAMPLE_CONFIGURATION, changedSince: null },
    });
    expect(f.audit.records[0]?.details).toHaveProperty('artifact.sha256', expect.stringMatching(/^[0-9a-f]{64}$/));
    expect(f.executions.successes).toEqual([]);
  });

  it('records what the published version runs besides its package, and what changed, where the environment only records changes', async () => {
    // Dev opted out of refusing configuration changes (`configurationChanges: record`): it keeps
    // releasing them, on the record. (Refused by default: see "a Lambda configuration no review saw".)
    const plan = await devRun(undefined, undefined, undefined, recording('dev'));
    // Someone with lambda:UpdateFunctionConfiguration in the account adds a layer and NODE_OPTIONS
    // to $LATEST: the next published version takes them, with the attested package.
    cd.latestConfiguration = {
      ...SAMPLE_CONFIGURATION,
      layers: ['arn:aws:lambda:us-east-1:123456789012:layer:extra:1'],
      environmentKeys: ['NODE_OPTIONS', 'SERVICE_NAME'],
      environmentSha256: 'f'.repeat(64),
    };
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    expect(cd.created).toHaveLength(1);
    expect(f.audit.records.map((r) => r.type)).toEqual(['deploy.started']);
    expect(f.audit.records.find((r) => r.type === 'deploy.started')?.details).toMatchObject({
      toVersion: '4',
      configuration: {
        layers: ['arn:aws:lambda:us-east-1:123456789012:layer:extra:1'],
        environmentKeys: ['NODE_OPTIONS', 'SERVICE_NAME'],
        changedSince: { version: '3', changes: ['layers', 'environment'] },
      },
    });
  });

  it('names in deploy.started the artifact it verified against the signed provenance, not the runs table’s copy', async () => {
    const plan = await devRun();
    const run = await f.runs.get(plan.runId);
    const provenance = run?.provenance;
    if (provenance === undefined) throw new Error('no provenance');
    const attested = provenance.subjects.find((s) => s.name === 'dist/function.zip')?.sha256;
    // Someone who may write the runs table rewrites its copy of the digests.
    const subjects = provenance.subjects.map((s) => ({ ...s, sha256: 'f'.repeat(64) }));
    await f.runs.update(plan.runId, { provenance: { ...provenance, subjects } }, f.now);
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    expect(f.audit.records.find((r) => r.type === 'deploy.started')?.details).toMatchObject({
      artifact: { name: 'dist/function.zip', sha256: attested },
    });
  });

  it('is answered by the state-change event: success resumes the run, once, however often the event comes', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    cd.end('d-000000001', 'Succeeded');
    const info = await cd.getDeployment('d-000000001');
    await expect(onDeploymentEvent(deps, info, plan.runId)).resolves.toBe('answered');
    await expect(onDeploymentEvent(deps, info, plan.runId)).resolves.toBe('already settled');
    expect(f.executions.successes).toEqual([
      { token: 'token-1', output: expect.objectContaining({ deploymentId: 'd-000000001', toVersion: '4' }) },
    ]);
    expect((await f.runs.get(plan.runId))?.deployment?.status).toBe('succeeded');
    expect(f.audit.records.map((r) => r.type)).toEqual(['deploy.started', 'deploy.succeeded']);
  });

  it('fails the run with CodeDeploy’s reason when the deployment rolled back', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    cd.end('d-000000001', 'Failed', 'One or more alarms have been activated: gantry-widgets-dev-error-rate', true);
    await onDeploymentEvent(deps, await cd.getDeployment('d-000000001'), plan.runId);
    expect(f.executions.failures).toEqual([
      {
        token: 'token-1',
        error: 'Gantry.DeploymentFailed',
        cause:
          'deployment d-000000001 failed, traffic rolled back to version 3: One or more alarms have been activated: gantry-widgets-dev-error-rate',
      },
    ]);
    const rolledBack = f.audit.records.find((r) => r.type === 'deploy.rolled_back');
    expect(rolledBack?.outcome).toBe('failure');
  });

  it('asks EventBridge to retry an event that comes before the run noted its deployment', async () => {
    const plan = await devRun();
    await f.runs.openDeployment(
      plan.runId,
      {
        taskToken: 't',
        target: 'x',
        strategy: 's',
        fromVersion: '3',
        toVersion: '4',
        status: 'in_progress',
        startedAt: '',
      },
      f.now,
    );
    const info = { deploymentId: 'd-1', status: 'Succeeded', description: '', error: null, rolledBack: false };
    await expect(onDeploymentEvent(deps, info, plan.runId)).rejects.toBeInstanceOf(DeploymentNotYetRecorded);
  });

  it('adopts the deployment a retried Deploy step already started, answering at once if it ended', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    cd.end('d-000000001', 'Succeeded');
    await startDeployment(deps, plan, 'token-2', plan.executionArn);
    expect(cd.created).toHaveLength(1);
    expect(f.executions.successes.map((s) => s.token)).toEqual(['token-2']);
  });

  it('signs and records one provenance per run however often RecordProvenance is retried', async () => {
    const plan = await devRun();
    const first = (await f.runs.get(plan.runId))?.provenance;
    await recordProvenance(
      { ...f.deps, objects, signer, builds, clock: () => f.now },
      plan,
      `gantry-widgets:b${build}`,
      plan.executionArn,
    );
    expect((await f.runs.get(plan.runId))?.provenance).toEqual(first);
    expect(f.audit.records.map((r) => r.type)).toEqual(['build.provenance']);
    expect(f.audit.records[0]?.details).toMatchObject({
      envelope: expect.stringContaining(`versionId=${first?.versionId}`),
    });
  });

  it('adopts the deployment CodeDeploy created when the step died before noting its id, and records it once', async () => {
    const plan = await devRun();
    const note = f.runs.setDeploymentId.bind(f.runs);
    f.runs.setDeploymentId = async () => {
      throw new Error('Lambda timed out');
    };
    await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toThrow('Lambda timed out');
    f.runs.setDeploymentId = note;
    await startDeployment(deps, plan, 'token-2', plan.executionArn);
    expect(cd.created).toHaveLength(1);
    expect((await f.runs.get(plan.runId))?.deployment).toMatchObject({
      deploymentId: 'd-000000001',
      taskToken: 'token-2',
    });
    await startDeployment(deps, plan, 'token-3', plan.executionArn);
    expect(cd.created).toHaveLength(1);
    expect(f.audit.records.filter((r) => r.type === 'deploy.started')).toHaveLength(1);
    // Its one record names what the adopted version runs besides its package, as a first attempt's would.
    expect(f.audit.records.find((r) => r.type === 'deploy.started')?.details).toMatchObject({
      toVersion: '4',
      configuration: { ...SAMPLE_CONFIGURATION, changedSince: null },
    });
  });

  it('never adopts a deployment that only names the run: one that deploys anything else is refused and recorded', async () => {
    const plan = await devRun();
    const create = cd.createDeployment.bind(cd);
    // Someone who may CreateDeployment on the group starts their own version under the run's name…
    await create({
      application: 'widgets',
      deploymentGroup: 'dev',
      deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
      description: deploymentDescription(plan.runId),
      appSpec: JSON.stringify({
        version: 0.0,
        Resources: [
          {
            'widgets-dev': {
              Type: 'AWS::Lambda::Function',
              Properties: { Name: 'widgets-dev', Alias: 'live', CurrentVersion: '3', TargetVersion: '9' },
            },
          },
        ],
      }),
    });
    // …so Gantry's own CreateDeployment fails while theirs is in progress, and the step is retried.
    cd.createDeployment = async () => {
      throw Object.assign(new Error('a deployment is in progress'), { name: 'DeploymentLimitExceededException' });
    };
    await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toThrow('in progress');
    cd.createDeployment = create;
    await expect(startDeployment(deps, plan, 'token-2', plan.executionArn)).rejects.toMatchObject({
      name: 'Gantry.DeploymentFailed',
      message: expect.stringContaining('does not deploy what the run asked (version 3 → 4)'),
    });
    expect((await f.runs.get(plan.runId))?.deployment?.deploymentId).toBeUndefined();
    expect(f.audit.records.map((r) => r.type)).toEqual(['security.forged_input']);
  });

  it('closes a deployment whose task another path answered at the same moment, without failing', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    cd.end('d-000000001', 'Stopped', 'stopped by ops', true);
    // An operator's cancel and CodeDeploy's Stopped event both end it; the other answered the token first.
    f.executions.refusedTokens.set('token-1', 'TaskTimedOut');
    await expect(onDeploymentEvent(deps, await cd.getDeployment('d-000000001'), plan.runId)).resolves.toBe('answered');
    expect((await f.runs.get(plan.runId))?.deployment).toMatchObject({
      status: 'stopped',
      answeredAt: expect.any(String),
    });
    expect(f.audit.records.filter((r) => r.type === 'deploy.rolled_back')).toHaveLength(1);
  });

  it('a deployment event delivered twice, or retried after the ledger failed, records and answers the run once', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    cd.end('d-000000001', 'Succeeded');
    const info = await cd.getDeployment('d-000000001');
    f.audit.failing = true;
    await expect(onDeploymentEvent(deps, info, plan.runId)).rejects.toThrow('ledger unavailable');
    f.audit.failing = false;
    // EventBridge retries: the deployment was closed by the failed attempt, the record not written.
    await onDeploymentEvent(deps, info, plan.runId);
    // Delivered again after the run moved on: Step Functions refuses the answered token.
    f.executions.refusedTokens.set('token-1', 'TaskTimedOut');
    await onDeploymentEvent(deps, info, plan.runId);
    expect(f.audit.records.filter((r) => r.type === 'deploy.succeeded')).toHaveLength(1);
    expect(f.executions.successes.map((s) => s.token)).toEqual(['token-1']);
  });

  describe('deployments to a Gantry target that no run started', () => {
    const unattributed = () => f.audit.records.filter((r) => r.type === 'security.unattributed_deployment');
    /** A deployment someone created by hand, as CodeDeploy describes it. */
    const byHand = (described: Partial<DeploymentInfo> = {}) =>
      cd.deployments.set('d-hand', {
        deploymentId: 'd-hand',
        status: 'Succeeded',
        description: 'hotfix',
        error: null,
        rolledBack: false,
        creator: 'user',
        ...described,
      });

    it('records one made by hand, once however often its event comes, and answers no run', async () => {
      byHand();
      await expect(onStateChangeEvent(deps, stateChange('d-hand'))).resolves.toMatch(/^recorded/);
      await onStateChangeEvent(deps, stateChange('d-hand'));
      expect(unattributed()).toEqual([
        expect.objectContaining({
          actor: { type: 'system', id: 'user', providerIdentity: null },
          outcome: 'failure',
          details: {
            deploymentId: 'd-hand',
            application: 'widgets',
            deploymentGroup: 'dev',
            status: 'Succeeded',
            creator: 'user',
            reason: 'deployment d-hand to widgets/dev was not started by Gantry: its description names no Gantry run',
          },
        }),
      ]);
      expect(f.executions.successes).toEqual([]);
    });

    it('records it as CodeDeploy describes it, once, whatever account, application and group a sent-again event claims', async () => {
      byHand({ application: 'widgets', deploymentGroup: 'prod' });
      // What someone allowed to send to the triggers queue could have redriven, before the real event.
      const forged = (account: string) => ({
        ...stateChange('d-hand'),
        account,
        detail: { ...stateChange('d-hand').detail, application: 'scratch', deploymentGroup: 'sandbox' },
      });
      await onStateChangeEvent(deps, forged('999999999999'));
      await onStateChangeEvent(deps, forged('888888888888'));
      await onStateChangeEvent(deps, stateChange('d-hand'));
      expect(unattributed().map((r) => r.details)).toEqual([
        expect.objectContaining({
          application: 'widgets',
          deploymentGroup: 'prod',
          reason: 'deployment d-hand to widgets/prod was not started by Gantry: its description names no Gantry run',
        }),
      ]);
    });

    it('records one whose description names a run that did not start it, and leaves that run alone', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      cd.deployments.set('d-forged', {
        deploymentId: 'd-forged',
        status: 'Succeeded',
        description: deploymentDescription(plan.runId),
        error: null,
        rolledBack: false,
      });
      await expect(onStateChangeEvent(deps, stateChange('d-forged'))).resolves.toMatch(/^recorded/);
      expect(unattributed()[0]?.details).toMatchObject({
        reason: expect.stringContaining(`names run ${plan.runId}, whose deployment is d-000000001`),
      });
      expect(f.executions.successes).toEqual([]);
      expect((await f.runs.get(plan.runId))?.deployment?.status).toBe('in_progress');
    });

    it('records one naming a run that created no deployment (its code was live already), or noted none for long', async () => {
      const forged = (id: string, runId: string) =>
        cd.deployments.set(id, {
          deploymentId: id,
          status: 'Succeeded',
          description: deploymentDescription(runId),
          error: null,
          rolledBack: false,
        });
      cd.nextVersion = cd.aliasAt;
      const redeployed = await devRun();
      await startDeployment(deps, redeployed, 'token-1', redeployed.executionArn);
      expect((await f.runs.get(redeployed.runId))?.deployment).toMatchObject({ status: 'succeeded' });
      forged('d-same', redeployed.runId);
      await expect(onStateChangeEvent(deps, stateChange('d-same'))).resolves.toMatch(/^recorded/);
      expect(unattributed().at(-1)?.details).toMatchObject({
        reason: expect.stringContaining(
          `names run ${redeployed.runId}, whose deployment ended succeeded without creating one`,
        ),
      });

      const opened = await devRun(undefined, 'c'.repeat(40), 'main');
      await openedDeployment(f.runs, opened.runId, f.now);
      forged('d-unnoted', opened.runId);
      // Just opened: CodeDeploy's event may come before the id is noted; EventBridge retries.
      await expect(onStateChangeEvent(deps, stateChange('d-unnoted'))).rejects.toBeInstanceOf(DeploymentNotYetRecorded);
      f.now = new Date(f.now.getTime() + 20 * 60_000);
      await expect(onStateChangeEvent(deps, stateChange('d-unnoted'))).resolves.toMatch(/^recorded/);
      expect(unattributed().at(-1)?.details).toMatchObject({
        reason: expect.stringContaining('has noted no deployment in the 20 min since it opened one'),
      });
    });

    it("ignores CodeDeploy's own rollback of a run's deployment", async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      cd.deployments.set('d-rollback', {
        deploymentId: 'd-rollback',
        status: 'Succeeded',
        description: '',
        error: null,
        rolledBack: true,
        creator: 'codeDeployRollback',
        rollbackOf: 'd-000000001',
      });
      await expect(onStateChangeEvent(deps, stateChange('d-rollback'))).resolves.toMatch(
        /^ignored: CodeDeploy's rollback/,
      );
      expect(unattributed()).toEqual([]);
    });
  });

  it('reconciles once when no event came: a deployment still running is stopped and the run fails', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    await expect(reconcileDeployment(deps, plan, plan.executionArn)).rejects.toMatchObject({
      name: 'Gantry.DeploymentTimedOut',
      message: expect.stringContaining('no deployment state-change event within 120 min'),
    });
    expect(cd.stopped).toEqual(['d-000000001']);
  });

  it('acts only on the run its own execution owns: a direct invocation naming another run is refused before anything is stopped', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    f.audit.records.length = 0;
    const stranger = 'arn:aws:states:us-east-1:123456789012:execution:gantry-other:forged';
    const checks = [
      ['reconcile', () => reconcileDeployment(deps, plan, stranger)],
      ['bake-start', () => bakeUntil(deps, plan, stranger)],
      ['bake', () => checkBake(deps, plan, stranger)],
    ] as const;
    for (const [, run] of checks)
      await expect(run()).rejects.toMatchObject({
        name: 'Gantry.ForgedInput',
        message: expect.stringContaining(`belongs to execution ${plan.executionArn}, not to ${stranger}`),
      });
    // The victim's deployment goes on; nothing but the refusals is recorded.
    expect(cd.stopped).toEqual([]);
    expect((await f.runs.get(plan.runId))?.deployment?.status).toBe('in_progress');
    expect(f.audit.records.map((r) => [r.type, (r.details as { step?: string }).step])).toEqual(
      checks.map(([check]) => ['security.forged_input', `deploy-verify (${check})`]),
    );
  });

  it('records what it reconciles under the run’s own plan, whatever repository, commit or environment the input names', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    const forged: RunPlan = { ...plan, repository: 'someone/else', commit: 'f'.repeat(40), environment: 'prod' };
    await expect(reconcileDeployment(deps, forged, plan.executionArn)).rejects.toMatchObject({
      name: 'Gantry.DeploymentTimedOut',
    });
    expect(cd.stopped).toEqual(['d-000000001']);
    const recorded = f.audit.records.filter((r) => r.type.startsWith('deploy.'));
    expect(recorded.length).toBeGreaterThan(0);
    for (const record of recorded)
      expect(record.subject).toEqual({
        repository: plan.repository,
        commit: plan.commit,
        runId: plan.runId,
        environment: plan.environment,
        pipeline: plan.pipeline,
      });
  });

  describe('an operator’s cancel racing the Deploy step (its invocation goes on after the execution stops)', () => {
    const cancelling = (plan: RunPlan, cancelDeps: typeof deps = deps) =>
      cancel(cancelDeps, { runId: plan.runId, principal: OLGA, reason: 'stop this release' });
    /** The operator cancels once CodeDeploy created the deployment, before Deploy notes its id; then `after`. */
    const cancelOnCreate = (plan: RunPlan, after: () => void = () => undefined) => {
      const create = cd.createDeployment.bind(cd);
      cd.createDeployment = async (input) => {
        const id = await create(input);
        await expect(cancelling(plan)).resolves.toEqual({ outcome: 'cancelled' });
        after();
        return id;
      };
    };

    it.each([
      ['an operator', 'olga'],
      ['a newer run superseding it', 'run-newer'],
    ])(
      'deploys nothing, and pages nobody, when %s cancelled the run after Step Functions invoked Deploy',
      async (_, by) => {
        const plan = await devRun();
        if (by === 'olga') await expect(cancelling(plan)).resolves.toEqual({ outcome: 'cancelled' });
        else await f.runs.setStatus(plan.runId, 'CANCELLED', f.now, { cancelledBy: by }, ['RUNNING']);
        await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toMatchObject({
          name: 'Gantry.DeploymentStopped',
          message: `run ${plan.runId} was CANCELLED by ${by} before its release began: nothing was deployed`,
        });
        expect(cd.created).toEqual([]);
        expect(f.audit.records.filter((r) => r.type.startsWith('security.'))).toEqual([]);
      },
    );

    it('still pages a cancelled run whose record falls short of a release: an approval no decide() closed', async () => {
      // A prod run whose Approval task was answered by hand, then superseded before Deploy read it.
      const plan = await devRun(Buffer.from('release'), 'e'.repeat(40), 'release/1.0');
      expect(plan.approval).not.toBeNull();
      await f.runs.setStatus(plan.runId, 'CANCELLED', f.now, { cancelledBy: 'run-newer' }, ['RUNNING']);
      await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toThrow(
        /environment prod requires 1 approval\(s\)/,
      );
      expect(cd.created).toEqual([]);
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toEqual([
        expect.objectContaining({ details: expect.objectContaining({ step: 'deploy' }) }),
      ]);
    });

    it('still pages a run cancelled long before Deploy read it: a replayed invoke, not a race', async () => {
      const plan = await devRun();
      await f.runs.setStatus(plan.runId, 'CANCELLED', f.now, { cancelledBy: 'olga', endedAt: f.now.toISOString() }, [
        'RUNNING',
      ]);
      f.now = new Date(f.now.getTime() + 16 * 60_000);
      deps = { ...deps, clock: () => f.now };
      await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toThrow(
        /is CANCELLED, not RUNNING/,
      );
      expect(f.audit.records.map((r) => r.type)).toContain('security.forged_input');
      expect(cd.created).toEqual([]);
    });

    it('still pages a cancelled run without a canceller on record: no cancel wrote that', async () => {
      const plan = await devRun();
      await f.runs.setStatus(plan.runId, 'CANCELLED', f.now, {}, ['RUNNING']);
      await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toThrow(
        /is CANCELLED, not RUNNING/,
      );
      expect(f.audit.records.map((r) => r.type)).toContain('security.forged_input');
    });

    it('deploys nothing when the cancel came while the release was being verified and published', async () => {
      const plan = await devRun();
      const publish = cd.publishVersion.bind(cd);
      cd.publishVersion = async (fn, code) => {
        await expect(cancelling(plan)).resolves.toEqual({ outcome: 'cancelled' });
        return publish(fn, code);
      };
      await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.DeploymentStopped',
        message: `run ${plan.runId} was CANCELLED by olga while its release was being verified: nothing was deployed`,
      });
      expect(cd.created).toEqual([]);
      expect((await f.runs.get(plan.runId))?.status).toBe('CANCELLED');
    });

    it('stops its own deployment when the cancel ended the run while CodeDeploy was creating it', async () => {
      const plan = await devRun();
      // CodeDeploy's listing does not show the new deployment to the cancel yet.
      cd.findDeployment = async () => undefined;
      // The cancel reads the run before Deploy notes the id: it sees no deployment to stop.
      cancelOnCreate(plan);
      await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.DeploymentStopped',
        message: expect.stringContaining('was CANCELLED by olga while its deployment was being created: stopped'),
      });
      expect(cd.created).toHaveLength(1);
      expect(cd.stopped).toEqual(['d-000000001']);
    });

    it('stops its own deployment before anything can fail: the ledger down after the cancel read the run', async () => {
      const plan = await devRun();
      cd.findDeployment = async () => undefined;
      cancelOnCreate(plan, () => {
        // deploy.started cannot be written now.
        f.audit.failing = true;
      });
      await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toThrow('ledger unavailable');
      expect(cd.stopped).toEqual(['d-000000001']);
    });

    it('stops, by its run, a deployment a Deploy created and died before noting, before stopping the execution', async () => {
      const plan = await devRun();
      // Deploy opened the deployment on the record and created it in CodeDeploy, then died.
      await openedDeployment(f.runs, plan.runId, f.now);
      const target = lambdaTarget('dev');
      await cd.createDeployment({
        application: target.application,
        deploymentGroup: target.deploymentGroup,
        deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        description: deploymentDescription(plan.runId),
        appSpec: '{}',
      });
      // And Step Functions does not answer the stop: the deployment is stopped all the same.
      f.executions.stopExecution = async () => {
        throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      };
      await expect(cancelling(plan)).rejects.toThrow('throttled');
      expect(cd.stopped).toEqual(['d-000000001']);
      expect((await f.runs.get(plan.runId))?.status).toBe('CANCELLED');
    });

    it('is stopped by the cancel when Deploy noted its deployment after the cancel read the run', async () => {
      const plan = await devRun();
      // The cancel reads the run (no deployment yet), and writes CANCELLED only once Deploy is done.
      const deployed = opening();
      const cancelled = cancelling(plan, { ...deps, runs: statusWritesHeld({ until: deployed.opened }) });
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      expect(cd.stopped).toEqual([]);
      deployed.open();
      await expect(cancelled).resolves.toEqual({ outcome: 'cancelled' });
      expect(cd.stopped).toEqual(['d-000000001']);
      expect((await f.runs.get(plan.runId))?.deployment?.stopRequested).toBe('stopped by olga: stop this release');
    });

    it('stops that deployment, the execution and the lane even when the ledger then fails to take the end', async () => {
      const plan = await devRun();
      const deployed = opening();
      const ledgerDownAfter = statusWritesHeld({
        until: deployed.opened,
        after: () => {
          f.audit.failing = true;
        },
      });
      const cancelled = cancelling(plan, { ...deps, runs: ledgerDownAfter });
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      deployed.open();
      await expect(cancelled).rejects.toThrow('ledger unavailable');
      expect(cd.stopped).toEqual(['d-000000001']);
      expect(f.executions.stopped.map((s) => s.executionArn)).toEqual([plan.executionArn]);
      expect((await f.runs.laneHolder(plan.lane))?.runId).not.toBe(plan.runId);
    });
  });

  it('reconciles a deployment that succeeds between its read and the stop as the success it was, not as stopped', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    // CodeDeploy says InProgress, then the deployment succeeds before the stop reaches it.
    const read = cd.getDeployment.bind(cd);
    cd.getDeployment = async (id) => {
      const info = await read(id);
      cd.getDeployment = read;
      cd.end(id, 'Succeeded');
      return info;
    };
    await expect(reconcileDeployment(deps, plan, plan.executionArn)).resolves.toMatchObject({ toVersion: '4' });
    expect(cd.stopped).toEqual([]);
    expect((await f.runs.get(plan.runId))?.deployment?.status).toBe('succeeded');
    expect(f.audit.records.filter((r) => r.type.startsWith('deploy.')).map((r) => r.type)).toEqual([
      'deploy.started',
      'deploy.succeeded',
    ]);
  });

  it('reconciles a deployment that did succeed into a run that goes on', async () => {
    const plan = await devRun();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    cd.end('d-000000001', 'Succeeded');
    await expect(reconcileDeployment(deps, plan, plan.executionArn)).resolves.toMatchObject({ toVersion: '4' });
    expect(f.executions.successes).toEqual([]);
  });

  it('after the bake, an alarm in ALARM sends traffic back to the previous version and fails the run', async () => {
    const plan = await landedRun();
    cd.alarms = [{ name: 'gantry-widgets-dev-latency', state: 'ALARM', reason: 'p99 1450 ms > 1000' }];
    await expect(checkBake(deps, plan, plan.executionArn)).rejects.toMatchObject({
      name: 'Gantry.BakeAlarm',
      message: expect.stringContaining(
        'gantry-widgets-dev-latency (p99 1450 ms > 1000); traffic sent back to version 3',
      ),
    });
    expect(JSON.parse(cd.created[1]?.appSpec ?? '{}').Resources[0]['widgets-dev'].Properties).toMatchObject({
      CurrentVersion: '4',
      TargetVersion: '3',
    });
    expect(cd.created[1]?.deploymentConfig).toBe('CodeDeployDefault.LambdaAllAtOnce');
  });

  it("knows the bake check's own rollback deployment as Gantry's, and one that only copies its description as nobody's", async () => {
    const plan = await landedRun();
    cd.alarms = [{ name: 'gantry-widgets-dev-latency', state: 'ALARM', reason: 'p99 1450 ms > 1000' }];
    await expect(checkBake(deps, plan, plan.executionArn)).rejects.toMatchObject({ name: 'Gantry.BakeAlarm' });
    cd.end('d-000000002', 'Succeeded');
    await expect(onStateChangeEvent(deps, stateChange('d-000000002'))).resolves.toMatch(
      /^ignored: run .*'s bake check sent traffic back with deployment d-000000002$/,
    );
    // The same words on a deployment made by hand: the run noted another id, so it is nobody's.
    cd.deployments.set('d-hand', {
      ...(await cd.getDeployment('d-000000002')),
      deploymentId: 'd-hand',
      creator: 'user',
    });
    await expect(onStateChangeEvent(deps, stateChange('d-hand'))).resolves.toMatch(/^recorded/);
    expect(f.audit.records.filter((r) => r.type === 'security.unattributed_deployment').map((r) => r.details)).toEqual([
      expect.objectContaining({ deploymentId: 'd-hand' }),
    ]);
  });

  it('waits for the bake check to note its rollback deployment before judging it (its event can come first)', async () => {
    const plan = await landedRun();
    // Asked for, its id not noted yet (the check died between its two writes, or the event raced it).
    await f.runs.noteTrafficBack(plan.runId, { requestedAt: f.now.toISOString() }, f.now);
    cd.deployments.set('d-early', {
      deploymentId: 'd-early',
      status: 'Succeeded',
      description: `gantry rollback of run ${plan.runId} after its bake`,
      error: null,
      rolledBack: false,
      creator: 'user',
    });
    const early = stateChange('d-early');
    await expect(onStateChangeEvent(deps, early)).rejects.toMatchObject({ name: 'Gantry.DeploymentNotYetRecorded' });
    // Never noted: after the wait a run may take to note its deployment, it is recorded as nobody's.
    f.now = new Date(f.now.getTime() + 16 * 60_000);
    await expect(onStateChangeEvent(deps, early)).resolves.toMatch(/^recorded/);
  });

  describe('a bake check retried after it asked for traffic back', () => {
    const LATENCY = { name: 'gantry-widgets-dev-latency', state: 'ALARM' as const, reason: 'p99 1450 ms > 1000' };
    /** The check dies at its `n`th note of the rollback on the run (1: before asking CodeDeploy, 2: after). */
    /** A deployment someone made with the run's bake-rollback description, sending traffic to version 9. */
    const lookAlike = (plan: RunPlan) =>
      cd.createDeployment({
        application: plan.deployTarget?.application ?? '',
        deploymentGroup: plan.deployTarget?.deploymentGroup ?? '',
        deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
        description: `gantry rollback of run ${plan.runId} after its bake`,
        appSpec: JSON.stringify({ version: 0.0, Resources: [{ fn: { Properties: { TargetVersion: '9' } } }] }),
      });
    async function diesAtNote(plan: RunPlan, n: number): Promise<void> {
      const note = f.runs.noteTrafficBack.bind(f.runs);
      let notes = 0;
      f.runs.noteTrafficBack = async (...args) => {
        if (++notes === n) throw new Error('ProvisionedThroughputExceededException');
        return note(...args);
      };
      await expect(checkBake(deps, plan, plan.executionArn)).rejects.toThrow('ProvisionedThroughputExceededException');
      f.runs.noteTrafficBack = note;
    }

    it('adopts the rollback the dead attempt created, asks for none more, and fails though the alarm is quiet now', async () => {
      const plan = await landedRun();
      cd.alarms = [LATENCY];
      await diesAtNote(plan, 2);
      expect(cd.created).toHaveLength(2);
      // Traffic is back on version 3: the alarm is quiet by the time Step Functions tries again.
      cd.alarms = [{ ...LATENCY, state: 'OK' }];
      await expect(checkBake(deps, plan, plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.BakeAlarm',
        message: expect.stringContaining(
          'gantry-widgets-dev-latency (p99 1450 ms > 1000); traffic sent back to version 3 (d-000000002)',
        ),
      });
      expect(cd.created).toHaveLength(2);
      expect((await f.runs.get(plan.runId))?.deployment?.trafficBack).toMatchObject({ deploymentId: 'd-000000002' });
      expect(f.audit.records.filter((r) => r.type === 'deploy.rolled_back')).toHaveLength(1);
      // Its events are Gantry's, not an unattributed deployment, however late they come.
      cd.end('d-000000002', 'Succeeded');
      f.now = new Date(f.now.getTime() + 16 * 60_000);
      await expect(onStateChangeEvent(deps, stateChange('d-000000002'))).resolves.toMatch(/^ignored: /);
      expect(f.audit.records.filter((r) => r.type === 'security.unattributed_deployment')).toEqual([]);
    });

    it('adopts its rollback though a look-alike naming the run was made after it', async () => {
      const plan = await landedRun();
      cd.alarms = [LATENCY];
      await diesAtNote(plan, 2);
      // Someone copies the description onto another deployment, listed after (or before) the real one.
      await lookAlike(plan);
      await expect(checkBake(deps, plan, plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.BakeAlarm',
        message: expect.stringContaining('(d-000000002)'),
      });
      expect(cd.created).toHaveLength(3);
    });

    it('does not ask again for a rollback it noted, and never reports the bake as passed', async () => {
      const plan = await landedRun();
      cd.alarms = [LATENCY];
      await expect(checkBake(deps, plan, plan.executionArn)).rejects.toMatchObject({ name: 'Gantry.BakeAlarm' });
      cd.alarms = [];
      await expect(checkBake(deps, plan, plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.BakeAlarm',
        message: expect.stringContaining('(d-000000002)'),
      });
      expect(cd.created).toHaveLength(2);
      expect((await f.runs.get(plan.runId))?.stages?.deploy?.status).not.toBe('succeeded');
    });

    it('asks for its own rollback when the attempt died before CodeDeploy made one, and adopts no look-alike', async () => {
      const plan = await landedRun();
      cd.alarms = [LATENCY];
      const create = cd.createDeployment.bind(cd);
      cd.createDeployment = async () => {
        throw new Error('ThrottlingException');
      };
      await expect(checkBake(deps, plan, plan.executionArn)).rejects.toThrow('ThrottlingException');
      cd.createDeployment = create;
      // Someone copies the description onto a deployment that "sends traffic back" to version 9.
      await lookAlike(plan);
      await expect(checkBake(deps, plan, plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.BakeAlarm',
        message: expect.stringContaining('traffic sent back to version 3 (d-000000003)'),
      });
      expect(cd.created).toHaveLength(3);
      expect(JSON.parse(cd.created[2]?.appSpec ?? '{}').Resources[0]['widgets-dev'].Properties).toMatchObject({
        CurrentVersion: '4',
        TargetVersion: '3',
      });
      expect((await f.runs.get(plan.runId))?.deployment?.trafficBack).toMatchObject({ deploymentId: 'd-000000003' });
    });
  });

  describe('a Deploy task failed by hand (SendTaskFailure with its token)', () => {
    it('stops the deployment still running before the lane can be handed on, and says the failure was not Gantry’s', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      const failure = { Error: 'Gantry.DeploymentFailed', Cause: 'alarm fired, all fine, free the lane' };
      const summary = await recordFailure({ ...deps, deployments: cd }, plan, 'deploy', failure, plan.executionArn);
      expect(cd.stopped).toEqual(['d-000000001']);
      expect(summary).toMatchObject({
        stage: 'deploy',
        error: 'Gantry.ForgedInput',
        reason: expect.stringContaining(
          'not answered by Gantry (its answer said «Gantry.DeploymentFailed: alarm fired, all fine, free the lane»); Gantry stopped the deployment',
        ),
      });
      const run = await f.runs.get(plan.runId);
      expect(run).toMatchObject({ status: 'FAILED', failure: { reason: summary.reason } });
      expect(run?.deployment).toMatchObject({ status: 'stopped', rolledBack: true });
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toEqual([
        expect.objectContaining({ details: expect.objectContaining({ step: 'record-failure' }) }),
      ]);
      // CodeDeploy's Stopped event that follows records the rollback (its token is dead by then), and the run stays FAILED.
      cd.end('d-000000001', 'Stopped', null, true);
      await onDeploymentEvent(deps, await cd.getDeployment('d-000000001'), plan.runId);
      expect(f.audit.records.filter((r) => r.type === 'deploy.rolled_back')).toHaveLength(1);
      expect((await f.runs.get(plan.runId))?.status).toBe('FAILED');
    });

    it('fails closed when it cannot stop the deployment: the run stays active, so its lane is not handed on', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      const failure = { Error: 'X', Cause: 'y' };
      await expect(recordFailure(deps, plan, 'deploy', failure, plan.executionArn)).rejects.toThrow(/cannot stop it/);
      expect((await f.runs.get(plan.runId))?.status).toBe('RUNNING');
    });

    it('believes a failure Gantry closed on the record, in the record’s words, not the answer’s', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      cd.end('d-000000001', 'Failed', 'One or more alarms have been activated', true);
      await onDeploymentEvent(deps, await cd.getDeployment('d-000000001'), plan.runId);
      const failure = { Error: 'Gantry.DeploymentFailed', Cause: 'words from elsewhere' };
      const summary = await recordFailure({ ...deps, deployments: cd }, plan, 'deploy', failure, plan.executionArn);
      expect(summary.reason).toBe(
        'deployment failed: deployment d-000000001 failed, traffic rolled back to version 3: One or more alarms have been activated',
      );
      expect(cd.stopped).toEqual([]);
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toEqual([]);
    });
  });

  it('checks the alarms of the group the run recorded, never of a target its input names', async () => {
    const plan = await landedRun();
    const asked: string[] = [];
    const alarms = cd.groupAlarms.bind(cd);
    Object.assign(cd, {
      groupAlarms: async (application: string, group: string) => {
        asked.push(`${application}/${group}`);
        return alarms();
      },
    });
    cd.alarms = [{ name: 'gantry-widgets-dev-errors', state: 'ALARM', reason: 'errors > 1%' }];
    const target = lambdaTarget('dev');
    const forged: RunPlan = {
      ...plan,
      deployTarget: {
        ...target,
        application: 'quiet',
        deploymentGroup: 'quiet',
        bakeSeconds: 0,
        lambda: { function: 'someone-else', alias: 'live', artifact: 'x.zip', configurationChanges: 'refuse' },
      },
    };
    await expect(checkBake(deps, forged, plan.executionArn)).rejects.toMatchObject({
      name: 'Gantry.BakeAlarm',
      message: expect.stringContaining('during the 5 min bake'),
    });
    expect(asked).toEqual(['widgets/dev']);
    expect(cd.created[1]).toMatchObject({ application: 'widgets', deploymentGroup: 'dev' });
    expect(JSON.parse(cd.created[1]?.appSpec ?? '{}').Resources[0]).toHaveProperty('widgets-dev');
  });

  describe('a Deploy task answered by hand (its token read from the execution history)', () => {
    /** What an attacker's SendTaskSuccess leaves behind: the state machine goes on to the bake. */
    async function bakeRefused(plan: RunPlan, why: string): Promise<void> {
      await expect(checkBake(deps, plan, plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.ForgedInput',
        message: expect.stringContaining(why),
      });
      expect((await f.runs.get(plan.runId))?.stages.deploy?.status).not.toBe('succeeded');
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toEqual([
        expect.objectContaining({
          outcome: 'rejected',
          subject: expect.objectContaining({ runId: plan.runId }),
          details: expect.objectContaining({ step: 'bake', reason: expect.stringContaining(why) }),
        }),
      ]);
    }

    it('starts no bake while CodeDeploy is still shifting traffic: the bake’s end comes from the record, refused here', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      // SendTaskSuccess on the Deploy token at once: the state machine goes on to BakeUntil.
      await expect(bakeUntil(deps, plan, plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.ForgedInput',
        message: expect.stringContaining('deployment is in_progress, not succeeded'),
      });
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toHaveLength(1);
    });

    it('bakes until the deployment’s recorded end plus the bake time, however early or late the token was answered', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      f.now = new Date('2026-11-23T10:07:00.000Z');
      cd.end('d-000000001', 'Succeeded');
      await onDeploymentEvent(deps, await cd.getDeployment('d-000000001'), plan.runId);
      f.now = new Date('2026-11-23T10:30:00.000Z');
      const forged = { ...plan, deployTarget: { ...lambdaTarget('dev'), bakeSeconds: 0 } };
      await expect(bakeUntil(deps, forged, plan.executionArn)).resolves.toEqual({ until: '2026-11-23T10:12:00.000Z' });
    });

    it('does not count while CodeDeploy is still shifting traffic', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      await bakeRefused(plan, 'deployment is in_progress, not succeeded');
      expect(f.audit.records.filter((r) => r.type === 'deploy.succeeded')).toEqual([]);
    });

    it('does not count when the deployment failed and rolled back', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      cd.end('d-000000001', 'Failed', 'health check failed', true);
      f.executions.refusedTokens.set('token-1', 'TaskTimedOut');
      await onDeploymentEvent(deps, await cd.getDeployment('d-000000001'), plan.runId).catch(() => undefined);
      await bakeRefused(plan, 'deployment is failed, not succeeded');
    });

    it('does not count before any deployment was opened', async () => {
      const plan = await devRun();
      await bakeRefused(plan, `run ${plan.runId} has no deployment recorded`);
    });

    it('does not count when the run says succeeded but CodeDeploy does not', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      await f.runs.closeDeployment(plan.runId, { status: 'succeeded', endedAt: f.now.toISOString() }, f.now);
      await bakeRefused(plan, 'CodeDeploy says deployment d-000000001 is InProgress');
    });
  });

  it('a quiet bake marks the deploy stage succeeded', async () => {
    const plan = await landedRun();
    await expect(checkBake(deps, plan, plan.executionArn)).resolves.toEqual({ alarms: ['errors'] });
    expect((await f.runs.get(plan.runId))?.stages.deploy).toMatchObject({
      status: 'succeeded',
      summary: expect.stringContaining('version 3 → 4'),
    });
  });

  describe('refusing an input the control plane did not write (a forged or replayed execution)', () => {
    /** Deploy must refuse a forged input: nothing published or deployed, a security record says why. */
    async function expectForged(plan: RunPlan, executionArn: string, reason: RegExp): Promise<void> {
      await expect(startDeployment(deps, plan, 'token-x', executionArn)).rejects.toMatchObject({
        name: 'Gantry.DeployRefused',
        message: expect.stringMatching(reason),
      });
      expect(cd.published).toEqual([]);
      expect(cd.created).toEqual([]);
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input').at(-1)).toMatchObject({
        outcome: 'rejected',
        details: { step: 'deploy', executionArn, reason: expect.stringMatching(reason) },
      });
    }
    const forgedExecution = 'arn:aws:states:us-east-1:123456789012:execution:gantry-pipeline-widgets:forged';

    /**
     * The record is what the planner wrote under the configuration its execution runs, which has
     * changed since: refused as `deploy.refused` (check `configuration`), with what to do, and not
     * recorded as a forgery (which pages security).
     */
    async function expectConfigurationChanged(plan: RunPlan, reason: RegExp): Promise<void> {
      f.pipelines.executed = DEFINITION;
      f.executions.statuses.set(plan.executionArn, 'RUNNING');
      // A run's refusal is recorded once (a retried Deploy adds none): each check starts from an empty ledger.
      f.audit.records.length = 0;
      await expect(startDeployment(deps, plan, 'token-x', plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.DeployRefused',
        check: 'configuration',
        message: expect.stringMatching(reason),
      });
      expect(cd.published).toEqual([]);
      expect(cd.created).toEqual([]);
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toEqual([]);
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused').at(-1)).toMatchObject({
        outcome: 'rejected',
        subject: { runId: plan.runId },
        details: {
          check: 'configuration',
          reason: expect.stringMatching(
            new RegExp(
              `${reason.source}.*configuration changed after run ${plan.runId} was planned; \`gantry runs retry`,
            ),
          ),
        },
      });
    }

    it('a plan with a fresh run id that no ResolvePlan recorded', async () => {
      const plan = resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop' })));
      await expectForged({ ...plan, runId: 'forged-run' }, forgedExecution, /no run forged-run was planned/);
    });

    it('the plan of a failed run, replayed in a new execution', async () => {
      const plan = await devRun();
      await f.runs.setStatus(plan.runId, 'FAILED', f.now);
      await expectForged(plan, forgedExecution, /belongs to execution .*, not to .*:forged/);
      await expectForged(plan, plan.executionArn, /is FAILED, not RUNNING/);
    });

    it('the plan of a prod run still waiting for its approval, in its own execution or another', async () => {
      const plan = await devRun(Buffer.from('release'), 'e'.repeat(40), 'release/1.0');
      expect(plan.approval).not.toBeNull();
      await f.runs.openApproval(
        plan.runId,
        { taskToken: 'approval-token', requestedAt: f.now.toISOString(), deadline: '2099-01-01T00:00:00Z' },
        f.now,
      );
      await expectForged(
        plan,
        plan.executionArn,
        /requires 1 approval\(s\); run .* has 0 recorded \(none requested\)|has 0 recorded/,
      );
      await expectForged({ ...plan, approval: null }, forgedExecution, /belongs to execution/);
    });

    it('a rollback pointer to a run that is not this execution’s rollback, or no longer running', async () => {
      const change = await devRun();
      const load = (runId: string, id: string) =>
        resolveRun(
          { ...deps, admissions: new MemoryAdmissions() },
          { pipeline: DEFINITION, start: { rollback: { runId } }, execution: { id, name: 'x' } },
        );
      await expect(load('rollback-nothing', forgedExecution)).rejects.toMatchObject({
        name: 'Gantry.ForgedInput',
        message: expect.stringMatching(/no run rollback-nothing was planned/),
      });
      await expect(load(change.runId, forgedExecution)).rejects.toThrow(/belongs to execution/);
      await expect(load(change.runId, change.executionArn)).rejects.toThrow(/is a push run, not a rollback/);
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input').map((r) => r.details.step)).toEqual([
        'rollback',
        'rollback',
        'rollback',
      ]);
    });

    it('deploys a gated run once decide() recorded its approval', async () => {
      const plan = await devRun(Buffer.from('release'), 'e'.repeat(40), 'release/1.0');
      await f.runs.openApproval(
        plan.runId,
        { taskToken: 't', requestedAt: f.now.toISOString(), deadline: '2099-01-01T00:00:00Z' },
        f.now,
      );
      await f.runs.addDecision(
        plan.runId,
        {
          identity: 'bob',
          principal: 'arn:aws:iam::123456789012:user/bob',
          decision: 'approve',
          reason: 'ok',
          at: f.now.toISOString(),
        },
        f.now,
      );
      await f.runs.closeApproval(plan.runId, 'approved', f.now);
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      expect(cd.created).toHaveLength(1);
    });

    /** A prod run whose approval decide() closed as approved by bob. */
    async function approvedProdRun(): Promise<RunPlan> {
      const plan = await devRun(Buffer.from('release'), 'e'.repeat(40), 'release/1.0');
      await approvedByBob(plan.runId);
      return plan;
    }

    /** The run's approval, requested and closed as approved by bob. */
    async function approvedByBob(runId: string): Promise<void> {
      await f.runs.openApproval(
        runId,
        { taskToken: 't', requestedAt: f.now.toISOString(), deadline: '2099-01-01T00:00:00Z' },
        f.now,
      );
      await f.runs.addDecision(
        runId,
        { identity: 'bob', principal: ARN_BOB, decision: 'approve', reason: 'ok', at: f.now.toISOString() },
        f.now,
      );
      await f.runs.closeApproval(runId, 'approved', f.now);
    }

    /** The pipeline with bob gone from prod's approvers. */
    function withoutBob(): PipelineDefinition {
      const prod = DEFINITION.environments.find((e) => e.name === 'prod');
      return {
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) =>
          e.name === 'prod' ? { ...e, approvers: (prod?.approvers ?? []).filter((a) => a.identity !== 'bob') } : e,
        ),
      };
    }

    it('a run whose gates failed, or were never evaluated, invoked directly with its own execution', async () => {
      const plan = await devRun();
      await f.runs.update(plan.runId, { gates: { passed: false, reasons: ['2 tests failed'], metrics: {} } }, f.now);
      await expectForged(plan, plan.executionArn, /gates failed \(2 tests failed\)/);
      const unchecked = resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop' })));
      await f.runs.create(unchecked, 'RUNNING', f.now);
      await expectForged(unchecked, unchecked.executionArn, /gates were never evaluated/);
    });

    it('an approval whose approver was removed from the group after deciding: the configuration changed', async () => {
      const plan = await approvedProdRun();
      f.pipelines.deployed = withoutBob();
      await expectConfigurationChanged(plan, /holds 0 by current approvers; bob no longer approve/);
      // Had the execution run that configuration too, bob's approval was never an approver's: forged.
      f.pipelines.executed = f.pipelines.deployed;
      await expectForged(plan, plan.executionArn, /holds 0 by current approvers; bob no longer approve/);
    });

    it('a run cancelled as its release began, short only because an approver was dropped since: stopped, no page', async () => {
      const plan = await approvedProdRun();
      // The execution runs the configuration the run was planned under; bob is gone from today's.
      f.pipelines.executed = DEFINITION;
      f.pipelines.deployed = withoutBob();
      await f.runs.setStatus(plan.runId, 'CANCELLED', f.now, { cancelledBy: 'olga' }, ['RUNNING']);
      await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.DeploymentStopped',
      });
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toEqual([]);
      // Had the execution run that configuration too, bob's approval was never an approver's: forged.
      f.pipelines.executed = f.pipelines.deployed;
      await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toThrow(
        /holds 0 by current approvers; bob no longer approve/,
      );
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toHaveLength(1);
      expect(cd.created).toEqual([]);
    });

    it('an approval when the deployed pipeline has no such environment any more, or cannot be read', async () => {
      const plan = await approvedProdRun();
      f.pipelines.deployed = { ...DEFINITION, environments: DEFINITION.environments.filter((e) => e.name !== 'prod') };
      await expectConfigurationChanged(plan, /environment prod is not in pipeline widgets as deployed now/);
      f.pipelines.deployed = undefined;
      await expectConfigurationChanged(plan, /could not be read/);
      // Nor the configuration the execution runs: nothing vouches for the record, so it stays a forgery (fail closed).
      f.pipelines.executed = undefined;
      await expectForged(plan, plan.executionArn, /could not be read/);
    });

    it("a forged record naming another run's running execution from before the change stays a forgery", async () => {
      const waiting = await approvedProdRun();
      // Whoever may write runs copies a waiting prod run under a name of its own, keeping its execution.
      const forged = { ...waiting, runId: `${waiting.runId}-x`, commit: 'f'.repeat(40) };
      await f.runs.create(forged, 'RUNNING', f.now);
      await built(forged);
      await approvedByBob(forged.runId);
      // Since that execution started, bob left prod's approvers; it still runs (waiting runs last for hours).
      f.pipelines.deployed = withoutBob();
      f.pipelines.executed = DEFINITION;
      f.executions.statuses.set(waiting.executionArn, 'RUNNING');
      await expectForged(forged, waiting.executionArn, /bob no longer approve/);
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused')).toEqual([]);
    });

    it('a refused record naming an execution that has ended stays a forgery, whatever changed since', async () => {
      const plan = await approvedProdRun();
      f.pipelines.deployed = { ...DEFINITION, environments: DEFINITION.environments.filter((e) => e.name !== 'prod') };
      f.pipelines.executed = DEFINITION;
      // A direct invoke naming an old execution, from before the change, whose configuration the forged record matches.
      for (const status of ['SUCCEEDED', 'FAILED', 'ABORTED', undefined]) {
        if (status === undefined) f.executions.statuses.delete(plan.executionArn);
        else f.executions.statuses.set(plan.executionArn, status);
        await expectForged(plan, plan.executionArn, /environment prod is not in pipeline widgets as deployed now/);
      }
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused')).toEqual([]);
    });

    it('a prod run whose record says it needs no approval: the deployed environment says it does', async () => {
      // A creator taken over (or a record put by hand) plans prod with no approval, and so an ungated build.
      const planned = resolvePlan(
        planRequest(sourceEvent({ branch: 'release/1.0', ref: 'refs/heads/release/1.0', after: 'f'.repeat(40) })),
      );
      const plan = { ...planned, approval: null };
      await enterLane(f.deps, plan.lane, plan.runId);
      await f.runs.create(plan, 'RUNNING', f.now);
      await built(plan);
      await expectForged(
        plan,
        plan.executionArn,
        /environment prod requires 1 approval\(s\) as pipeline widgets is deployed now, but run .* was planned without approval/,
      );
      // The check reads the deployed pipeline: unreadable, it refuses as well. The configuration its
      // execution runs asked for approval too, so no change explains the record: still a forgery.
      f.pipelines.deployed = undefined;
      f.pipelines.executed = DEFINITION;
      await expectForged(plan, plan.executionArn, /could not be read/);
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused')).toEqual([]);
    });

    it('a run whose record names another environment’s target, or no environment at all', async () => {
      // A creator taken over plans a dev run (no approval) that releases to prod's target.
      const planned = resolvePlan(
        planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop', after: 'a'.repeat(40) })),
      );
      const prodTarget = DEFINITION.environments.find((e) => e.name === 'prod')?.deploy ?? null;
      expect(prodTarget).not.toEqual(planned.deployTarget);
      const aimed = { ...planned, deployTarget: prodTarget };
      await enterLane(f.deps, aimed.lane, aimed.runId);
      await f.runs.create(aimed, 'RUNNING', f.now);
      await built(aimed);
      await expectForged(aimed, aimed.executionArn, /releases to a target that is not environment dev's/);
      // Against the configuration its execution runs, too: a forgery whatever changed since.
      f.pipelines.executed = DEFINITION;
      await expectForged(aimed, aimed.executionArn, /releases to a target that is not environment dev's/);
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused')).toEqual([]);
      const quiet = { ...aimed, runId: `${planned.runId}-q`, executionArn: `${planned.executionArn}-q`, deploy: false };
      await f.runs.create(quiet, 'RUNNING', f.now);
      await built(quiet);
      await expectForged(quiet, quiet.executionArn, /plan deploys nothing, yet names a target/);
      const nowhere = {
        ...planned,
        runId: `${planned.runId}-x`,
        executionArn: `${planned.executionArn}-x`,
        environment: null,
      };
      await f.runs.create(nowhere, 'RUNNING', f.now);
      await built(nowhere);
      await expectForged(nowhere, nowhere.executionArn, /names environment none and its plan none/);
    });

    it('an approval the deployed policy now needs more of: the configuration changed', async () => {
      const plan = await approvedProdRun();
      f.pipelines.deployed = {
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) =>
          e.name === 'prod' ? { ...e, approval: { ...e.approval, minApprovals: 2 } } : e,
        ),
      };
      await expectConfigurationChanged(plan, /requires 2 approval\(s\); run .* holds 1 by current approvers/);
    });

    it('an approved run whose environment stopped requiring approval while it waited: built in the other class', async () => {
      const plan = await approvedProdRun();
      f.pipelines.deployed = {
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) =>
          e.name === 'prod' ? { ...e, approval: { ...e.approval, required: false } } : e,
        ),
      };
      await expectConfigurationChanged(plan, /environment prod no longer requires approval .* built, with it/);
    });

    it('a run whose environment moved to another target, or began to require approval, while it waited', async () => {
      const plan = await devRun();
      const moved = DEFINITION.environments.map((e) =>
        e.name === 'dev' && e.deploy?.lambda
          ? { ...e, deploy: { ...e.deploy, lambda: { ...e.deploy.lambda, function: 'widgets-dev-v2' } } }
          : e,
      );
      f.pipelines.deployed = { ...DEFINITION, environments: moved };
      await expectConfigurationChanged(plan, /releases to a target that is not environment dev's/);
      f.pipelines.deployed = {
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) =>
          e.name === 'dev' ? { ...e, approval: { ...e.approval, required: true, minApprovals: 1 } } : e,
        ),
      };
      await expectConfigurationChanged(
        plan,
        /environment dev requires 1 approval\(s\) .* was planned without approval/,
      );
    });
  });

  describe('refusing what the provenance does not vouch for, before any traffic moves', () => {
    const zipKey = (n: number) => `releases/widgets/ungated/b${n}/artifacts/dist/function.zip`;

    /** Deploy must refuse: nothing published or deployed, the reason names the check, the ledger says why. */
    async function expectRefused(plan: RunPlan, check: string, reason: RegExp): Promise<void> {
      await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.DeployRefused',
        check,
        message: expect.stringMatching(reason),
      });
      expect(cd.created).toEqual([]);
      const refusal = f.audit.records.find((r) => r.type === 'deploy.refused');
      expect(refusal).toMatchObject({ outcome: 'rejected', details: { check, reason: expect.stringMatching(reason) } });
      expect((await f.runs.get(plan.runId))?.deployment).toBeUndefined();
    }

    it('a package replaced in S3 after it was attested (as anyone with bucket access could)', async () => {
      const plan = await devRun();
      await objects.put(BUCKET, zipKey(build), Buffer.from('other bytes'));
      await expectRefused(plan, 'replaced', /was replaced after its provenance was recorded/);
      expect(cd.published).toEqual([]);
    });

    it('a package whose attested version was deleted', async () => {
      const plan = await devRun();
      const { versionId } = await objects.get(BUCKET, zipKey(build));
      objects.deleteVersion(BUCKET, zipKey(build), versionId);
      await expectRefused(plan, 'digest', /cannot be read/);
    });

    it('a package whose bytes at the pinned version no longer match the signed digest', async () => {
      const plan = await devRun();
      objects.bytesOf(BUCKET, zipKey(build)).bytes = Buffer.from('bit rot or a storage-level edit');
      await expectRefused(plan, 'digest', /has SHA-256 [0-9a-f]{64}, but its provenance attests/);
    });

    it('an envelope edited where it is stored', async () => {
      const plan = await devRun();
      const recorded = (await f.runs.get(plan.runId))?.provenance;
      const stored = objects.bytesOf(recorded?.bucket ?? '', recorded?.key ?? '', recorded?.versionId);
      stored.bytes = Buffer.from(stored.bytes.toString('utf8').replace('"sig":"', '"sig":"A'));
      await expectRefused(plan, 'envelope', /is not the one recorded on run/);
    });

    it('provenance signed by a key other than Gantry’s', async () => {
      const plan = await devRun();
      deps = { ...deps, provenance: { objects, signer: new HmacSigner() } };
      await expectRefused(plan, 'signature', /not signed by Gantry's provenance key/);
    });

    it('a run pointed at another run’s provenance, for another commit', async () => {
      const other = await devRun(Buffer.from('old release'), 'c'.repeat(40));
      const plan = await devRun();
      await f.runs.update(plan.runId, { provenance: (await f.runs.get(other.runId))?.provenance }, f.now);
      await expectRefused(
        plan,
        'commit',
        new RegExp(`attests commit ${'c'.repeat(40)}, but run .* was approved for ${'b'.repeat(40)}`),
      );
    });

    it('a run with no recorded provenance at all', async () => {
      const plan = resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop' })));
      await f.runs.create(plan, 'RUNNING', f.now);
      await f.runs.update(plan.runId, { gates: { passed: true, reasons: [], metrics: {} } }, f.now);
      await expectRefused(plan, 'provenance', /has no recorded provenance/);
    });

    it('a version whose code Lambda reports differently from the attested bytes', async () => {
      const plan = await devRun();
      cd.publishVersion = async (fn, code) => {
        cd.published.push({ fn, ...code });
        return { version: '4', codeSha256: 'AAAA', configuration: SAMPLE_CONFIGURATION };
      };
      await expectRefused(plan, 'code', /CodeSha256 AAAA, not the attested/);
    });

    it('an alias that sends a share of its traffic to a version no release put there', async () => {
      const plan = await devRun();
      cd.aliasWeights = { '9': 0.5 };
      await expectRefused(
        plan,
        'alias',
        /sends 50% to version 9 besides version 3: Gantry releases only from an alias that serves one version/,
      );
    });

    describe('a Lambda configuration no review saw', () => {
      const LAYER = 'arn:aws:lambda:us-east-1:123456789012:layer:extra:1';
      /** A configuration as the AWS adapter reads it from these variables (values tagged, never kept). */
      const withVariables = (variables: Record<string, string>, more: Partial<FunctionConfiguration> = {}) => ({
        ...SAMPLE_CONFIGURATION,
        environmentKeys: Object.keys(variables).sort(),
        environmentSha256: environmentDigest(variables),
        environmentValueTags: environmentValueTags(variables),
        ...more,
      });
      const LIVE = withVariables({ SERVICE_NAME: 'sample' });
      beforeEach(() => {
        cd.configurationOf.set('widgets-dev:3', LIVE);
        cd.latestConfiguration = LIVE;
      });

      /** The refused run ended; its requester retries it, accepting `digest`; the retry is built and gated. */
      async function retriedAccepting(refused: RunPlan, digest: string): Promise<RunPlan> {
        await f.runs.setStatus(refused.runId, 'FAILED', f.now);
        const out = await retry(deps, {
          runId: refused.runId,
          principal: OLGA,
          reason: 'the stack added a layer',
          acceptConfiguration: digest,
        });
        const arn = (await f.runs.get(out.runId))?.executionArn ?? '';
        const plan = await resolveRun(
          { ...deps, admissions: new MemoryAdmissions() },
          { pipeline: DEFINITION, start: { retry: { runId: out.runId } }, execution: { id: arn, name: out.runId } },
        );
        return built(plan);
      }

      it('a layer added to $LATEST: refused before any deployment, naming the layer and the digest that accepts it', async () => {
        const plan = await devRun();
        // Someone with lambda:UpdateFunctionConfiguration in the account adds a layer to $LATEST.
        cd.latestConfiguration = { ...LIVE, layers: [LAYER] };
        const digest = configurationDigest(cd.latestConfiguration);
        await expectRefused(
          plan,
          'configuration',
          new RegExp(`^version 4 of widgets-dev runs configuration ${digest}`),
        );
        const reason = String(f.audit.records.find((r) => r.type === 'deploy.refused')?.details.reason);
        expect(reason).toContain(`not that of version 3, which widgets-dev:live serves: layers added: ${LAYER}.`);
        expect(reason).toContain(`gantry runs retry ${plan.runId} --accept-configuration ${digest} --reason`);
        expect(f.audit.records.map((r) => r.type)).toEqual(['deploy.refused']);
      });

      it('NODE_OPTIONS added, or a value changed: refused naming the variables, never their values', async () => {
        const plan = await devRun();
        cd.latestConfiguration = withVariables({ SERVICE_NAME: 'sample', NODE_OPTIONS: '--require /opt/evil.js' });
        await expectRefused(plan, 'configuration', /environment variables added: NODE_OPTIONS\./);
        const other = await devRun();
        cd.nextVersion = '5';
        cd.latestConfiguration = withVariables({ SERVICE_NAME: 'sample-but-evil' });
        await expect(startDeployment(deps, other, 'token-2', other.executionArn)).rejects.toMatchObject({
          check: 'configuration',
          message: expect.stringContaining('environment variables with another value: SERVICE_NAME.'),
        });
        expect(JSON.stringify(f.audit.records)).not.toMatch(/evil\.js|sample-but-evil/);
        expect(cd.created).toEqual([]);
      });

      it('the execution role, VPC or log group changed: refused naming each, and the digest covers them', async () => {
        const platform = {
          role: 'arn:aws:iam::123456789012:role/widgets',
          vpc: '',
          logGroup: '/aws/lambda/widgets-dev',
        };
        cd.configurationOf.set('widgets-dev:3', { ...LIVE, platform });
        const plan = await devRun();
        // A developer sends the function's logs to a group they read, and moves it into their VPC.
        cd.latestConfiguration = {
          ...LIVE,
          platform: { ...platform, vpc: 'subnet-evil sg-evil', logGroup: '/mallory/reads-this' },
        };
        await expectRefused(
          plan,
          'configuration',
          /logGroup \/aws\/lambda\/widgets-dev → \/mallory\/reads-this; vpc \(none\) → subnet-evil sg-evil\./,
        );
        expect(configurationDigest(cd.latestConfiguration)).not.toBe(
          configurationDigest({ ...cd.latestConfiguration, platform }),
        );
        expect(cd.created).toEqual([]);
      });

      it('a retry whose requester accepted exactly the new configuration releases it, and records who accepted what', async () => {
        const refused = await devRun();
        cd.latestConfiguration = { ...LIVE, layers: [LAYER] };
        await expect(startDeployment(deps, refused, 'token-1', refused.executionArn)).rejects.toMatchObject({
          check: 'configuration',
        });
        const digest = configurationDigest(cd.latestConfiguration);
        const plan = await retriedAccepting(refused, digest);
        cd.nextVersion = '5';
        await startDeployment(deps, plan, 'token-2', plan.executionArn);
        expect(cd.created).toHaveLength(1);
        expect(f.audit.records.find((r) => r.type === 'deploy.started')?.details).toMatchObject({
          toVersion: '5',
          configuration: {
            layers: [LAYER],
            changedSince: { version: '3', changes: ['layers'] },
            accepted: { by: 'olga', digest },
          },
        });
      });

      it('a configuration changed again after the acceptance is refused again, saying so', async () => {
        const refused = await devRun();
        cd.latestConfiguration = { ...LIVE, layers: [LAYER] };
        await expect(startDeployment(deps, refused, 'token-1', refused.executionArn)).rejects.toMatchObject({
          check: 'configuration',
        });
        const accepted = configurationDigest(cd.latestConfiguration);
        const plan = await retriedAccepting(refused, accepted);
        // After the acceptance, and before the retry's Deploy, NODE_OPTIONS joins the layer.
        cd.latestConfiguration = withVariables(
          { SERVICE_NAME: 'sample', NODE_OPTIONS: '--require /opt/evil.js' },
          { layers: [LAYER] },
        );
        cd.nextVersion = '5';
        await expectRefused(
          plan,
          'configuration',
          new RegExp(
            `olga accepted configuration ${accepted} for this retry, not this one: it changed after the acceptance`,
          ),
        );
        expect(f.audit.records.find((r) => r.type === 'deploy.refused')?.details.reason).toContain(
          `--accept-configuration ${configurationDigest(cd.latestConfiguration)}`,
        );
      });

      it('an environment that opted out (record) releases the change and records it', async () => {
        const plan = await devRun(undefined, undefined, undefined, recording('dev'));
        cd.latestConfiguration = { ...LIVE, layers: [LAYER], handler: '/opt/evil.handler' };
        await startDeployment(deps, plan, 'token-1', plan.executionArn);
        expect(cd.created).toHaveLength(1);
        expect(f.audit.records.find((r) => r.type === 'deploy.started')?.details).toMatchObject({
          configuration: {
            handler: '/opt/evil.handler',
            changedSince: { version: '3', changes: ['layers', 'handler'] },
          },
        });
        expect(f.audit.records.find((r) => r.type === 'deploy.started')?.details).not.toHaveProperty(
          'configuration.accepted',
        );
      });
    });

    /** A dev run that released `version` (its deployment landed) and succeeded. */
    async function landed(version: string): Promise<RunPlan> {
      const plan = await devRun();
      cd.nextVersion = version;
      await startDeployment(deps, plan, `token-${version}`, plan.executionArn);
      const id = `d-${String(cd.created.length).padStart(9, '0')}`;
      cd.end(id, 'Succeeded');
      await onDeploymentEvent(deps, await cd.getDeployment(id), plan.runId);
      await f.runs.setStatus(plan.runId, 'SUCCEEDED', f.now);
      return plan;
    }

    it('an alias moved outside Gantry since its last release, and nothing when it serves what Gantry left there', async () => {
      await landed('4');
      // Someone with lambda:UpdateAlias in the account points the alias at their own version.
      cd.aliasAt = '9';
      const next = await devRun();
      cd.nextVersion = '5';
      await expect(startDeployment(deps, next, 'token-5', next.executionArn)).rejects.toMatchObject({
        name: 'Gantry.DeployRefused',
        check: 'alias',
        message: expect.stringContaining('serves version 9, but Gantry left version 4 there'),
      });
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused').map((r) => r.details)).toEqual([
        expect.objectContaining({ check: 'alias', reason: expect.stringContaining('--function-version 4') }),
      ]);
      expect(cd.created).toHaveLength(1);
      // Pointed back, the release goes on from version 4.
      cd.aliasAt = '4';
      const again = await devRun();
      await startDeployment(deps, again, 'token-5b', again.executionArn);
      expect(JSON.parse(cd.created.at(-1)?.appSpec ?? '{}').Resources[0]['widgets-dev'].Properties).toMatchObject({
        CurrentVersion: '4',
      });
    });

    it.each([
      ['recorded before the bake check noted its rollback (its failure says so)', 'bake-alarm'],
      ['whose bake check died between asking for the rollback and noting its id', 'asked'],
    ] as const)('an alias sent back by a bake check %s is where Gantry left it', async (_what, how) => {
      const plan = await landed('4');
      if (how === 'bake-alarm')
        await f.runs.setStatus(plan.runId, 'FAILED', f.now, {
          failure: { stage: 'deploy', error: 'Gantry.BakeAlarm', reason: 'alarm fired during the bake' },
        });
      else await f.runs.noteTrafficBack(plan.runId, { requestedAt: f.now.toISOString() }, f.now);
      cd.aliasAt = '3';
      const next = await devRun();
      cd.nextVersion = '5';
      await startDeployment(deps, next, 'token-5', next.executionArn);
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused')).toEqual([]);
      // The alarmed version back on the alias is refused, and the refusal restores the one traffic went back to.
      if (how === 'asked') return;
      cd.aliasAt = '4';
      const after = await devRun();
      await expect(startDeployment(deps, after, 'token-6', after.executionArn)).rejects.toMatchObject({
        check: 'alias',
        message: expect.stringContaining('--function-version 3'),
      });
    });

    it('an alias the bake check sent back is where Gantry left it', async () => {
      const plan = await landedRun();
      cd.alarms = [{ name: 'errors', state: 'ALARM', reason: 'errors > 1%' }];
      await expect(checkBake(deps, plan, plan.executionArn)).rejects.toMatchObject({ name: 'Gantry.BakeAlarm' });
      await f.runs.setStatus(plan.runId, 'FAILED', f.now);
      cd.alarms = [];
      // Traffic is back on version 3, which the next release shifts from.
      const next = await devRun();
      await startDeployment(deps, next, 'token-2', next.executionArn);
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused')).toEqual([]);
    });

    it('never records provenance for a build of another project or commit, one that failed, or one that names no commit', async () => {
      const plan = resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop' })));
      await f.runs.create(plan, 'RUNNING', f.now);
      const base = {
        arn: 'arn:aws:codebuild:us-east-1:123456789012:build/gantry-widgets-untrusted:x',
        status: 'SUCCEEDED',
        artifactsLocation: `arn:aws:s3:::${BUCKET}/releases/widgets/ungated/x/artifacts`,
        buildspec: null,
        startTime: null,
        endTime: null,
        phases: buildPhases(new Date(), new Date()),
      };
      builds.builds.set('untrusted:x', {
        ...base,
        id: 'untrusted:x',
        projectName: 'gantry-widgets-untrusted',
        resolvedSourceVersion: plan.commit,
      });
      builds.builds.set('other:x', {
        ...base,
        id: 'other:x',
        projectName: 'gantry-widgets',
        resolvedSourceVersion: 'c'.repeat(40),
      });
      builds.builds.set('elsewhere:x', {
        ...base,
        id: 'elsewhere:x',
        projectName: 'gantry-widgets',
        resolvedSourceVersion: plan.commit,
        artifactsLocation: `arn:aws:s3:::${BUCKET}/untrusted/widgets/x/artifacts`,
      });
      builds.builds.set('failed:x', {
        ...base,
        id: 'failed:x',
        projectName: 'gantry-widgets',
        resolvedSourceVersion: plan.commit,
        status: 'FAILED',
      });
      builds.builds.set('unsaid:x', {
        ...base,
        id: 'unsaid:x',
        projectName: 'gantry-widgets',
        resolvedSourceVersion: null,
      });
      const record = (id: string) =>
        recordProvenance({ ...f.deps, objects, signer, builds, clock: () => f.now }, plan, id, plan.executionArn);
      await expect(record('failed:x')).rejects.toMatchObject({
        message: expect.stringMatching(/is FAILED, not SUCCEEDED/),
      });
      // A source that names no commit is not taken to have built the run's.
      await expect(record('unsaid:x')).rejects.toMatchObject({
        message: expect.stringMatching(/source that names no commit/),
      });
      await expect(record('untrusted:x')).rejects.toMatchObject({
        name: 'Gantry.ProvenanceNotRecorded',
        message: expect.stringMatching(/ran in project gantry-widgets-untrusted/),
      });
      await expect(record('other:x')).rejects.toMatchObject({
        message: expect.stringMatching(/built commit c+, not the run's commit/),
      });
      await expect(record('elsewhere:x')).rejects.toMatchObject({
        message: expect.stringMatching(/outside releases\/widgets\/ungated\//),
      });
      expect((await f.runs.get(plan.runId))?.provenance).toBeUndefined();
    });

    it('never lets another execution re-attest a run (a forged input naming a victim run)', async () => {
      const plan = await devRun();
      const pinned = (await f.runs.get(plan.runId))?.provenance;
      const forged = `${plan.executionArn}-forged`;
      await expect(
        recordProvenance(
          { ...f.deps, objects, signer, builds, clock: () => f.now },
          plan,
          `gantry-widgets:b${build}`,
          forged,
        ),
      ).rejects.toMatchObject({
        name: 'Gantry.ProvenanceNotRecorded',
        message: expect.stringMatching(/belongs to execution/),
      });
      expect((await f.runs.get(plan.runId))?.provenance).toEqual(pinned);
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input').at(-1)?.details).toMatchObject({
        step: 'record-provenance',
        executionArn: forged,
      });
    });
  });

  describe('operators', () => {
    /** A dev run that released `version` and succeeded. */
    async function released(version: string, at: string): Promise<RunPlan> {
      const plan = await baking(version, at);
      await f.runs.setStatus(plan.runId, 'SUCCEEDED', f.now);
      return plan;
    }

    /** A dev run whose deployment of `version` landed and that is still baking (RUNNING). */
    async function baking(version: string, at: string): Promise<RunPlan> {
      f.now = new Date(at);
      return landed(await devRun(), version);
    }

    /** `plan`'s deployment of `version`, started, ended by CodeDeploy and answered: the alias serves it. */
    async function landed(plan: RunPlan, version: string): Promise<RunPlan> {
      cd.nextVersion = version;
      await startDeployment(deps, plan, `token-${version}`, plan.executionArn);
      const id = `d-${String(cd.created.length).padStart(9, '0')}`;
      cd.end(id, 'Succeeded');
      await onDeploymentEvent(deps, await cd.getDeployment(id), plan.runId);
      cd.aliasAt = version;
      return plan;
    }

    it('refuse to cancel a run whose deployment landed, and roll it back once its bake check has run', async () => {
      const v4 = await released('4', '2026-11-23T10:00:00Z');
      const v5 = await baking('5', '2026-11-23T11:00:00Z');
      expect((await f.runs.get(v5.runId))?.status).toBe('RUNNING');
      // Cancelling would stop the execution before its bake check, leaving version 5 live.
      await expect(cancel(deps, { runId: v5.runId, principal: OLGA, reason: 'bad release' })).rejects.toMatchObject({
        code: 'already_deployed',
        message: expect.stringContaining(`gantry runs rollback ${v5.runId}`),
      });
      expect(f.executions.stopped).toEqual([]);
      expect((await f.runs.get(v5.runId))?.status).toBe('RUNNING');
      expect(f.audit.records.filter((r) => r.type === 'operator.action')).toEqual([]);
      // The environment serves version 5: rolling the environment back undoes v5, not v4. The
      // rollback waits behind the baking run: ending it first would skip its bake check, and the
      // rollback may still need an approval that never comes.
      const out = await rollback(deps, { environment: 'dev', principal: OLGA, reason: 'bad release' });
      expect(out).toMatchObject({ rollbackOf: v5.runId, toRunId: v4.runId, version: '4', queued: true });
      expect((await f.runs.get(v5.runId))?.status).toBe('RUNNING');
      expect(f.executions.stopped).toEqual([]);
    });

    /** What the rollback's execution does first: ResolvePlan loads its run, as this execution's. */
    async function loadedRollback(runId: string): Promise<RunPlan> {
      const arn = (await f.runs.get(runId))?.executionArn ?? '';
      return resolveRun(
        { ...deps, admissions: new MemoryAdmissions() },
        {
          pipeline: DEFINITION,
          start: { rollback: { runId } },
          execution: { id: arn, name: runId },
        },
      );
    }

    it('roll back after the environment’s release settings changed, onto the same function; refuse another function', async () => {
      const v4 = await released('4', '2026-11-23T10:00:00Z');
      await released('5', '2026-11-23T11:00:00Z');
      // During the incident someone lengthened dev's bake and deployed the configuration.
      const withTarget = (
        change: (t: NonNullable<PipelineDefinition['environments'][number]['deploy']>) => object,
      ) => ({
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) =>
          e.name === 'dev' && e.deploy ? { ...e, deploy: { ...e.deploy, ...change(e.deploy) } } : e,
        ),
      });
      f.pipelines.deployed = withTarget((t) => ({ bakeSeconds: t.bakeSeconds + 600 })) as PipelineDefinition;
      const out = await rollback(deps, { environment: 'dev', principal: OLGA, reason: 'errors up' });
      expect(out).toMatchObject({ toRunId: v4.runId, version: '4' });
      const plan = await loadedRollback(out.runId);
      await startDeployment(deps, plan, 'token-rb', plan.executionArn);
      expect(cd.created.length).toBeGreaterThan(0);
      // Dev now releases to another function: rolling back there would undo nothing.
      f.pipelines.deployed = withTarget((t) => ({
        lambda: t.lambda && { ...t.lambda, function: 'widgets-dev-v2' },
      })) as PipelineDefinition;
      await expect(rollback(deps, { environment: 'dev', principal: OLGA, reason: 'errors up' })).rejects.toMatchObject({
        code: 'not_deployed',
        message: expect.stringMatching(/releases to another function or alias \(or account\)/),
      });
    });

    it('neither restores nor trusts a version released onto the target the environment moved away from', async () => {
      const v4 = await released('4', '2026-11-23T10:00:00Z');
      // Dev moves to another function; there, the alias serves a version Gantry never released onto the old one.
      const moved = {
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) =>
          e.name === 'dev' && e.deploy?.lambda
            ? { ...e, deploy: { ...e.deploy, lambda: { ...e.deploy.lambda, function: 'widgets-dev-v2' } } }
            : e,
        ),
      };
      f.now = new Date('2026-11-23T11:00:00Z');
      const s = await devRun(Buffer.from('on v2'), 'c'.repeat(40), 'develop', moved);
      cd.aliasAt = '1';
      // Gantry's first release onto widgets-dev-v2: version 4 was left live on widgets-dev, and names nothing here.
      await landed(s, '2');
      await f.runs.setStatus(s.runId, 'SUCCEEDED', f.now);
      // Nothing good was released onto widgets-dev-v2 before s: version 4 of widgets-dev is not a rollback here.
      await expect(rollback(deps, { environment: 'dev', principal: OLGA, reason: 'errors up' })).rejects.toMatchObject({
        code: 'nothing_to_roll_back',
        message: expect.stringMatching(/no good release of dev onto lambda widgets-dev-v2:/),
      });
      expect(f.executions.started).toEqual([]);
      // A rollback record that names it anyway (the operator API taken over) is refused before anything moves.
      const name = 'rollback-forged-site';
      const forged: RunPlan = {
        ...s,
        runId: name,
        executionArn: `${s.executionArn}-rb`,
        trigger: 'rollback',
        rollback: { ofRunId: s.runId, toRunId: v4.runId, version: '4', reason: 'errors up', requestedBy: 'olga' },
      };
      await enterLane(f.deps, forged.lane, name);
      await f.runs.create(forged, 'RUNNING', f.now);
      const created = cd.created.length;
      await expect(startDeployment(deps, forged, 'token-rb', forged.executionArn)).rejects.toMatchObject({
        name: 'Gantry.DeployRefused',
        check: 'rollback',
        message: expect.stringMatching(
          new RegExp(
            `run ${v4.runId}, which this rollback restores, released onto lambda widgets-dev:.*not onto lambda widgets-dev-v2:`,
          ),
        ),
      });
      expect(cd.created).toHaveLength(created);
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused').at(-1)).toMatchObject({
        subject: { runId: name },
        details: { check: 'rollback' },
      });
    });

    it('keeps the versions of a function whose CodeDeploy group was renamed: the alias check and rollbacks still hold', async () => {
      const v4 = await released('4', '2026-11-23T10:00:00Z');
      const renamed = {
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) =>
          e.name === 'dev' && e.deploy ? { ...e, deploy: { ...e.deploy, deploymentGroup: 'dev-renamed' } } : e,
        ),
      };
      f.now = new Date('2026-11-23T11:00:00Z');
      const next = await devRun(Buffer.from('after the rename'), 'c'.repeat(40), 'develop', renamed);
      // Someone moved the alias outside Gantry: still refused, the rename changed nothing about whose version 4 is.
      cd.aliasAt = '9';
      await expect(startDeployment(deps, next, 'token-n', next.executionArn)).rejects.toMatchObject({
        check: 'alias',
        message: expect.stringMatching(/serves version 9, but Gantry left version 4 there/),
      });
      cd.aliasAt = '4';
      await landed(next, '5');
      await f.runs.setStatus(next.runId, 'SUCCEEDED', f.now);
      // Rolling back restores version 4, released through the old group's name.
      await expect(rollback(deps, { environment: 'dev', principal: OLGA, reason: 'errors up' })).resolves.toMatchObject(
        {
          toRunId: v4.runId,
          version: '4',
        },
      );
    });

    it('roll an environment back to its last good revision as a new, linked, audited run', async () => {
      const v4 = await released('4', '2026-11-23T10:00:00Z');
      const v5 = await released('5', '2026-11-23T11:00:00Z');
      const out = await rollback(deps, {
        environment: 'dev',
        principal: OLGA,
        reason: 'errors up',
      });
      expect(out).toMatchObject({ environment: 'dev', rollbackOf: v5.runId, toRunId: v4.runId, version: '4' });
      const started = f.executions.started[0];
      expect(started?.stateMachineArn).toBe(
        'arn:aws:states:us-east-1:123456789012:stateMachine:gantry-pipeline-widgets',
      );
      // The execution gets only the run's id, and loads the plan the operator API recorded.
      expect(started?.input).toEqual({ rollback: { runId: out.runId } });
      const plan = await loadedRollback(out.runId);
      expect(plan).toMatchObject({
        trigger: 'rollback',
        runId: out.runId,
        commit: v4.commit,
        rollback: { version: '4' },
      });
      expect((await f.runs.get(out.runId))?.status).toBe('RUNNING');
      expect(f.audit.records.filter((r) => r.type === 'operator.action')[0]?.details).toMatchObject({
        action: 'rollback',
        reason: 'errors up',
      });
      // The rollback run deploys the recorded version without publishing anything.
      const before = cd.published.length;
      await startDeployment(deps, plan, 'token-rb', plan.executionArn);
      expect(cd.published).toHaveLength(before);
      expect(JSON.parse(cd.created.at(-1)?.appSpec ?? '{}').Resources[0]['widgets-dev'].Properties.TargetVersion).toBe(
        '4',
      );
      // Its record names the restored run's attested artifact, not something of its own.
      expect(f.audit.records.filter((r) => r.type === 'deploy.started').at(-1)?.details).toMatchObject({
        toVersion: '4',
        artifact: { name: 'dist/function.zip', builtBy: v4.runId },
      });
    });

    it('restore a version with the configuration it was released with: recorded as changed, never refused', async () => {
      await released('4', '2026-11-23T10:00:00Z');
      const v5 = await released('5', '2026-11-23T11:00:00Z');
      // Version 4 was released with a layer the function's stack removed before version 5.
      const layered = { ...SAMPLE_CONFIGURATION, layers: ['arn:aws:lambda:us-east-1:123456789012:layer:old:3'] };
      cd.configurationOf.set('widgets-dev:4', layered);
      const out = await rollback(deps, { runId: v5.runId, principal: OLGA, reason: 'errors up' });
      const plan = await loadedRollback(out.runId);
      await startDeployment(deps, plan, 'token-rb', plan.executionArn);
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused')).toEqual([]);
      expect(f.audit.records.filter((r) => r.type === 'deploy.started').at(-1)?.details).toMatchObject({
        fromVersion: '5',
        toVersion: '4',
        configuration: { layers: layered.layers, changedSince: { version: '5', changes: ['layers'] } },
      });
    });

    it("put the rollback on the undone run's own record, so its change's evidence says it was undone and by what", async () => {
      await released('4', '2026-11-23T10:00:00Z');
      const v5 = await released('5', '2026-11-23T11:00:00Z');
      const out = await rollback(deps, { runId: v5.runId, principal: OLGA, reason: 'errors up' });
      expect(f.audit.records.filter((r) => r.subject.runId === v5.runId && r.type === 'operator.action')).toEqual([
        expect.objectContaining({
          actor: expect.objectContaining({ type: 'user', providerIdentity: OLGA }),
          details: expect.objectContaining({ action: 'rollback', reason: 'errors up', undoneBy: out.runId }),
        }),
      ]);
    });

    it('refuse a rollback when a run queued before it released since: it would undo that release too', async () => {
      await released('4', '2026-11-23T10:00:00Z');
      const v5 = await released('5', '2026-11-23T11:00:00Z');
      const out = await rollback(deps, { runId: v5.runId, principal: OLGA, reason: 'errors up' });
      const plan = await loadedRollback(out.runId);
      // Meanwhile a push queued before the rollback took the lane and released version 6.
      await released('6', '2026-11-23T12:00:00Z');
      await expect(startDeployment(deps, plan, 'token-rb', plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.DeployRefused',
        check: 'rollback',
        message: expect.stringContaining(
          `released since run ${v5.runId}, which this rollback undoes, and left version 6 live`,
        ),
      });
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused').map((r) => r.details)).toEqual([
        expect.objectContaining({ check: 'rollback' }),
      ]);
    });

    it('roll back past a push whose bake check already sent traffic back: what is live is still the undone run’s', async () => {
      await released('4', '2026-11-23T10:00:00Z');
      const v5 = await released('5', '2026-11-23T11:00:00Z');
      const pushed = await baking('6', '2026-11-23T12:00:00Z');
      cd.alarms = [{ name: 'errors', state: 'ALARM', reason: 'errors > 1%' }];
      await expect(checkBake(deps, pushed, pushed.executionArn)).rejects.toMatchObject({ name: 'Gantry.BakeAlarm' });
      await f.runs.setStatus(pushed.runId, 'FAILED', f.now);
      cd.alarms = [];
      cd.aliasAt = '5';
      const out = await rollback(deps, { runId: v5.runId, principal: OLGA, reason: 'go back further' });
      const plan = await loadedRollback(out.runId);
      await startDeployment(deps, plan, 'token-rb', plan.executionArn);
      expect(f.audit.records.filter((r) => r.type === 'deploy.refused')).toEqual([]);
      expect(JSON.parse(cd.created.at(-1)?.appSpec ?? '{}').Resources[0]['widgets-dev'].Properties).toMatchObject({
        CurrentVersion: '5',
        TargetVersion: '4',
      });
    });

    it('take their lane: a rollback waits behind a run still active in the environment', async () => {
      await released('4', '2026-11-23T10:00:00Z');
      await released('5', '2026-11-23T11:00:00Z');
      const active = await devRun();
      const out = await rollback(deps, { environment: 'dev', principal: OLGA, reason: 'errors up' });
      expect(out.queued).toBe(true);
      expect((await f.runs.get(out.runId))?.status).toBe('QUEUED');
      const arn = (await f.runs.get(out.runId))?.executionArn ?? '';
      const loaded = await resolveRun(
        { ...deps, admissions: new MemoryAdmissions() },
        { pipeline: DEFINITION, start: { rollback: { runId: out.runId } }, execution: { id: arn, name: out.runId } },
      );
      expect(loaded).toMatchObject({ trigger: 'rollback', waitForTurn: true });
      expect(active.lane).toBe(loaded.lane);
    });

    it('refuse to restore a version whose code is not what its run’s provenance attests', async () => {
      await released('4', '2026-11-23T10:00:00Z');
      await released('5', '2026-11-23T11:00:00Z');
      const out = await rollback(deps, { environment: 'dev', principal: OLGA, reason: 'x' });
      const plan = await loadedRollback(out.runId);
      cd.codeOf.set('widgets-dev:4', Buffer.from('swapped').toString('base64'));
      await expect(startDeployment(deps, plan, 'token-rb', plan.executionArn)).rejects.toMatchObject({
        name: 'Gantry.DeployRefused',
        check: 'code',
        message: expect.stringContaining(`version 4 of widgets-dev`),
      });
      expect(cd.created.map((c) => c.description)).not.toContain(`gantry run ${out.runId}`);
    });

    it('refuse a rollback with no earlier good revision, or without a reason', async () => {
      const only = await released('4', '2026-11-23T10:00:00Z');
      await expect(rollback(deps, { runId: only.runId, principal: OLGA, reason: 'x' })).rejects.toMatchObject({
        code: 'nothing_to_roll_back',
        status: 409,
      });
      await expect(rollback(deps, { runId: only.runId, principal: OLGA, reason: ' ' })).rejects.toBeInstanceOf(
        OperatorActionError,
      );
      await expect(rollback(deps, { environment: 'qa', principal: OLGA, reason: 'x' })).rejects.toMatchObject({
        code: 'nothing_to_roll_back',
      });
    });

    it('refuse a rollback into an environment the deployed configuration no longer has (it would need no approval), and audit it', async () => {
      await released('4', '2026-11-23T10:00:00Z');
      const current = await released('5', '2026-11-23T11:00:00Z');
      f.pipelines.deployed = { ...DEFINITION, environments: DEFINITION.environments.filter((e) => e.name !== 'dev') };
      const started = f.executions.started.length;
      await expect(rollback(deps, { runId: current.runId, principal: OLGA, reason: 'bad' })).rejects.toMatchObject({
        code: 'not_deployed',
        message: expect.stringContaining('environment dev is not in pipeline widgets as deployed now'),
      });
      f.pipelines.deployed = {
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) => (e.name === 'dev' ? { ...e, deploy: null } : e)),
      };
      await expect(rollback(deps, { runId: current.runId, principal: OLGA, reason: 'bad' })).rejects.toThrow(
        /environment dev deploys nothing in pipeline widgets as deployed now/,
      );
      expect(f.executions.started).toHaveLength(started);
      const response = await answerOperatorRequest(
        deps,
        {
          httpMethod: 'POST',
          resource: '/rollbacks',
          pathParameters: null,
          body: JSON.stringify({ runId: current.runId, reason: 'bad' }),
          isBase64Encoded: false,
          requestContext: { identity: { userArn: OLGA } },
        } as unknown as APIGatewayProxyEvent,
        provenAs(OLGA),
      );
      expect(response.statusCode).toBe(409);
      expect(f.audit.records.filter((r) => r.type === 'operator.refused').at(-1)).toMatchObject({
        outcome: 'rejected',
        details: expect.objectContaining({ code: 'not_deployed', reason: expect.stringContaining('deploys nothing') }),
      });
    });

    it('cancel a deploying run by stopping its deployment, which fails the run with the operator’s reason', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      await expect(cancel(deps, { runId: plan.runId, principal: OLGA, reason: 'wrong build' })).resolves.toEqual({
        outcome: 'deployment_stopped',
      });
      expect(cd.stopped).toEqual(['d-000000001']);
      expect(f.executions.failures[0]).toMatchObject({
        error: 'Gantry.DeploymentStopped',
        cause: expect.stringContaining('stopped, traffic rolled back to version 3: stopped by olga: wrong build'),
      });
      // The STOP event that follows finds the deployment settled.
      await expect(onDeploymentEvent(deps, await cd.getDeployment('d-000000001'), plan.runId)).resolves.toBe(
        'already settled',
      );
    });

    it('cancel a run that is not deploying by stopping its execution', async () => {
      const plan = await devRun();
      await expect(cancel(deps, { runId: plan.runId, principal: OLGA, reason: 'not needed' })).resolves.toEqual({
        outcome: 'cancelled',
      });
      expect(f.executions.stopped).toEqual([{ executionArn: plan.executionArn, error: 'Gantry.Cancelled' }]);
      expect((await f.runs.get(plan.runId))?.status).toBe('CANCELLED');
      // The ledger holds the run's end, as for every run: who cancelled it and why.
      expect(f.audit.records.filter((r) => r.subject.runId === plan.runId && r.type === 'run.failed')).toEqual([
        expect.objectContaining({
          outcome: 'failure',
          details: { stage: 'cancelled', error: 'Gantry.Cancelled', reason: 'cancelled by olga: not needed' },
        }),
      ]);
      expect((await f.runs.get(plan.runId))?.failure).toEqual({
        stage: 'cancelled',
        error: 'Gantry.Cancelled',
        reason: 'cancelled by olga: not needed',
      });
      // Asked again, the cancel is finished in its first words: nothing is recorded twice.
      await expect(cancel(deps, { runId: plan.runId, principal: OLGA, reason: 'again' })).resolves.toEqual({
        outcome: 'cancelled',
      });
      expect(f.audit.records.filter((r) => r.subject.runId === plan.runId && r.type === 'run.failed')).toHaveLength(1);
      expect((await f.runs.get(plan.runId))?.failure?.reason).toBe('cancelled by olga: not needed');
    });

    it('cancel finishes, when asked again, a cancel whose ledger or bus failed after it ended the run', async () => {
      const plan = await devRun();
      // The ledger fails once the run is ended (after the cancel's operator.action).
      const failingAfterEnd = statusWritesHeld({
        after: () => {
          f.audit.failing = true;
        },
      });
      const ledgerDown = cancel(
        { ...deps, runs: failingAfterEnd },
        { runId: plan.runId, principal: OLGA, reason: 'not needed' },
      );
      await expect(ledgerDown).rejects.toThrow('ledger unavailable');
      expect((await f.runs.get(plan.runId))?.status).toBe('CANCELLED');
      expect(f.audit.records.filter((r) => r.subject.runId === plan.runId && r.type === 'run.failed')).toEqual([]);
      // The ledger is back, the bus refuses the event: the end is recorded, in the first cancel's words.
      f.audit.failing = false;
      f.bus.failWith = 'InternalFailure';
      await expect(cancel(deps, { runId: plan.runId, principal: OLGA, reason: 'retrying' })).rejects.toMatchObject({
        code: 'not_announced',
        status: 503,
        message: expect.stringContaining(`run \`gantry runs cancel ${plan.runId}\` again`),
      });
      expect(f.audit.records.filter((r) => r.subject.runId === plan.runId && r.type === 'run.failed')).toEqual([
        expect.objectContaining({ details: expect.objectContaining({ reason: 'cancelled by olga: not needed' }) }),
      ]);
      // The bus is back: the end is announced (its rule posts the commit's status), and recorded once.
      f.bus.failWith = undefined;
      await expect(cancel(deps, { runId: plan.runId, principal: OLGA, reason: 'retrying' })).resolves.toEqual({
        outcome: 'cancelled',
      });
      expect(f.bus.published.filter((e) => e.detailType === 'Run Failed')).toEqual([
        expect.objectContaining({
          detail: expect.objectContaining({
            runId: plan.runId,
            failure: expect.objectContaining({ error: 'Gantry.Cancelled' }),
          }),
        }),
      ]);
      expect(f.audit.records.filter((r) => r.subject.runId === plan.runId && r.type === 'run.failed')).toHaveLength(1);
      expect(f.executions.stopped.map((x) => x.executionArn)).toEqual([
        plan.executionArn,
        plan.executionArn,
        plan.executionArn,
      ]);
    });

    it('cancel still refuses a run that ended otherwise: superseded, failed, succeeded', async () => {
      const plan = await devRun();
      await f.runs.setStatus(plan.runId, 'CANCELLED', f.now, { cancelledBy: 'run-newer' }, ['RUNNING']);
      await expect(cancel(deps, { runId: plan.runId, principal: OLGA, reason: 'again' })).rejects.toMatchObject({
        code: 'not_active',
      });
      const other = await devRun();
      await f.runs.setStatus(
        other.runId,
        'FAILED',
        f.now,
        { failure: { stage: 'build', error: 'Gantry.Cancelled', reason: 'a step that says cancelled' } },
        ['RUNNING'],
      );
      await expect(cancel(deps, { runId: other.runId, principal: OLGA, reason: 'again' })).rejects.toMatchObject({
        code: 'not_active',
      });
      expect(f.executions.stopped).toEqual([]);
    });

    it('cancel a run that is not deploying announces its end after writing it, and its rule has ReportStatus say so on the commit', async () => {
      const plan = await devRun();
      await cancel(deps, { runId: plan.runId, principal: OLGA, reason: 'not needed' });
      const ended = f.bus.published.filter((e) => e.detailType === 'Run Failed');
      expect(ended).toEqual([
        expect.objectContaining({
          source: 'gantry.pipelines',
          detail: expect.objectContaining({
            runId: plan.runId,
            commit: plan.commit,
            failure: { stage: 'cancelled', error: 'Gantry.Cancelled', reason: 'cancelled by olga: not needed' },
          }),
        }),
      ]);
      // What the bus rule hands ReportStatus is the run id; the words come from the record.
      await reportEnded(deps, plan.runId);
      expect(f.statuses.posted.at(-1)).toMatchObject({
        state: 'error',
        description: 'cancelled by olga',
        commit: plan.commit,
        context: plan.status.context,
      });
    });

    it('cancel a deploying run leaves its end to RecordFailure and ReportStatus: one final status, one Run Failed the rule ignores', async () => {
      const plan = await devRun();
      await startDeployment(deps, plan, 'token-1', plan.executionArn);
      await cancel(deps, { runId: plan.runId, principal: OLGA, reason: 'wrong build' });
      expect(f.bus.published.filter((e) => e.detailType === 'Run Failed')).toEqual([]);
      const [answer] = f.executions.failures;
      await recordFailure(
        deps,
        plan,
        'deploy',
        { Error: answer?.error ?? '', Cause: answer?.cause ?? '' },
        plan.executionArn,
      );
      await finishRun(deps, plan, 'failure', plan.executionArn);
      const finals = f.statuses.posted.filter((s) => s.commit === plan.commit && s.state !== 'pending');
      expect(finals).toEqual([
        expect.objectContaining({
          state: 'failure',
          description: expect.stringContaining('stopped by olga: wrong build'),
        }),
      ]);
      const ended = f.bus.published.filter((e) => e.detailType === 'Run Failed');
      expect(ended.map((e) => (e.detail as { failure: { error: string } }).failure.error)).toEqual([
        'Gantry.DeploymentStopped',
      ]);
    });

    it('ask for the approval the environment requires today, not the one the undone run started with', async () => {
      await released('4', '2026-11-23T10:00:00Z');
      await released('5', '2026-11-23T11:00:00Z');
      f.pipelines.deployed = {
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) =>
          e.name === 'dev' ? { ...e, approval: { ...e.approval, required: true }, approvers: [PEOPLE.bob] } : e,
        ),
      };
      const out = await rollback(deps, { environment: 'dev', principal: OLGA, reason: 'errors up' });
      expect((await f.runs.get(out.runId))?.plan.approval).toMatchObject({
        required: true,
        approvers: [{ identity: 'bob' }],
      });
    });

    it('end a rollback whose execution could not start as FAILED, freeing its lane, and say so', async () => {
      await released('4', '2026-11-23T10:00:00Z');
      await released('5', '2026-11-23T11:00:00Z');
      f.executions.startFailsWith = 'StepFunctions.ThrottlingException';
      const refused = await rollback(deps, { environment: 'dev', principal: OLGA, reason: 'x' }).catch(
        (e: unknown) => e,
      );
      expect(refused).toMatchObject({ code: 'not_started', status: 503 });
      const [run] = (await f.runs.list({ pipeline: 'widgets' })).filter((r) => r.plan.trigger === 'rollback');
      expect(run).toMatchObject({ status: 'FAILED', failure: { error: 'Gantry.NotStarted' } });
      expect(f.audit.records.at(-1)).toMatchObject({ type: 'run.failed', subject: { runId: run?.runId } });
    });

    it('are authorized through the operator API: refused callers get 403 with the reason, and every refusal is in the ledger', async () => {
      const plan = await devRun();
      const call = (principal: string, runId = plan.runId, reason = 'stop it') =>
        answerOperatorRequest(
          deps,
          {
            httpMethod: 'POST',
            resource: '/runs/{runId}/cancel',
            pathParameters: { runId },
            body: JSON.stringify({ reason }),
            isBase64Encoded: false,
            requestContext: { identity: { userArn: principal } },
          } as unknown as APIGatewayProxyEvent,
          provenAs(principal),
        );
      // Mallory may call the API (execute-api:Invoke) but is in no operator group.
      const mallory = await call('arn:aws:iam::123456789012:user/mallory');
      expect(mallory.statusCode).toBe(403);
      expect(JSON.parse(mallory.body).error).toMatchObject({
        code: 'not_an_operator',
        message: expect.stringContaining('may not act on runs of dev (operators: olga; configure them with operators:'),
      });
      // Prod's approvers operate prod by default, not dev.
      expect((await call(ARN_BOB)).statusCode).toBe(403);
      // Olga leaves the pipeline's operators: the deployed configuration decides, not the run's snapshot.
      f.pipelines.deployed = { ...DEFINITION, operators: [] };
      expect((await call(OLGA)).statusCode).toBe(403);
      expect((await call(OLGA, 'no-such-run')).statusCode).toBe(404);
      expect((await f.runs.get(plan.runId))?.status).toBe('RUNNING');
      expect(f.executions.stopped).toEqual([]);
      const refusals = f.audit.records.filter((r) => r.type === 'operator.refused');
      expect(refusals.map((r) => [r.details.principal, r.details.code, r.subject.runId])).toEqual([
        ['arn:aws:iam::123456789012:user/mallory', 'not_an_operator', plan.runId],
        [ARN_BOB, 'not_an_operator', plan.runId],
        [OLGA, 'not_an_operator', plan.runId],
        [OLGA, 'run_not_found', 'no-such-run'],
      ]);
      f.pipelines.deployed = DEFINITION;
      expect((await call(OLGA)).statusCode).toBe(200);
    });

    describe('retry', () => {
      /** What the retry's execution does first: ResolvePlan loads its run, as this execution's. */
      async function loadedRetry(runId: string, executionArn?: string) {
        const arn = executionArn ?? (await f.runs.get(runId))?.executionArn ?? '';
        return resolveRun(
          { ...deps, admissions: new MemoryAdmissions() },
          { pipeline: DEFINITION, start: { retry: { runId } }, execution: { id: arn, name: runId } },
        );
      }
      /** A prod run (approval required) that failed. */
      async function failedProdRun(): Promise<RunPlan> {
        const plan = await devRun(Buffer.from('release'), 'e'.repeat(40), 'release/1.0');
        await f.runs.setStatus(plan.runId, 'FAILED', f.now);
        return plan;
      }

      it('runs a failed run’s commit again as a new, linked, audited run that is built and approved again, never by whoever asked', async () => {
        const failed = await failedProdRun();
        const out = await retry(deps, { runId: failed.runId, principal: ARN_BOB, reason: 'flaky test' });
        expect(out).toMatchObject({ retryOf: failed.runId, commit: failed.commit, environment: 'prod', queued: false });
        expect(out.runId).toMatch(/^retry-[0-9a-z]{26}$/);
        // The execution gets only the run's id, and loads the plan the operator API recorded.
        expect(f.executions.started).toEqual([
          {
            stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:gantry-pipeline-widgets',
            name: out.runId,
            input: { retry: { runId: out.runId } },
          },
        ]);
        const plan = await loadedRetry(out.runId);
        expect(plan).toMatchObject({
          runId: out.runId,
          trigger: 'push',
          commit: failed.commit,
          waitForTurn: false,
          retry: { ofRunId: failed.runId, reason: 'flaky test', requestedBy: 'bob' },
          approval: { required: true },
          // Built again where only builds for approved environments write.
          build: { trust: 'trusted', projectName: 'gantry-widgets-gated' },
        });
        expect(
          f.audit.records.map((r) => [
            r.type,
            r.type === 'operator.action' ? r.details.action : r.type === 'run.started' ? r.details.trigger : undefined,
          ]),
        ).toEqual([
          ['operator.action', 'retry'],
          ['run.started', 'push'],
        ]);
        const bob = plan.approval?.approvers.find((a) => a.identity === 'bob');
        expect(bob && separationConflict(bob, plan)).toBe('bob asked for this retry; another approver must decide');
      });

      it('plans the retry as the pipeline is deployed now: today’s gates and deploy target, or a refusal', async () => {
        const failed = await failedProdRun();
        const stricter = { ...DEFINITION.gates, maxFindings: { error: 0 } };
        f.pipelines.deployed = { ...DEFINITION, gates: stricter };
        const out = await retry(deps, { runId: failed.runId, principal: ARN_BOB, reason: 'again' });
        expect((await f.runs.get(out.runId))?.plan.gates).toEqual(stricter);
        // prod no longer takes release/* branches: the old run's branch is not retried into it.
        const other = await failedProdRun();
        f.pipelines.deployed = {
          ...DEFINITION,
          environments: DEFINITION.environments.map((e) => (e.name === 'prod' ? { ...e, branches: ['main'] } : e)),
        };
        await expect(retry(deps, { runId: other.runId, principal: ARN_BOB, reason: 'again' })).rejects.toMatchObject({
          code: 'not_retryable',
          message: expect.stringContaining('no longer sends release/1.0 to prod'),
        });
      });

      it('queues the retry behind a run active in its lane', async () => {
        const failed = await failedProdRun();
        await devRun(Buffer.from('newer'), 'f'.repeat(40), 'release/1.0');
        const out = await retry(deps, { runId: failed.runId, principal: ARN_BOB, reason: 'again' });
        expect(out.queued).toBe(true);
        expect((await f.runs.get(out.runId))?.status).toBe('QUEUED');
        await expect(loadedRetry(out.runId)).resolves.toMatchObject({ waitForTurn: true });
      });

      it('refuses what is not an ended run of a change: an active run, a rollback, no reason', async () => {
        const active = await devRun();
        await expect(retry(deps, { runId: active.runId, principal: OLGA, reason: 'x' })).rejects.toMatchObject({
          code: 'still_active',
          status: 409,
        });
        await f.runs.create({ ...active, runId: 'rollback-1', trigger: 'rollback' }, 'FAILED', f.now);
        await expect(retry(deps, { runId: 'rollback-1', principal: OLGA, reason: 'x' })).rejects.toMatchObject({
          code: 'not_retryable',
          message: expect.stringContaining('gantry runs rollback'),
        });
        await f.runs.setStatus(active.runId, 'FAILED', f.now);
        await expect(retry(deps, { runId: active.runId, principal: OLGA, reason: ' ' })).rejects.toMatchObject({
          code: 'reason_required',
        });
        expect(f.executions.started).toEqual([]);
      });

      it('refuses a retry pointer that is not this execution’s retry (a forged start)', async () => {
        const failed = await failedProdRun();
        const out = await retry(deps, { runId: failed.runId, principal: ARN_BOB, reason: 'again' });
        await expect(loadedRetry(out.runId, `${out.runId}-forged`)).rejects.toMatchObject({
          name: 'Gantry.ForgedInput',
        });
        // The first run's own execution pointing at itself as a retry: not one the operator API started.
        await expect(loadedRetry(failed.runId)).rejects.toThrow(/is not a retry the operator API started/);
        expect(f.audit.records.filter((r) => r.type === 'security.forged_input').map((r) => r.details.step)).toEqual([
          'retry',
          'retry',
        ]);
      });

      it('is authorized through the operator API like every operator action', async () => {
        const failed = await failedProdRun();
        const call = (principal: string) =>
          answerOperatorRequest(
            deps,
            {
              httpMethod: 'POST',
              resource: '/runs/{runId}/retry',
              pathParameters: { runId: failed.runId },
              body: JSON.stringify({ reason: 'again' }),
              isBase64Encoded: false,
              requestContext: { identity: { userArn: principal } },
            } as unknown as APIGatewayProxyEvent,
            provenAs(principal),
          );
        // Olga operates the pipeline; prod's approvers (bob) operate prod; mallory neither.
        expect((await call('arn:aws:iam::123456789012:user/mallory')).statusCode).toBe(403);
        expect(f.executions.started).toEqual([]);
        const ok = await call(ARN_BOB);
        expect(ok.statusCode).toBe(200);
        expect(JSON.parse(ok.body)).toMatchObject({ retryOf: failed.runId });
      });

      it('carries the Lambda configuration its requester accepts into its plan; a malformed digest is a 400 that says what one is', async () => {
        const failed = await failedProdRun();
        const call = (body: Record<string, unknown>) =>
          answerOperatorRequest(
            deps,
            {
              httpMethod: 'POST',
              resource: '/runs/{runId}/retry',
              pathParameters: { runId: failed.runId },
              body: JSON.stringify(body),
              isBase64Encoded: false,
              requestContext: { identity: { userArn: ARN_BOB } },
            } as unknown as APIGatewayProxyEvent,
            provenAs(ARN_BOB),
          );
        const digest = 'c'.repeat(64);
        for (const bad of [digest.toUpperCase(), digest.slice(1), `${digest}\n`, 'sha256:abc', 42]) {
          const answer = await call({ reason: 'the stack added a layer', acceptConfiguration: bad });
          expect(answer.statusCode).toBe(400);
          expect(JSON.parse(answer.body).error).toEqual({
            code: 'bad_request',
            message: expect.stringContaining(
              'acceptConfiguration is the configuration digest a deploy.refused record (check configuration) names: 64 lowercase hex digits',
            ),
          });
        }
        expect(f.executions.started).toEqual([]);
        expect(f.audit.records.filter((r) => r.type === 'operator.refused').map((r) => r.details.code)).toEqual(
          Array(5).fill('bad_request'),
        );
        // Past the API too (another caller of the use case), the shape is checked.
        await expect(
          retry(deps, { runId: failed.runId, principal: ARN_BOB, reason: 'x', acceptConfiguration: 'nope' }),
        ).rejects.toMatchObject({ code: 'bad_digest', status: 400 });
        const ok = await call({ reason: 'the stack added a layer', acceptConfiguration: digest });
        expect(ok.statusCode).toBe(200);
        const { runId } = JSON.parse(ok.body) as { runId: string };
        await expect(loadedRetry(runId)).resolves.toMatchObject({
          retry: { ofRunId: failed.runId, requestedBy: 'bob', acceptConfiguration: digest },
          approval: { required: true },
        });
        expect(f.audit.records.find((r) => r.type === 'operator.action')?.details.target).toContain(
          `accepting Lambda configuration ${digest}`,
        );
        // Without one, a retry accepts nothing.
        const plain = await retry(deps, { runId: failed.runId, principal: ARN_BOB, reason: 'flaky' });
        await expect(loadedRetry(plain.runId)).resolves.toMatchObject({ retry: { acceptConfiguration: null } });
      });

      it('refuses to accept a configuration for a run that releases no Lambda function, saying why', async () => {
        // main deploys nowhere in the widgets pipeline: an accepted digest would be ignored, silently.
        const failed = await devRun(Buffer.from('main'), 'f'.repeat(40), 'main');
        await f.runs.setStatus(failed.runId, 'FAILED', f.now);
        await expect(
          retry(deps, { runId: failed.runId, principal: OLGA, reason: 'x', acceptConfiguration: 'c'.repeat(64) }),
        ).rejects.toMatchObject({
          code: 'not_applicable',
          status: 400,
          message: `run ${failed.runId} deploys nowhere: only a Lambda target's configuration is checked before it is released, so there is nothing to accept; retry without acceptConfiguration`,
        });
        expect(f.executions.started).toEqual([]);
        await expect(retry(deps, { runId: failed.runId, principal: OLGA, reason: 'x' })).resolves.toMatchObject({
          retryOf: failed.runId,
        });
      });

      it('ends a retry whose execution could not start as FAILED, and says so', async () => {
        const failed = await failedProdRun();
        f.executions.startFailsWith = 'StepFunctions.ThrottlingException';
        await expect(retry(deps, { runId: failed.runId, principal: ARN_BOB, reason: 'x' })).rejects.toMatchObject({
          code: 'not_started',
          message: expect.stringContaining("the retry's execution could not be started"),
        });
        const [run] = (await f.runs.list({ pipeline: 'widgets' })).filter((r) => r.plan.retry !== null);
        expect(run).toMatchObject({ status: 'FAILED', failure: { error: 'Gantry.NotStarted' } });
      });
    });

    it('let the approvers of a gated environment operate its runs by default', async () => {
      const plan = await devRun(Buffer.from('release'), 'e'.repeat(40), 'release/1.0');
      await expect(cancel(deps, { runId: plan.runId, principal: ARN_BOB, reason: 'not today' })).resolves.toEqual({
        outcome: 'cancelled',
      });
      expect(f.audit.records.find((r) => r.type === 'operator.action')?.actor.id).toBe('bob');
    });
  });
});
