import { Duration } from 'aws-cdk-lib';
import {
  Choice,
  Condition,
  CustomState,
  Fail,
  type IChainable,
  IntegrationPattern,
  JitterType,
  JsonPath,
  Pass,
  Result,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { type BuildResult, type PipelineDefinition, type StageName, statePath } from '../../../events';
import { RESOLVE_PLAN_STATE } from '../../../shared/pipelines/definition';
import type { GantryFunction } from '../gantry-function';
import type { StepName } from './steps';

export type Steps = Readonly<Record<StepName, GantryFunction>>;

/** What almost every step reads: the run's plan. */
const PLAN = statePath('plan');

/** A state that can have a Catch. */
interface Catchable {
  addCatch(handler: IChainable, props?: { errors?: string[]; resultPath?: string }): unknown;
}

/**
 * The one failure policy of a pipeline state machine: a failed stage is named, then
 * RecordFailure → ReportStatus(failure) → Fail. Every stage's Catch leads here.
 */
export class FailurePath {
  private readonly entry: IChainable;
  private readonly markers = new Map<StageName, Pass>();

  constructor(
    private readonly scope: Construct,
    steps: Steps,
  ) {
    const record = invoke(
      scope,
      'RecordFailure',
      steps.recordFailure,
      {
        'plan.$': PLAN,
        'stage.$': statePath('failedStage'),
        'failure.$': statePath('failure'),
        'execution.$': '$$.Execution.Id',
      },
      statePath('summary'),
    );
    const report = invoke(
      scope,
      'ReportFailure',
      steps.reportStatus,
      {
        'plan.$': PLAN,
        outcome: 'failure',
        'failure.$': statePath('summary', 'value'),
        'execution.$': '$$.Execution.Id',
      },
      undefined,
    );
    const fail = new Fail(scope, 'RunFailed', {
      error: 'Gantry.RunFailed',
      causePath: statePath('summary', 'value', 'reason'),
    });
    // Recording a failure is idempotent (each write is conditional on the run still being active),
    // so anything that went wrong is worth a few more tries before the run is left to the sweeper.
    record.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: JitterType.FULL,
    });
    record.addCatch(
      new Fail(scope, 'FailureNotRecorded', {
        error: 'Gantry.FailureNotRecorded',
        causePath: statePath('recordError', 'Cause'),
      }),
      { resultPath: statePath('recordError') },
    );
    const release = releaseLaneState(scope, steps, 'ReleaseLaneAfterFailure');
    release.addCatch(fail, { resultPath: statePath('releaseError') });
    report.addCatch(release, { resultPath: statePath('reportError') });
    this.entry = record.next(report).next(release).next(fail);
  }

  /** Where a failure of `stage` enters the path (the failure itself must be at `$.failure`). */
  entryFor(stage: StageName): IChainable {
    let marker = this.markers.get(stage);
    if (marker === undefined) {
      marker = new Pass(this.scope, `Failed ${stage}`, {
        result: Result.fromString(stage),
        resultPath: statePath('failedStage'),
      });
      marker.next(this.entry);
      this.markers.set(stage, marker);
    }
    return marker;
  }

  /** Sends any error of `state` down the failure path as a failure of `stage`. */
  catchInto(state: Catchable, stage: StageName): void {
    state.addCatch(this.entryFor(stage), { resultPath: statePath('failure') });
  }
}

/**
 * Lambda refused to run the function (concurrency or account limits): it did not run, so trying
 * again is safe for every step. With backoff and jitter, for up to about ten minutes.
 */
function retryThrottling<T extends LambdaInvoke>(task: T): T {
  task.addRetry({
    errors: ['Lambda.TooManyRequestsException'],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 8,
    maxDelay: Duration.minutes(2),
    jitterStrategy: JitterType.FULL,
  });
  return task;
}

/** Calls a step function; its result (without Lambda's envelope) lands at `resultPath.value`. */
function invoke(
  scope: Construct,
  id: string,
  fn: GantryFunction,
  payload: Record<string, unknown>,
  resultPath: string | undefined,
): LambdaInvoke {
  return retryThrottling(
    new LambdaInvoke(scope, id, {
      lambdaFunction: fn.function,
      payload: TaskInput.fromObject(payload),
      payloadResponseOnly: false,
      resultSelector: { 'value.$': '$.Payload' },
      resultPath: resultPath ?? JsonPath.DISCARD,
      retryOnServiceExceptions: true,
      taskTimeout: Timeout.duration(Duration.minutes(5)),
    }),
  );
}

/** ReleaseLane: the ended run hands its lane on (the wait-turn function, the lane's one keeper). */
function releaseLaneState(scope: Construct, steps: Steps, id: string, plan = PLAN): LambdaInvoke {
  const release = invoke(
    scope,
    id,
    steps.waitTurn,
    { 'plan.$': plan, release: 'lane', 'execution.$': '$$.Execution.Id' },
    undefined,
  );
  // Handing a lane on is idempotent (compare-and-set on the lane, QUEUED → RUNNING once), and a
  // handover Step Functions did not answer is undone: try again rather than leave the lane idle.
  release.addRetry({
    errors: ['States.ALL'],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 4,
    jitterStrategy: JitterType.FULL,
  });
  return release;
}

/** Calls a step function with a task token and waits until something answers it. */
function invokeWithToken(
  scope: Construct,
  id: string,
  fn: GantryFunction,
  timeout: Timeout,
  resultPath: string | undefined,
): LambdaInvoke {
  return retryThrottling(
    new LambdaInvoke(scope, id, {
      lambdaFunction: fn.function,
      payload: TaskInput.fromObject({
        'plan.$': PLAN,
        taskToken: JsonPath.taskToken,
        'execution.$': '$$.Execution.Id',
      }),
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      taskTimeout: timeout,
      resultPath: resultPath ?? JsonPath.DISCARD,
      retryOnServiceExceptions: true,
    }),
  );
}

/**
 * ResolvePlan → Skip? → Queued? (WaitTurn) → `next`. A ResolvePlan that fails, or dies, goes to
 * ClosePlanFailure, which ends the run this execution recorded (if any) and hands its lane on
 * before PlanFailed. A queued run waits at most `laneWait` (the longest the runs ahead of it can
 * take), then fails down the failure path instead of dying QUEUED.
 */
export function planFragment(
  scope: Construct,
  steps: Steps,
  failures: FailurePath,
  definition: PipelineDefinition,
  laneWait: Duration,
  next: IChainable,
): IChainable {
  const plan = invoke(
    scope,
    RESOLVE_PLAN_STATE,
    steps.resolvePlan,
    {
      pipeline: definition,
      // The whole input, so that ResolvePlan sees (and records) any input no control-plane path sends.
      'start.$': '$',
      execution: { 'id.$': '$$.Execution.Id', 'name.$': '$$.Execution.Name' },
    },
    statePath('resolved'),
  );
  plan.addCatch(planFailurePath(scope, steps), { resultPath: statePath('error') });
  const keepPlan = new Pass(scope, 'KeepPlan', { parameters: { 'plan.$': statePath('resolved', 'value') } });
  const wait = invokeWithToken(scope, 'WaitTurn', steps.waitTurn, Timeout.duration(laneWait), undefined);
  failures.catchInto(wait, 'plan');
  const queued = new Choice(scope, 'Queued?')
    .when(Condition.booleanEquals(statePath('plan', 'waitForTurn'), true), wait.next(next))
    .otherwise(next);
  const skip = new Choice(scope, 'Skip?')
    .when(
      Condition.booleanEquals(statePath('plan', 'skip'), true),
      new Succeed(scope, 'Skipped', {
        comment: 'No trigger of this pipeline selects the change, or its ref has moved on since (a late delivery)',
      }),
    )
    .otherwise(queued);
  return plan.next(keepPlan).next(skip);
}

/** ClosePlanFailure → (a run was recorded?) ReleaseLaneAfterPlanFailure → PlanFailed */
function planFailurePath(scope: Construct, steps: Steps): IChainable {
  const failed = new Fail(scope, 'PlanFailed', { error: 'Gantry.PlanFailed', causePath: statePath('error', 'Cause') });
  const close = invoke(
    scope,
    'ClosePlanFailure',
    steps.recordFailure,
    {
      // Only the execution's own name: the run, if any, must be the one this execution recorded.
      unplanned: { 'runId.$': '$$.Execution.Name' },
      'failure.$': statePath('error'),
      'execution.$': '$$.Execution.Id',
    },
    statePath('closed'),
  );
  close.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 4 });
  close.addCatch(failed, { resultPath: statePath('closeError') });
  const release = releaseLaneState(scope, steps, 'ReleaseLaneAfterPlanFailure', statePath('closed', 'value', 'plan'));
  release.addCatch(failed, { resultPath: statePath('closeError') });
  return close.next(
    new Choice(scope, 'RunRecorded?')
      .when(Condition.isNotNull(statePath('closed', 'value', 'plan')), release.next(failed))
      .otherwise(failed),
  );
}

/**
 * FetchSource → SourceFetched? → `next` (Build): the run's commit from its provider, stored as
 * the snapshot the build runs from. A provider that refuses or fails (after retries), or an
 * archive Gantry will not build from, goes down the failure path as a failure of the build,
 * with the step's reason (it names the connection and the fix).
 */
export function sourceFragment(scope: Construct, steps: Steps, failures: FailurePath, next: IChainable): IChainable {
  const fetch = invoke(
    scope,
    'FetchSource',
    steps.fetchSource,
    { 'plan.$': PLAN, 'execution.$': '$$.Execution.Id' },
    statePath('source'),
  );
  failures.catchInto(fetch, 'build');
  const failed = new Pass(scope, 'SourceFailed', {
    parameters: {
      'Error.$': statePath('source', 'value', 'failure', 'error'),
      'Cause.$': statePath('source', 'value', 'failure', 'reason'),
    },
    resultPath: statePath('failure'),
  });
  return fetch.next(
    new Choice(scope, 'SourceFetched?')
      .when(Condition.booleanEquals(statePath('source', 'value', 'fetched'), true), next)
      .otherwise(failed.next(failures.entryFor('build'))),
  );
}

/**
 * Build: CodeBuild StartBuild .sync on the project the plan chose by trust (the release project
 * for refs a push or tag trigger names, the untrusted one for pull requests; the state machine's
 * role may start only this pipeline's two), from exactly the snapshot FetchSource stored (S3
 * source: its key and version as overrides).
 */
export function buildFragment(scope: Construct, failures: FailurePath, timeout: Duration): CustomState {
  const build = new CustomState(scope, 'Build', {
    stateJson: {
      Type: 'Task',
      Resource: 'arn:aws:states:::codebuild:startBuild.sync',
      Parameters: {
        'ProjectName.$': statePath('plan', 'build', 'projectName'),
        SourceTypeOverride: 'S3',
        'SourceLocationOverride.$': statePath('source', 'value', 'snapshot', 'location'),
        'SourceVersion.$': statePath('source', 'value', 'snapshot', 'versionId'),
        'EnvironmentVariablesOverride.$': statePath('plan', 'build', 'env'),
      },
      ResultSelector: {
        'id.$': '$.Build.Id',
        'status.$': '$.Build.BuildStatus',
        'artifacts.$': '$.Build.Artifacts.Location',
        'logGroup.$': '$.Build.Logs.GroupName',
        'logStream.$': '$.Build.Logs.StreamName',
        'startTime.$': '$.Build.StartTime',
        'endTime.$': '$.Build.EndTime',
      },
      ResultPath: statePath('build'),
      TimeoutSeconds: timeout.toSeconds(),
      // CodeBuild refused to start the build (throttled, or the account's concurrent build limit):
      // no build ran, so starting it again is safe. A build that ran and failed is not retried.
      Retry: [
        {
          ErrorEquals: ['CodeBuild.AccountLimitExceededException', 'CodeBuild.ThrottlingException'],
          IntervalSeconds: 30,
          BackoffRate: 2,
          MaxAttempts: 6,
          MaxDelaySeconds: 600,
          JitterStrategy: 'FULL',
        },
      ],
    },
  });
  failures.catchInto(build, 'build');
  return build;
}

/**
 * RecordProvenance → `next`: Gantry hashes the build's artifacts and signs their provenance
 * before anything judges or ships them. Only the build id is passed; the step reads the rest
 * from CodeBuild and the run record.
 */
export function provenanceFragment(
  scope: Construct,
  steps: Steps,
  failures: FailurePath,
  next: IChainable,
): IChainable {
  const record = invoke(
    scope,
    'RecordProvenance',
    steps.recordProvenance,
    { 'plan.$': PLAN, build: { 'id.$': statePath('build', 'id') }, 'execution.$': '$$.Execution.Id' },
    statePath('provenance'),
  );
  failures.catchInto(record, 'build');
  return record.next(next);
}

/** EvaluateGates → GatesPassed? (else the failure path, with every reason) → `next` */
export function gatesFragment(scope: Construct, steps: Steps, failures: FailurePath, next: IChainable): IChainable {
  const gates = invoke(
    scope,
    'EvaluateGates',
    steps.evaluateGates,
    { 'plan.$': PLAN, 'build.$': statePath('build'), 'execution.$': '$$.Execution.Id' },
    statePath('gates'),
  );
  failures.catchInto(gates, 'gates');
  const failed = new Pass(scope, 'GatesFailed', {
    parameters: {
      Error: 'Gantry.GatesFailed',
      'Cause.$': `States.JsonToString(${statePath('gates', 'value', 'reasons')})`,
    },
    resultPath: statePath('failure'),
  });
  return gates.next(
    new Choice(scope, 'GatesPassed?')
      .when(Condition.booleanEquals(statePath('gates', 'value', 'passed'), true), next)
      .otherwise(failed.next(failures.entryFor('gates'))),
  );
}

/**
 * NeedsApproval? → the environment's Approval (.waitForTaskToken, until its policy's timeout) →
 * `next`. One Approval state per environment that requires it: each timeout is static, and the
 * console shows which environment a run waits for.
 */
export function approvalFragment(
  scope: Construct,
  steps: Steps,
  failures: FailurePath,
  definition: PipelineDefinition,
  next: IChainable,
): IChainable {
  const gated = definition.environments.filter((e) => e.approval.required);
  // A Choice needs at least one rule: with no environment to approve, go straight on.
  if (gated.length === 0) return next;
  const choice = new Choice(scope, 'NeedsApproval?');
  for (const env of gated) {
    const approval = invokeWithToken(
      scope,
      `Approval ${env.name}`,
      steps.requestApproval,
      Timeout.duration(Duration.minutes(env.approval.timeoutMinutes)),
      statePath('approval'),
    );
    failures.catchInto(approval, 'approval');
    choice.when(
      Condition.and(
        Condition.isNotNull(statePath('plan', 'approval')),
        Condition.stringEquals(statePath('plan', 'environment'), env.name),
      ),
      approval.next(next),
    );
  }
  return choice.otherwise(next);
}

/**
 * Deploy? → the environment's Deploy (.waitForTaskToken: CodeDeploy's state-change event answers
 * it, so a long canary costs no transitions) → BakeUntil → Bake (Wait until then) → CheckAlarms → `next`. A Deploy that
 * hears nothing until its timeout goes to Reconcile, which asks CodeDeploy once. One set of states
 * per environment with a target: each timeout and bake time is static.
 */
export function deployFragment(
  scope: Construct,
  steps: Steps,
  failures: FailurePath,
  definition: PipelineDefinition,
  next: IChainable,
): IChainable {
  const targets = definition.environments.flatMap((e) => (e.deploy ? [{ env: e.name, target: e.deploy }] : []));
  if (targets.length === 0) return next;
  const choice = new Choice(scope, 'Deploy?');
  for (const { env, target } of targets) {
    const deploy = retryThrottling(
      new LambdaInvoke(scope, `Deploy ${env}`, {
        lambdaFunction: steps.deployRelease.function,
        payload: TaskInput.fromObject({
          'plan.$': PLAN,
          taskToken: JsonPath.taskToken,
          'execution.$': '$$.Execution.Id',
        }),
        integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        taskTimeout: Timeout.duration(Duration.seconds(target.timeoutSeconds)),
        resultPath: statePath('deployment'),
        retryOnServiceExceptions: true,
      }),
    );
    const reconcile = invoke(
      scope,
      `Reconcile ${env}`,
      steps.deployVerify,
      { 'plan.$': PLAN, check: 'reconcile', 'execution.$': '$$.Execution.Id' },
      statePath('deployment'),
    );
    deploy.addCatch(reconcile, { errors: ['States.Timeout'], resultPath: statePath('deployTimeout') });
    failures.catchInto(deploy, 'deploy');
    failures.catchInto(reconcile, 'deploy');
    const check = invoke(
      scope,
      `CheckAlarms ${env}`,
      steps.deployVerify,
      { 'plan.$': PLAN, check: 'bake', 'execution.$': '$$.Execution.Id' },
      statePath('bake'),
    );
    failures.catchInto(check, 'deploy');
    check.next(next);
    // The bake ends at a time the run record gives (the deployment's end plus the bake), not a
    // duration counted from the Deploy task's answer, which anyone with its token can send early.
    const until = invoke(
      scope,
      `BakeUntil ${env}`,
      steps.deployVerify,
      { 'plan.$': PLAN, check: 'bake-start', 'execution.$': '$$.Execution.Id' },
      statePath('bakeUntil'),
    );
    failures.catchInto(until, 'deploy');
    const bake =
      target.bakeSeconds > 0
        ? until
            .next(
              new Wait(scope, `Bake ${env}`, {
                time: WaitTime.timestampPath(statePath('bakeUntil', 'value', 'until')),
              }),
            )
            .next(check)
        : check;
    deploy.next(bake);
    reconcile.next(bake);
    choice.when(
      Condition.and(
        Condition.booleanEquals(statePath('plan', 'deploy'), true),
        Condition.stringEquals(statePath('plan', 'environment'), env),
      ),
      deploy,
    );
  }
  return choice.otherwise(next);
}

/**
 * Rollback? → `rollback`, else `change`. A rollback's execution is started by the operator API
 * with only its run's id, and ResolvePlan loaded the plan the API recorded (who asked, which
 * revision) after checking the run is this very execution's. The run skips build and gates (the
 * revision passed them when it was first released), never the approval.
 */
export function rollbackFragment(
  scope: Construct,
  definition: PipelineDefinition,
  rollback: IChainable,
  change: IChainable,
): IChainable {
  if (!definition.environments.some((e) => e.deploy)) return change;
  const skipBuild = new Pass(scope, 'Rollback', {
    parameters: { 'plan.$': PLAN, build: { id: 'none', status: 'NOT_BUILT' } satisfies BuildResult },
  });
  return new Choice(scope, 'Rollback?')
    .when(Condition.stringEquals(statePath('plan', 'trigger'), 'rollback'), skipBuild.next(rollback))
    .otherwise(change);
}

/** ReportSuccess → ReleaseLane → Succeeded */
export function reportFragment(scope: Construct, steps: Steps, failures: FailurePath): IChainable {
  const report = invoke(
    scope,
    'ReportSuccess',
    steps.reportStatus,
    { 'plan.$': PLAN, outcome: 'success', 'execution.$': '$$.Execution.Id' },
    undefined,
  );
  failures.catchInto(report, 'report');
  const release = releaseLaneState(scope, steps, 'ReleaseLane');
  failures.catchInto(release, 'report');
  return report.next(release).next(new Succeed(scope, 'Succeeded'));
}
