import type { RunPlan } from '../../../events';
import { type DeploySite, UnknownTargetAccountError } from '../../../shared/aws/target-sessions';
import { onStateChangeEvent } from '../../../shared/deploy/events';
import { type ReleaseDeps, startDeployment } from '../../../shared/deploy/release';
import { checkBake } from '../../../shared/deploy/verify';
import { cancel } from '../../../shared/operators/actions';
import { recordFailure } from '../../../shared/pipelines/finish';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { enterLane } from '../../../shared/pipelines/start';
import { recordProvenance } from '../../../shared/provenance/record';
import { FakeDeployControl } from '../../support/deploy-fakes';
import { type PipelineFakes, runsTableFixture } from '../../support/pipeline-fakes';
import { DEFINITION, planRequest, sourceEvent } from '../../support/plans';
import { buildPhases, FakeBuildSource, HmacSigner, MemoryVersionedObjects } from '../../support/provenance-fakes';

const BUCKET = 'artifacts-bucket';
const PROD = '222222222222';
const EVENT = {
  source: 'aws.codedeploy',
  'detail-type': 'CodeDeploy Deployment State-change Notification',
  detail: { deploymentId: 'd-000000001', application: 'widgets', deploymentGroup: 'dev', state: 'SUCCESS' },
} as const;

describe('deploying into another account', () => {
  let f: PipelineFakes;
  /** CodeDeploy, Lambda and CloudWatch in the control plane's account, and in the target account. */
  let home: FakeDeployControl;
  let prod: FakeDeployControl;
  let sites: DeploySite[];
  let deps: ReleaseDeps;
  let objects: MemoryVersionedObjects;
  let signer: HmacSigner;

  const runs = runsTableFixture('runs');
  beforeEach(async () => {
    ({ fakes: f } = await runs.fresh());
    objects = new MemoryVersionedObjects();
    signer = new HmacSigner();
    home = new FakeDeployControl(objects);
    prod = new FakeDeployControl(objects);
    sites = [];
    deps = {
      ...f.deps,
      deploy: home,
      sites: {
        at: (site) => {
          sites.push(site);
          return prod;
        },
        holds: (account) => account === PROD,
      },
      provenance: { objects, signer },
    };
  });

  /** A dev run whose target the control plane recorded in account PROD, its package attested. */
  async function run(account: string | null = PROD, zip = Buffer.from('package')): Promise<RunPlan> {
    const resolved = resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop' })));
    const target = resolved.deployTarget;
    if (target === null) throw new Error('dev deploys nowhere');
    const plan = { ...resolved, deployTarget: { ...target, account } };
    // As deployed: dev's target is in that account (Deploy checks the run's target against it).
    f.pipelines.deployed = {
      ...DEFINITION,
      environments: DEFINITION.environments.map((e) => (e.name === 'dev' ? { ...e, deploy: plan.deployTarget } : e)),
    };
    await enterLane(f.deps, plan.lane, plan.runId);
    await f.runs.create(plan, 'RUNNING', f.now);
    const id = 'gantry-widgets:b1';
    const prefix = 'releases/widgets/ungated/b1/artifacts/';
    const uploading = new Date();
    await objects.put(BUCKET, `${prefix}dist/function.zip`, zip);
    const builds = new FakeBuildSource();
    builds.builds.set(id, {
      id,
      arn: `arn:aws:codebuild:us-east-1:123456789012:build/${id}`,
      projectName: 'gantry-widgets',
      status: 'SUCCEEDED',
      resolvedSourceVersion: plan.commit,
      artifactsLocation: `arn:aws:s3:::${BUCKET}/${prefix.slice(0, -1)}`,
      buildspec: 'buildspec.yml',
      startTime: null,
      endTime: null,
      phases: buildPhases(uploading, new Date()),
    });
    await recordProvenance({ ...f.deps, objects, signer, builds, clock: () => f.now }, plan, id, plan.executionArn);
    await f.runs.update(plan.runId, { gates: { passed: true, reasons: [], metrics: {} } }, f.now);
    return plan;
  }

  it("publishes and deploys in the target's account, as the run's session there, and nothing at home", async () => {
    const plan = await run();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    expect(prod.published.map((p) => p.fn)).toEqual(['widgets-dev']);
    expect(prod.created.map((c) => c.deploymentGroup)).toEqual(['dev']);
    expect([home.published, home.created]).toEqual([[], []]);
    expect(new Set(sites.map((s) => JSON.stringify(s)))).toEqual(
      new Set([JSON.stringify({ account: PROD, runId: plan.runId })]),
    );
  });

  it('still verifies provenance before anything moves in the target account', async () => {
    const plan = await run();
    await objects.put(BUCKET, 'releases/widgets/ungated/b1/artifacts/dist/function.zip', Buffer.from('swapped'));
    await expect(startDeployment(deps, plan, 'token-1', plan.executionArn)).rejects.toThrow(
      /replaced after its provenance was recorded/,
    );
    expect([prod.published, prod.created]).toEqual([[], []]);
  });

  it("keeps a run in the control plane's account on the control plane's own clients", async () => {
    const plan = await run(null);
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    expect(home.created).toHaveLength(1);
    expect([prod.created, sites]).toEqual([[], []]);
  });

  it('refuses a target account it holds no role for, without calling anything at home', async () => {
    const plan = await run();
    const { sites: _, ...withoutSites } = deps;
    await expect(startDeployment(withoutSites, plan, 'token-1', plan.executionArn)).rejects.toBeInstanceOf(
      UnknownTargetAccountError,
    );
    expect([home.published, home.created]).toEqual([[], []]);
  });

  it("answers the run from a forwarded event, asking CodeDeploy in the event's account", async () => {
    const plan = await run();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    prod.end('d-000000001', 'Succeeded');
    await expect(onStateChangeEvent(deps, { ...EVENT, account: PROD })).resolves.toBe('answered');
    expect(sites).toContainEqual({ account: PROD, runId: 'deployment:d-000000001' });
    expect(f.executions.successes).toHaveLength(1);
  });

  it("records, and never answers with, a deployment in the control plane's account that names a run deploying elsewhere", async () => {
    const plan = await run();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    // The same deployment id and description, as if at home: a run in PROD is never answered by it.
    home.deployments.set('d-000000001', { ...(await prod.getDeployment('d-000000001')), status: 'Succeeded' });
    f.audit.records.length = 0;
    await expect(onStateChangeEvent(deps, { ...EVENT, account: '111111111111' })).resolves.toMatch(/^recorded/);
    expect(f.executions.successes).toEqual([]);
    expect(f.audit.records).toEqual([
      expect.objectContaining({
        type: 'security.unattributed_deployment',
        details: expect.objectContaining({
          reason: expect.stringContaining(`names run ${plan.runId}, which releases into ${PROD}`),
        }),
      }),
    ]);
  });

  it("reads the group's alarms in the target account and rolls back there when one fires", async () => {
    const plan = await run();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    prod.end('d-000000001', 'Succeeded');
    await onStateChangeEvent(deps, { ...EVENT, account: PROD });
    home.alarms = [];
    prod.alarms = [{ name: 'widgets-dev-error-rate', state: 'ALARM', reason: 'errors' }];
    await expect(checkBake(deps, plan, plan.executionArn)).rejects.toThrow(/widgets-dev-error-rate/);
    expect(prod.created.map((c) => c.deploymentConfig)).toEqual([
      'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      'CodeDeployDefault.LambdaAllAtOnce',
    ]);
    expect(home.created).toEqual([]);
  });

  it("stops an operator's cancelled deployment in the target account", async () => {
    const plan = await run();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    const olga = 'arn:aws:iam::123456789012:user/olga';
    await expect(cancel(deps, { runId: plan.runId, principal: olga, reason: 'wrong build' })).resolves.toEqual({
      outcome: 'deployment_stopped',
    });
    expect([prod.stopped, home.stopped]).toEqual([['d-000000001'], []]);
  });

  it('tells the stopper which account a deployment failed by hand runs in', async () => {
    const plan = await run();
    await startDeployment(deps, plan, 'token-1', plan.executionArn);
    const stops: unknown[] = [];
    const stopper = { stopDeployment: async (id: string, site?: unknown) => void stops.push([id, site]) };
    const failure = { Error: 'States.TaskFailed', Cause: 'failed by hand' };
    await recordFailure({ ...f.deps, deployments: stopper }, plan, 'deploy', failure, plan.executionArn);
    expect(stops).toEqual([['d-000000001', { account: PROD, runId: plan.runId }]]);
  });
});
