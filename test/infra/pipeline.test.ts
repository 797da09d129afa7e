import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { PipelineDefinition } from '../../events';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/function-metadata';
import { laneWait } from '../../infra/constructs/pipeline/pipeline';
import { LocalBus } from '../../local/eventbridge/bus';
import { evaluate } from '../../local/iam/evaluate';
import { inventoryOf } from '../../local/template/inventory';
import { OPERATOR_ENV } from '../../shared/operators/env';
import { resolvedTemplates, stateMachineDefinitions, synthGantry } from '../support/cdk';
import {
  ANSWERERS,
  allowStatements,
  busPublishers,
  holdersOf,
  operatorFunctionInvokers,
  runsTableWriters,
  statementsByFunction,
  taskAnswerers,
} from '../support/iam-invariants';
import { DEFINITION } from '../support/plans';

const gantry = synthGantry();
const { control$: control, data$: data } = gantry;
/** A state machine's ASL with its tokens resolved, by its name prefix. */
const definition = stateMachineDefinitions(gantry).named;

describe('the widgets pipeline state machine', () => {
  const asl = definition('gantry-pipeline-widgets');
  const state = (name: string) => {
    const s = asl.States[name];
    if (s === undefined) throw new Error(`no state ${name}; states: ${Object.keys(asl.States).join(', ')}`);
    return s;
  };

  it('is a Standard workflow named after the pipeline, logging every state without execution data (no task tokens), traced', () => {
    control.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'gantry-pipeline-widgets',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    const machines = Object.values(control.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines.length).toBeGreaterThan(1);
    for (const machine of machines) {
      expect(JSON.stringify(machine)).not.toContain('"IncludeExecutionData":true');
    }
  });

  it('starts every execution with ResolvePlan, handing it the whole input, the config and the execution’s identity; a rollback then skips build and gates', () => {
    expect(asl.StartAt).toBe('ResolvePlan');
    expect(state('Rollback?')).toMatchObject({
      Choices: [{ Variable: '$.plan.trigger', StringEquals: 'rollback', Next: 'Rollback' }],
      Default: 'FetchSource',
    });
    expect(state('Rollback')).toMatchObject({ Next: 'NeedsApproval?' });
    const plan = state('ResolvePlan');
    expect(plan).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      ResultPath: '$.resolved',
      Next: 'KeepPlan',
    });
    expect(plan.Parameters).toMatchObject({
      Payload: {
        pipeline: expect.objectContaining({
          name: 'widgets',
          concurrency: 'queued',
          build: {
            projectName: 'gantry-widgets',
            gatedProjectName: 'gantry-widgets-gated',
            untrustedProjectName: 'gantry-widgets-untrusted',
            env: {},
          },
        }),
        'start.$': '$',
        execution: { 'id.$': '$$.Execution.Id', 'name.$': '$$.Execution.Name' },
      },
    });
    expect(plan.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'ClosePlanFailure', ResultPath: '$.error' }]);
  });

  it('ends the run a failed ResolvePlan recorded (FAILED, status, ledger) and hands its lane on, before PlanFailed', () => {
    expect(state('ClosePlanFailure')).toMatchObject({
      Parameters: {
        Payload: {
          unplanned: { 'runId.$': '$$.Execution.Name' },
          'failure.$': '$.error',
          'execution.$': '$$.Execution.Id',
        },
      },
      ResultPath: '$.closed',
      Next: 'RunRecorded?',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'PlanFailed', ResultPath: '$.closeError' }],
    });
    expect(state('RunRecorded?')).toMatchObject({
      Choices: [{ Variable: '$.closed.value.plan', IsNull: false, Next: 'ReleaseLaneAfterPlanFailure' }],
      Default: 'PlanFailed',
    });
    expect(state('ReleaseLaneAfterPlanFailure')).toMatchObject({
      Parameters: { Payload: { 'plan.$': '$.closed.value.plan', release: 'lane' } },
      Next: 'PlanFailed',
    });
    expect(state('PlanFailed')).toMatchObject({ Type: 'Fail', Error: 'Gantry.PlanFailed' });
  });

  it('skips or queues before building (or, for a rollback, before skipping the build)', () => {
    expect(state('Skip?')).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.skip', BooleanEquals: true, Next: 'Skipped' }],
      Default: 'Queued?',
    });
    expect(state('Queued?')).toMatchObject({
      Choices: [{ Variable: '$.plan.waitForTurn', BooleanEquals: true, Next: 'WaitTurn' }],
      Default: 'Rollback?',
    });
    expect(state('WaitTurn')).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Next: 'Rollback?',
      // At least a week; twice the longest run when that is longer (see laneWait).
      TimeoutSeconds: 7 * 24 * 3600,
      // A queued run that waits too long, or whose wait fails, ends FAILED down the failure path.
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed plan', ResultPath: '$.failure' }],
    });
  });

  it('fetches the commit’s source before building, and fails the build with the step’s reason when it cannot', () => {
    expect(state('FetchSource')).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      // Only the plan (a pointer: the step re-reads the run) and the execution's own id.
      Parameters: { Payload: { 'plan.$': '$.plan', 'execution.$': '$$.Execution.Id' } },
      ResultPath: '$.source',
      Next: 'SourceFetched?',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed build', ResultPath: '$.failure' }],
    });
    expect(state('SourceFetched?')).toMatchObject({
      Choices: [{ Variable: '$.source.value.fetched', BooleanEquals: true, Next: 'Build' }],
      Default: 'SourceFailed',
    });
    expect(state('SourceFailed')).toMatchObject({
      Type: 'Pass',
      Parameters: { 'Error.$': '$.source.value.failure.error', 'Cause.$': '$.source.value.failure.reason' },
      ResultPath: '$.failure',
      Next: 'Failed build',
    });
  });

  it('builds with CodeBuild .sync in the project the plan chose by trust, from exactly the snapshot FetchSource stored', () => {
    expect(state('Build')).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::codebuild:startBuild.sync',
      Parameters: {
        'ProjectName.$': '$.plan.build.projectName',
        SourceTypeOverride: 'S3',
        'SourceLocationOverride.$': '$.source.value.snapshot.location',
        'SourceVersion.$': '$.source.value.snapshot.versionId',
        'EnvironmentVariablesOverride.$': '$.plan.build.env',
      },
      ResultSelector: {
        'id.$': '$.Build.Id',
        'status.$': '$.Build.BuildStatus',
        'artifacts.$': '$.Build.Artifacts.Location',
      },
      ResultPath: '$.build',
      Next: 'RecordProvenance',
      // The project's queue limit (1 h) + its timeout (30 min, the config's default) + 15 min.
      TimeoutSeconds: (60 + 30 + 15) * 60,
      // Only CodeBuild's refusals to start: a build that ran and failed is never run again.
      Retry: [
        expect.objectContaining({
          ErrorEquals: ['CodeBuild.AccountLimitExceededException', 'CodeBuild.ThrottlingException'],
          JitterStrategy: 'FULL',
        }),
      ],
    });
    control.hasResourceProperties('AWS::CodeBuild::Project', {
      Name: 'gantry-widgets',
      TimeoutInMinutes: 30,
      QueuedTimeoutInMinutes: 60,
    });
  });

  it('records provenance after the build, from the build id alone, before any gate reads the artifacts', () => {
    expect(state('RecordProvenance')).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        Payload: { 'plan.$': '$.plan', build: { 'id.$': '$.build.id' }, 'execution.$': '$$.Execution.Id' },
      },
      ResultPath: '$.provenance',
      Next: 'EvaluateGates',
    });
  });

  it('evaluates gates and takes the failure path with the reasons when they fail', () => {
    expect(state('EvaluateGates')).toMatchObject({
      Parameters: { Payload: { 'plan.$': '$.plan', 'build.$': '$.build', 'execution.$': '$$.Execution.Id' } },
      ResultPath: '$.gates',
      Next: 'GatesPassed?',
    });
    expect(state('GatesPassed?')).toMatchObject({
      Choices: [{ Variable: '$.gates.value.passed', BooleanEquals: true, Next: 'NeedsApproval?' }],
      Default: 'GatesFailed',
    });
    expect(state('GatesFailed')).toMatchObject({
      Parameters: { Error: 'Gantry.GatesFailed', 'Cause.$': 'States.JsonToString($.gates.value.reasons)' },
      Next: 'Failed gates',
    });
  });

  it('waits for approval only in environments that require it, each until its own timeout', () => {
    expect(state('NeedsApproval?')).toMatchObject({
      Choices: [
        {
          And: [
            { Variable: '$.plan.approval', IsNull: false },
            { Variable: '$.plan.environment', StringEquals: 'prod' },
          ],
          Next: 'Approval prod',
        },
      ],
      Default: 'Deploy?',
    });
    expect(state('Approval prod')).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 3600,
      Parameters: { Payload: { 'plan.$': '$.plan', 'taskToken.$': '$$.Task.Token' } },
      ResultPath: '$.approval',
    });
    expect(Object.keys(asl.States).filter((s) => s.startsWith('Approval'))).toEqual(['Approval prod']);
  });

  it('reports success last, then hands the lane on through the lane’s keeper (wait-turn)', () => {
    expect(state('ReportSuccess')).toMatchObject({
      Parameters: { Payload: { 'plan.$': '$.plan', outcome: 'success' } },
      Next: 'ReleaseLane',
    });
    for (const name of ['ReleaseLane', 'ReleaseLaneAfterFailure']) {
      expect(state(name)).toMatchObject({
        Parameters: {
          FunctionName: expect.stringMatching(/:function:GantryControlPlane-PipelineStepswaitturn/),
          Payload: { 'plan.$': '$.plan', release: 'lane', 'execution.$': '$$.Execution.Id' },
        },
      });
    }
    expect(state('ReleaseLane').Next).toBe('Succeeded');
  });

  it('sends every failing stage down one path: name it, RecordFailure, ReportFailure, Fail', () => {
    for (const [name, stage] of [
      ['FetchSource', 'build'],
      ['Build', 'build'],
      ['RecordProvenance', 'build'],
      ['EvaluateGates', 'gates'],
      ['Approval prod', 'approval'],
      ['ReportSuccess', 'report'],
    ]) {
      expect(state(name ?? '').Catch).toEqual([
        { ErrorEquals: ['States.ALL'], Next: `Failed ${stage}`, ResultPath: '$.failure' },
      ]);
      expect(state(`Failed ${stage}`)).toMatchObject({
        Type: 'Pass',
        Result: stage,
        ResultPath: '$.failedStage',
        Next: 'RecordFailure',
      });
    }
    expect(state('RecordFailure')).toMatchObject({
      Parameters: { Payload: { 'plan.$': '$.plan', 'stage.$': '$.failedStage', 'failure.$': '$.failure' } },
      Next: 'ReportFailure',
    });
    expect(state('ReportFailure')).toMatchObject({
      Parameters: { Payload: { outcome: 'failure', 'failure.$': '$.summary.value' } },
      Next: 'ReleaseLaneAfterFailure',
      // A failed report still hands the lane on.
      Catch: [expect.objectContaining({ Next: 'ReleaseLaneAfterFailure' })],
    });
    expect(state('ReleaseLaneAfterFailure')).toMatchObject({ Next: 'RunFailed' });
    expect(state('RunFailed')).toMatchObject({
      Type: 'Fail',
      Error: 'Gantry.RunFailed',
      CausePath: '$.summary.value.reason',
    });
  });

  it('retries step functions on Lambda service errors and throttling, under one policy', () => {
    const lambdaStates = Object.entries(asl.States).filter(([, s]) =>
      String(s.Resource).startsWith('arn:aws:states:::lambda:invoke'),
    );
    expect(lambdaStates.length).toBeGreaterThan(10);
    for (const [name, s] of lambdaStates) {
      expect([name, s.Retry?.slice(0, 2)]).toEqual([
        name,
        [
          expect.objectContaining({
            ErrorEquals: expect.arrayContaining(['Lambda.ServiceException', 'Lambda.SdkClientException']),
            MaxAttempts: 6,
          }),
          // Lambda refused to run the function: it did not run, so trying again is safe.
          expect.objectContaining({
            ErrorEquals: ['Lambda.TooManyRequestsException'],
            MaxAttempts: 8,
            JitterStrategy: 'FULL',
          }),
        ],
      ]);
    }
    // Recording a failure (idempotent) is retried on anything, so a run is not left RUNNING by one hiccup.
    expect(state('RecordFailure').Retry?.[2]).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 4 });
    for (const name of ['ClosePlanFailure', 'ReleaseLane', 'ReleaseLaneAfterFailure', 'ReleaseLaneAfterPlanFailure'])
      expect([name, state(name).Retry?.[2]]).toEqual([
        name,
        expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 4 }),
      ]);
  });

  it('stays within 25 transitions for a build + gates + status run', () => {
    const path = [
      'ResolvePlan',
      'KeepPlan',
      'Skip?',
      'Queued?',
      'FetchSource',
      'SourceFetched?',
      'Build',
      'EvaluateGates',
      'GatesPassed?',
      'NeedsApproval?',
      'Deploy?',
      'ReportSuccess',
      'Succeeded',
    ];
    for (const name of path) state(name);
    expect(path.length).toBeLessThanOrEqual(25);
  });

  it('stays within 30 transitions for a deployed run, however long its canary (no polling loop)', () => {
    const path = [
      'ResolvePlan',
      'KeepPlan',
      'Skip?',
      'Queued?',
      'Rollback?',
      'FetchSource',
      'SourceFetched?',
      'Build',
      'EvaluateGates',
      'GatesPassed?',
      'NeedsApproval?',
      'Deploy?',
      'Deploy dev',
      'BakeUntil dev',
      'Bake dev',
      'CheckAlarms dev',
      'ReportSuccess',
      'Succeeded',
    ];
    for (const name of path) state(name);
    // Each bake waits until the time BakeUntil read from the run record, never a duration counted
    // from the Deploy task's answer (which anyone with the token could send early).
    const waits = Object.entries(asl.States).filter(([, s]) => s.Type === 'Wait');
    expect(waits.map(([name, s]) => [name, s.Seconds, s.TimestampPath])).toEqual([
      ['Bake dev', undefined, '$.bakeUntil.value.until'],
      ['Bake prod', undefined, '$.bakeUntil.value.until'],
    ]);
    for (const [name] of waits) {
      const env = name.slice('Bake '.length);
      expect(state(`BakeUntil ${env}`)).toMatchObject({
        Next: name,
        Parameters: { Payload: { 'plan.$': '$.plan', check: 'bake-start' } },
      });
      expect(state(`Deploy ${env}`).Next).toBe(`BakeUntil ${env}`);
      expect(state(`Reconcile ${env}`).Next).toBe(`BakeUntil ${env}`);
    }
    expect(path.length).toBeLessThanOrEqual(30);
  });
});

describe('admission', () => {
  it('names each run after its event and its pipeline (SHA-256 of `<pipeline>#<event id>`, as admissionName computes) and ignores a run that already exists', () => {
    const asl = definition('StartRun');
    expect(asl.StartAt).toBe('NameRun');
    expect(asl.States.NameRun).toMatchObject({
      Type: 'Pass',
      Parameters: { 'value.$': "States.Format('widgets#{}', $.source.eventId)" },
      ResultPath: '$.runKey',
      Next: 'HashRunKey',
    });
    expect(asl.States.HashRunKey).toMatchObject({
      Type: 'Pass',
      Parameters: { 'value.$': "States.Hash($.runKey.value, 'SHA-256')" },
      ResultPath: '$.runName',
      Next: 'StartRun',
    });
    expect(asl.States.StartRun).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: {
        StateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:gantry-pipeline-widgets',
        'Name.$': '$.runName.value',
        Input: {
          'trigger.$': '$.trigger',
          'source.$': '$.source',
          'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
        },
      },
      Catch: [{ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], Next: 'AlreadyStarted' }],
      // Acknowledged deliveries are never dropped: any other failure to start is retried with backoff.
      Retry: [
        { ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], MaxAttempts: 0 },
        expect.objectContaining({
          ErrorEquals: ['States.ALL'],
          MaxAttempts: 8,
          BackoffRate: 2,
          JitterStrategy: 'FULL',
        }),
      ],
    });
    control.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
  });
});

describe('trigger rules', () => {
  it('match the provider, the repository, the kind and the branch, one rule per trigger, into admission with a DLQ', () => {
    control.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['gantry.webhooks'],
        'detail-type': ['Source Push'],
        detail: {
          provider: ['github'],
          repository: { fullName: ['acme/widgets'] },
          branch: ['develop', 'main', { prefix: 'release/' }],
        },
      },
      Targets: [
        Match.objectLike({
          InputTransformer: {
            InputPathsMap: { detail: '$.detail' },
            InputTemplate: '{"trigger":"push","source":<detail>}',
          },
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ],
    });
    control.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'detail-type': ['Pull Request'],
        detail: { pullRequest: { targetBranch: ['main'], action: ['opened', 'updated'] } },
      },
    });
    control.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['Source Tag'], detail: { tag: [{ prefix: 'v' }] } },
    });
    const triggerRules = control.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['gantry.webhooks'] } },
    });
    expect(Object.keys(triggerRules)).toHaveLength(3);
  });
});

describe('the build projects', () => {
  it('builds unprivileged, with artifacts in the KMS-encrypted, versioned bucket, and report groups for tests and coverage', () => {
    control.hasResourceProperties('AWS::CodeBuild::Project', {
      Name: 'gantry-widgets',
      Environment: Match.objectLike({ PrivilegedMode: false, ComputeType: 'BUILD_GENERAL1_SMALL' }),
      Artifacts: Match.objectLike({
        Type: 'S3',
        Packaging: 'NONE',
        NamespaceType: 'BUILD_ID',
        Path: 'releases/widgets/ungated',
      }),
      EncryptionKey: Match.anyValue(),
      Source: Match.objectLike({
        Type: 'S3',
        BuildSpec: 'buildspec.yml',
        Location: { 'Fn::Join': ['', Match.arrayWith(['/sources/widgets/'])] },
      }),
    });
    for (const project of ['gantry-widgets', 'gantry-widgets-gated', 'gantry-widgets-untrusted']) {
      control.hasResourceProperties('AWS::CodeBuild::ReportGroup', { Name: `${project}-tests`, Type: 'TEST' });
      control.hasResourceProperties('AWS::CodeBuild::ReportGroup', {
        Name: `${project}-coverage`,
        Type: 'CODE_COVERAGE',
        ExportConfig: { ExportConfigType: 'NO_EXPORT' },
      });
    }
    data.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    data.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('builds pull requests in a project of their own, under their own prefix, with no secrets', () => {
    const projects = control.findResources('AWS::CodeBuild::Project');
    const byName = (name: string) =>
      Object.values(projects).find((p) => (p as { Properties: { Name: string } }).Properties.Name === name) as
        | { Properties: Record<string, unknown> & { Environment: { EnvironmentVariables?: { Type: string }[] } } }
        | undefined;
    const secretsOf = (name: string) =>
      (byName(name)?.Properties.Environment.EnvironmentVariables ?? [])
        .filter((v) => v.Type === 'SECRETS_MANAGER')
        .map((v) => JSON.stringify(v));
    // build.secrets in both trusted projects; build.gatedSecrets in the gated one alone.
    expect(secretsOf('gantry-widgets-gated')).toEqual([
      JSON.stringify({ Name: 'NPM_TOKEN', Type: 'SECRETS_MANAGER', Value: 'ci/npm-token' }),
      JSON.stringify({ Name: 'SIGNING_KEY', Type: 'SECRETS_MANAGER', Value: 'ci/release-signing:key' }),
    ]);
    expect(secretsOf('gantry-widgets')).toEqual([
      JSON.stringify({ Name: 'NPM_TOKEN', Type: 'SECRETS_MANAGER', Value: 'ci/npm-token' }),
    ]);
    expect(byName('gantry-widgets-gated')?.Properties.Artifacts).toMatchObject({ Path: 'releases/widgets/gated' });
    const untrusted = byName('gantry-widgets-untrusted');
    expect(untrusted?.Properties.Artifacts).toMatchObject({ Path: 'untrusted/widgets' });
    expect(untrusted?.Properties.Environment.EnvironmentVariables ?? []).not.toContainEqual(
      expect.objectContaining({ Type: 'SECRETS_MANAGER' }),
    );
  });
});

describe('build roles', () => {
  const statementsOf = (roleId: string) =>
    Object.values(control.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(roleId))
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
      );
  type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
  const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
  const roles = Object.entries(control.findResources('AWS::CodeBuild::Project')).map(([, p]) => {
    const props = (p as { Properties: { Name: string; ServiceRole: { 'Fn::GetAtt': [string, string] } } }).Properties;
    return { name: props.Name, role: props.ServiceRole['Fn::GetAtt'][0] };
  });

  it.each([
    ['gantry-widgets', 'releases/widgets/ungated'],
    ['gantry-widgets-gated', 'releases/widgets/gated'],
    ['gantry-widgets-untrusted', 'untrusted/widgets'],
  ])(
    '%s may write only under its own prefix, read only its pipeline’s source snapshots, never list or delete',
    (name, prefix) => {
      const role = roles.find((r) => r.name === name)?.role ?? '';
      const s3 = statementsOf(role).filter((s) => actions(s).some((a) => a.startsWith('s3:')));
      const writes = s3.filter((s) => actions(s).some((a) => /^s3:(Put|Delete|Abort|Restore|\*)/.test(a)));
      expect(writes.length).toBeGreaterThan(0);
      for (const s of writes) {
        expect(actions(s)).toEqual(['s3:PutObject']);
        expect(JSON.stringify(s.Resource)).toContain(`/${prefix}/*`);
      }
      const reads = s3.filter((s) => actions(s).some((a) => /^s3:GetObject/.test(a)));
      expect(reads).toHaveLength(1);
      expect(actions(reads[0] ?? { Action: [], Resource: '', Effect: '' })).toEqual([
        's3:GetObject',
        's3:GetObjectVersion',
      ]);
      expect(JSON.stringify(reads[0]?.Resource)).toContain('/sources/widgets/*');
      expect(s3.flatMap(actions)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^s3:List|^s3:Delete/)]));
    },
  );

  it('lets no build role write under another project’s prefix: a preview or develop build cannot reach a gated one’s artifacts', () => {
    const writable = (name: string) =>
      statementsOf(roles.find((r) => r.name === name)?.role ?? '')
        .filter((s) => actions(s).includes('s3:PutObject'))
        .map((s) =>
          JSON.stringify(s.Resource)
            .replace(/^.*gantry-artifacts-[^/]*\//, '')
            .replace(/".*$/, ''),
        );
    expect(
      Object.fromEntries(
        ['gantry-widgets', 'gantry-widgets-gated', 'gantry-widgets-untrusted'].map((n) => [n, writable(n)]),
      ),
    ).toEqual({
      'gantry-widgets': ['releases/widgets/ungated/*'],
      'gantry-widgets-gated': ['releases/widgets/gated/*'],
      'gantry-widgets-untrusted': ['untrusted/widgets/*'],
    });
  });

  it("lets only the gated project's role read the gated secrets: a push to a preview or develop branch cannot", () => {
    const readers = roles
      .filter(({ role }) =>
        statementsOf(role).some(
          (s) =>
            actions(s).includes('secretsmanager:GetSecretValue') &&
            JSON.stringify(s.Resource).includes(':secret:ci/release-signing-'),
        ),
      )
      .map((r) => r.name);
    expect(readers).toEqual(['gantry-widgets-gated']);
    const npmReaders = roles.filter(({ role }) =>
      statementsOf(role).some((s) => JSON.stringify(s.Resource).includes(':secret:ci/npm-token-')),
    );
    expect(npmReaders.map((r) => r.name).sort()).toEqual(['gantry-widgets', 'gantry-widgets-gated']);
  });

  it('gives the untrusted project no secret, no Step Functions and no task-token permission', () => {
    const role = roles.find((r) => r.name === 'gantry-widgets-untrusted')?.role ?? '';
    const granted = statementsOf(role).flatMap(actions);
    expect(granted.filter((a) => /^(secretsmanager|states|ssm):/.test(a))).toEqual([]);
  });

  it('lets only the steps that resolve a waiting task answer one, on pipeline state machines only; never ReportStatus, which talks to the internet', () => {
    expect(taskAnswerers(allowStatements(gantry))).toEqual(ANSWERERS);
    for (const [, p] of Object.entries(control.findResources('AWS::IAM::Policy'))) {
      for (const s of (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement) {
        if (actions(s).some((a) => a.startsWith('states:SendTask')))
          expect(JSON.stringify(s.Resource)).toContain(':stateMachine:gantry-pipeline-*');
      }
    }
  });

  it('lets only the state machines invoke the steps that answer tasks: their input (the execution, a parked token) is the state machine’s word', () => {
    // WaitTurn's and Deploy's input names the execution ($$.Execution.Id) and the token to keep; a
    // direct invoke could name any, so no role but the state machines' may invoke these functions.
    const functions = Object.keys(control.findResources('AWS::Lambda::Function'));
    for (const step of ['PipelineStepswaitturn', 'PipelineStepsdeployrelease']) {
      const ids = functions.filter((id) => id.startsWith(step) && !id.includes('Role'));
      expect(ids).toHaveLength(1);
      const invokers = operatorFunctionInvokers(allowStatements(gantry), ids).map((s) => s.id);
      expect(invokers.length).toBeGreaterThan(0);
      for (const id of invokers) expect(id).toMatch(/^Pipeline[A-Za-z0-9]*StateMachineRole/);
    }
  });

  it('grants the execution history, where AWS shows every task token Gantry handed a step, only to RecordFailure, which answers none', () => {
    // Glob semantics of IAM actions: `states:*`, `states:Get*` or `*` would grant it too.
    const statements = allowStatements(gantry);
    // RecordFailure tells Step Functions' timeout from a hand-made States.Timeout by the history alone.
    const readers = holdersOf(statements, 'states:GetExecutionHistory');
    expect(readers).toEqual([expect.stringMatching(/^PipelineStepsrecordfailure/)]);
    expect(holdersOf(statements, 'states:SendTaskSuccess').filter((id) => readers.includes(id))).toEqual([]);
    expect(holdersOf(statements, 'states:SendTaskFailure').filter((id) => readers.includes(id))).toEqual([]);
    // The check itself matches what it must: the roles that may describe executions (a status and
    // the input, never a task token: the sweep, and Deploy telling a changed configuration) are found.
    expect(holdersOf(statements, 'states:DescribeExecution').sort()).toEqual([
      expect.stringMatching(/^PipelineStepsdeployrelease/),
      expect.stringMatching(/^PipelineStepswaitturn/),
    ]);
  });

  it('lets only the steps that post commit statuses or fetch source read provider tokens, and none of them answer a task', () => {
    const holders = (pattern: RegExp) =>
      Object.entries(control.findResources('AWS::IAM::Policy'))
        .filter(([, p]) =>
          (
            p as { Properties: { PolicyDocument: { Statement: Statement[] } } }
          ).Properties.PolicyDocument.Statement.some((s) => actions(s).some((a) => pattern.test(a))),
        )
        .map(([id]) => id.replace(/Role.*$/, ''));
    const readers = holders(/^secretsmanager:GetSecretValue$/).filter((id) => id.startsWith('PipelineSteps'));
    expect(readers.sort()).toEqual(
      [
        'PipelineStepsfetchsource',
        'PipelineStepsrecordfailure',
        'PipelineStepsreportstatus',
        'PipelineStepsresolveplan',
      ].sort(),
    );
    const answerers = holders(/^states:SendTask(Success|Failure)$/);
    expect(readers.filter((r) => answerers.includes(r))).toEqual([]);
  });

  it('lets FetchSource read only the tokens of connections pipelines fetch through, and write only source snapshots', () => {
    const policies = Object.entries(control.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('PipelineStepsfetchsource'),
    );
    const statements = policies.flatMap(
      ([, p]) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
    );
    const secrets = statements.filter((s) => actions(s).includes('secretsmanager:GetSecretValue'));
    expect(JSON.stringify(secrets)).toContain('githubacme');
    // The token's own secret (and the connection secret, where a connection set up before 2026-12 keeps it).
    expect(JSON.stringify(secrets)).toContain('githubacmeToken');
    // No pipeline of the test config fetches through gitlab-internal: its token stays out of reach.
    expect(JSON.stringify(secrets)).not.toMatch(/gitlab/i);
    const s3 = statements.filter((s) => actions(s).some((a) => a.startsWith('s3:')));
    expect(s3.map((s) => [actions(s), JSON.stringify(s.Resource).includes('/sources/*')])).toEqual([
      [['s3:PutObject'], true],
    ]);
    // The artifacts key encrypts the snapshot (the audit key is every ledger writer's).
    const kms = statements.filter((s) => JSON.stringify(s.Resource).includes('ArtifactsKey'));
    expect(kms.flatMap(actions)).toEqual(['kms:GenerateDataKey']);
    expect(statements.flatMap(actions).filter((a) => /^states:|^codebuild:/.test(a))).toEqual([]);
    // It reads its run to check the execution owns it, and can change no run.
    expect(statements.flatMap(actions).filter((a) => a.startsWith('dynamodb:'))).toEqual(
      expect.not.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']),
    );
    expect(statements.flatMap(actions)).toContain('dynamodb:GetItem');
  });

  it('sweeps every 5 minutes on the lane’s keeper, which may read executions’ status and nothing more of them', () => {
    control.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineStepswaitturn'), 'Arn'] },
          Input: JSON.stringify({ sweep: 'runs' }),
        }),
      ],
    });
    const describers = Object.entries(control.findResources('AWS::IAM::Policy'))
      .filter(([, p]) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement.some(
          (s) => actions(s).includes('states:DescribeExecution'),
        ),
      )
      .map(([id]) => id.replace(/Role.*$/, ''));
    expect(describers).toContain('PipelineStepswaitturn');
  });

  it('has the provenance key sign for RecordProvenance alone, and verify for Deploy', () => {
    const usersOf = (action: string) =>
      Object.entries(control.findResources('AWS::IAM::Policy'))
        .filter(([, p]) =>
          (
            p as { Properties: { PolicyDocument: { Statement: Statement[] } } }
          ).Properties.PolicyDocument.Statement.some(
            (s) => actions(s).includes(action) && JSON.stringify(s.Resource).includes('ProvenanceKey'),
          ),
        )
        .map(([id]) => id);
    expect(usersOf('kms:Sign')).toEqual([expect.stringMatching(/^PipelineStepsrecordprovenanceRole/)]);
    expect(usersOf('kms:Verify')).toEqual([expect.stringMatching(/^PipelineStepsdeployreleaseRole/)]);
  });
});

describe('the signing keys', () => {
  const resolver = resolvedTemplates(gantry);
  const keyPolicy = (description: RegExp) => {
    const [id] = Object.entries(data.findResources('AWS::KMS::Key')).find(([, r]) =>
      description.test(String((r as { Properties: { Description?: string } }).Properties.Description)),
    ) ?? [''];
    const policy = resolver.properties('GantryData', id).KeyPolicy as { Statement: unknown[] };
    return policy.Statement.map((statement, i) => ({ statement: statement as never, source: `${id}#${i}` }));
  };
  const roleArn = (logicalId: RegExp) => {
    const [id] = Object.keys(control.findResources('AWS::IAM::Role')).filter((r) => logicalId.test(r));
    return `arn:aws:iam::123456789012:role/${String(resolver.properties('GantryControlPlane', id ?? '').RoleName)}`;
  };
  /** `kms:Sign` asked by `principal`, whose own policies allow every KMS action on every key. */
  const sign = (statements: ReturnType<typeof keyPolicy>, principal: string) =>
    evaluate(
      {
        action: 'kms:Sign',
        resource: 'arn:aws:kms:eu-west-1:123456789012:key/k',
        context: { 'aws:PrincipalArn': principal },
      },
      [{ statement: { Effect: 'Allow', Action: 'kms:*', Resource: '*' }, source: 'admin#0' }],
      statements,
      { arn: principal, account: '123456789012' },
      { keyPolicy: true },
    ).decision;

  it.each([
    ['provenance', /provenance/, /^PipelineStepsrecordprovenanceRole/],
    ['audit checkpoint', /checkpoints/, /^AuditCheckpointsHandler.*Role/],
  ])('let only their step sign %s, whatever an account admin’s own policies allow', (_what, key, role) => {
    const statements = keyPolicy(key);
    const signer = roleArn(role);
    expect(signer).toMatch(/^arn:aws:iam::123456789012:role\/gantry-[a-z-]+-eu-west-1$/);
    expect(sign(statements, signer)).toBe('allow');
    for (const other of [
      'arn:aws:iam::123456789012:role/PowerUser',
      'arn:aws:iam::123456789012:root',
      roleArn(/^PipelineStepsevaluategatesRole/),
    ])
      expect(sign(statements, other)).toBe('explicit-deny');
  });
});

describe('the runs table’s writers', () => {
  const { allowed, updaters } = runsTableWriters(gantry);

  // Deploy believes the approval and the gates it reads here: only their own steps may write them.
  // (The Slack route, present when Slack is configured, is checked in notifications.test.ts.)
  it('lets only the approval request, the operator API and a failure write a run’s approval', () => {
    expect(updaters('approval')).toEqual(['operator-api', 'record-failure', 'request-approval']);
  });

  it('lets only evaluate-gates write a run’s gates, RecordProvenance its provenance, DeployCheck its bake', () => {
    expect(updaters('gates')).toEqual(['evaluate-gates']);
    expect(updaters('provenance')).toEqual(['record-provenance']);
    expect(updaters('baked')).toEqual(['deploy-verify']);
  });

  it('lets only the release steps, a failure and an operator’s stop write a run’s deployment', () => {
    expect(updaters('deployment')).toEqual([
      'deploy-events',
      'deploy-release',
      'deploy-verify',
      'operator-api',
      'record-failure',
    ]);
  });

  it('lets nobody rewrite a run’s plan, key facts or creation time in place', () => {
    for (const attribute of ['plan', 'pipeline', 'environment', 'executionArn', 'commit', 'createdAt', 'kind'])
      expect(updaters(attribute)).toEqual([]);
  });

  it('lets the creators put only a new run’s attributes: no gates, approval, deployment or provenance', () => {
    const created = ['kind', 'runId', 'pipeline', 'status', 'createdAt', 'updatedAt', 'executionArn', 'plan', 'stages'];
    expect(allowed('PutItem', created)).toEqual(['operator-api', 'resolve-plan']);
    for (const extra of ['gates', 'approval', 'deployment', 'provenance'])
      expect(allowed('PutItem', [...created, extra])).toEqual([]);
  });

  it('refuses a write that names no attributes, which a grant limited by attributes would otherwise allow', () => {
    expect(updaters('gates')).toContain('evaluate-gates');
    expect(allowed('UpdateItem', undefined)).toEqual([]);
    expect(allowed('PutItem', undefined)).toEqual([]);
  });

  it('grants nobody DeleteItem on runs', () => {
    expect(allowed('DeleteItem', ['runId'])).toEqual([]);
  });
});

describe('who may speak on the gantry bus', () => {
  const publishers = busPublishers(gantry);
  const LEDGER_WRITERS = [
    'deploy-events',
    'deploy-release',
    'deploy-verify',
    'evaluate-gates',
    'fetch-source',
    'record-failure',
    'record-provenance',
    'report-status',
    'request-approval',
    'resolve-plan',
    'wait-turn',
  ];

  it('lets only the functions that write security records announce one, and nobody else speak as the ledger', () => {
    expect(publishers('gantry.audit', 'Security Record')).toEqual(LEDGER_WRITERS);
    expect(publishers('gantry.audit', 'Approval Requested')).toEqual([]);
  });

  it('keeps the webhook receiver to webhook events, and the steps to run events', () => {
    expect(publishers('gantry.webhooks', 'Source Event')).toEqual(['webhook-receiver']);
    expect(publishers('gantry.pipelines', 'Approval Requested')).toEqual(expect.arrayContaining(['request-approval']));
    expect(publishers('gantry.pipelines', 'Approval Requested')).not.toContain('webhook-receiver');
  });
});

describe('the runs table', () => {
  it('lists runs by pipeline, repository, status, lane and recency', () => {
    data.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'gantry-runs',
      KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: ['byPipeline', 'byRepository', 'byStatus', 'byLane', 'recent'].map((IndexName) =>
        Match.objectLike({
          IndexName,
          KeySchema: [Match.objectLike({ KeyType: 'HASH' }), { AttributeName: 'createdAt', KeyType: 'RANGE' }],
        }),
      ),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });
});

describe('the operator API', () => {
  it('takes decisions only with IAM authorization, validating the body', () => {
    control.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'AWS_IAM',
      RequestModels: { 'application/json': Match.anyValue() },
      RequestParameters: { 'method.request.path.runId': true },
    });
    control.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
  });
});

describe('the operator API reads', () => {
  it('serves GET /runs and GET /runs/{runId} with IAM authorization', () => {
    const methods = Object.values(control.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
    const gets = methods.filter((m) => m.HttpMethod === 'GET');
    expect(gets).toHaveLength(2);
    for (const m of gets) expect(m.AuthorizationType).toBe('AWS_IAM');
    expect(gets.map((m) => Object.keys(m.RequestParameters ?? {}).sort())).toEqual(
      expect.arrayContaining([
        ['method.request.path.runId'],
        [
          'method.request.querystring.limit',
          'method.request.querystring.pipeline',
          'method.request.querystring.repository',
          'method.request.querystring.status',
        ],
      ]),
    );
  });
});

describe('a pipeline with no environment that needs approval', () => {
  it('has no NeedsApproval? choice (Step Functions refuses an empty Choices list)', async () => {
    const { testConfig } = await import('../support/cdk');
    const config = testConfig();
    for (const pipeline of config.pipelines) {
      for (const env of pipeline.environments) env.approval.required = false;
    }
    const app = synthGantry(config);
    const machines = app.control$.findResources('AWS::StepFunctions::StateMachine');
    const asl = JSON.stringify(machines);
    expect(asl).not.toContain('NeedsApproval?');
    expect(asl).toContain('Deploy?');
  });
});

describe('how long a queued run waits for its lane', () => {
  type Environment = PipelineDefinition['environments'][number];
  const [base] = DEFINITION.environments;
  const target = DEFINITION.environments.find((e) => e.deploy !== null)?.deploy;
  if (base === undefined || target == null) throw new Error('DEFINITION needs an environment with a deploy target');
  const env = (approvalMinutes: number, deploySeconds: number): Environment => ({
    ...base,
    approval: { ...base.approval, required: approvalMinutes > 0, timeoutMinutes: approvalMinutes },
    deploy: deploySeconds > 0 ? { ...target, timeoutSeconds: deploySeconds, bakeSeconds: 0 } : null,
  });

  it('is a week for a pipeline whose runs are short', () => {
    const definition = { ...DEFINITION, environments: [env(60, 3600)] };
    expect(laneWait(definition, Duration.minutes(105)).toDays()).toBe(7);
  });

  it('follows the config: twice the longest run when an approval may wait for weeks', () => {
    const definition = { ...DEFINITION, environments: [env(30 * 24 * 60, 7200), env(60, 600)] };
    // 105 min build + 30 days approval + 120 min deploy + 30 min of steps, twice.
    expect(laneWait(definition, Duration.minutes(105)).toMinutes()).toBe(2 * (105 + 30 * 24 * 60 + 120 + 30));
  });

  it('never outlasts an execution (a year)', () => {
    const definition = { ...DEFINITION, environments: [env(300 * 24 * 60, 0)] };
    expect(laneWait(definition, Duration.minutes(105)).toDays()).toBe(360);
  });
});

describe('who may invoke the operator API function', () => {
  it('is granted to no role of ours: a direct invocation could hand it a forged requestContext', () => {
    const handlerIds = Object.keys(control.findResources('AWS::Lambda::Function')).filter((id) =>
      id.startsWith('OperatorApiHandler'),
    );
    expect(handlerIds).toHaveLength(1);
    const all = allowStatements(gantry);
    expect(all.length).toBeGreaterThan(20);
    expect(operatorFunctionInvokers(all, handlerIds)).toEqual([]);
  });

  it('may only add (and read back) used caller proofs in the deliveries table: proof# items, nothing else', () => {
    const statements = statementsByFunction(gantry, FUNCTION_METADATA_KEY).get('operator-api') ?? [];
    const deliveries = statements.filter((s) => JSON.stringify(s.resources).includes('table/gantry-deliveries'));
    expect(deliveries).toEqual([
      {
        actions: ['dynamodb:PutItem', 'dynamodb:GetItem'],
        resources: [expect.anything()],
        condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['proof#*'] } },
      },
    ]);
  });

  it('takes caller proofs only for its own URL: the one the stack tells the CLI to call', () => {
    const resolver = resolvedTemplates(gantry);
    const [handlerId = ''] = Object.keys(control.findResources('AWS::Lambda::Function')).filter((id) =>
      id.startsWith('OperatorApiHandler'),
    );
    const env = (
      resolver.properties('GantryControlPlane', handlerId).Environment as { Variables: Record<string, unknown> }
    ).Variables;
    const output = control.findOutputs('OperatorApiUrl').OperatorApiUrl as { Value: unknown };
    const url = resolver.resolve('GantryControlPlane', output.Value);
    expect(url).toMatch(/^https:\/\/\w+\.execute-api\.eu-west-1\.amazonaws\.com\/v1\/$/);
    expect(env[OPERATOR_ENV.audience]).toBe(url);
  });

  it('takes proofs for the custom domains the config lists, and for no other URL', async () => {
    const { testConfig } = await import('../support/cdk');
    const urls = ['https://gantry.example.com/ops/'];
    const withDomain = synthGantry({ ...testConfig(), operatorApi: { urls } });
    const fns = withDomain.control$.findResources('AWS::Lambda::Function');
    const [[, handler] = ['', undefined]] = Object.entries(fns).filter(([id]) => id.startsWith('OperatorApiHandler'));
    const variables = (handler as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties
      .Environment.Variables;
    expect(JSON.parse(String(variables[OPERATOR_ENV.otherAudiences]))).toEqual(urls);
    const [plain] = Object.entries(control.findResources('AWS::Lambda::Function')).filter(([id]) =>
      id.startsWith('OperatorApiHandler'),
    );
    expect(JSON.stringify(plain?.[1])).not.toContain(OPERATOR_ENV.otherAudiences);
  });

  it('may be invoked by API Gateway only (its resource policy)', () => {
    const permissions = Object.values(control.findResources('AWS::Lambda::Permission')).filter((p) =>
      JSON.stringify(p.Properties.FunctionName).includes('OperatorApiHandler'),
    );
    expect(permissions.length).toBeGreaterThan(0);
    for (const p of permissions) expect(p.Properties.Principal).toBe('apigateway.amazonaws.com');
  });
});

describe('the artifacts bucket, as the steps reach it', () => {
  it('lets each step read or write only the prefixes its work needs, and no other function touch the bucket', () => {
    const bucket = 's3:::gantry-artifacts-';
    const grants = [...statementsByFunction(gantry, FUNCTION_METADATA_KEY)].flatMap(([name, statements]) =>
      statements
        .filter((s) => JSON.stringify(s.resources).includes(bucket))
        .map((s) => ({
          name,
          actions: [...s.actions].sort(),
          keys: s.resources.map((r) =>
            JSON.stringify(r)
              .split(bucket)[1]
              ?.replace(/^[^/]*/, '')
              .replace(/"\]\]\}$/, ''),
          ),
        })),
    );
    expect(grants).toEqual(
      expect.arrayContaining([
        { name: 'fetch-source', actions: ['s3:PutObject'], keys: ['/sources/*'] },
        { name: 'record-provenance', actions: ['s3:ListBucketVersions'], keys: [''] },
        {
          name: 'record-provenance',
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          keys: ['/releases/*', '/untrusted/*'],
        },
        { name: 'record-provenance', actions: ['s3:GetObject', 's3:GetObjectVersion'], keys: ['/sources/*'] },
        { name: 'record-provenance', actions: ['s3:PutObject'], keys: ['/provenance/*'] },
        {
          name: 'evaluate-gates',
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          keys: ['/releases/*', '/untrusted/*'],
        },
        {
          name: 'deploy-release',
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          keys: ['/releases/*', '/provenance/*'],
        },
      ]),
    );
    expect(grants).toHaveLength(7);
  });
});

describe('the commit status of a run that ended without its ReportStatus step (cancel, sweep)', () => {
  const resolver = resolvedTemplates(gantry);
  const inventory = inventoryOf(resolver);
  const reportStatus = inventory.functions.find((fn) => fn.label === 'report-status');
  const gantryBus = inventory.buses.find((b) => b.name.startsWith('gantry'));

  it("is a rule on the Gantry bus for this account's Run Failed of a cancel or a sweep, invoking report-status with the run id only", () => {
    const rules = inventory.rules.filter((r) => r.targets.some((t) => t.arn === reportStatus?.arn));
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule?.busName).toBe(gantryBus?.name);
    expect(rule?.pattern).toEqual({
      source: ['gantry.pipelines'],
      'detail-type': ['Run Failed'],
      account: ['123456789012'],
      detail: { failure: { error: ['Gantry.Cancelled', 'Gantry.Reconciled'] } },
    });
    expect(rule?.targets).toEqual([
      expect.objectContaining({
        arn: reportStatus?.arn,
        inputTransformer: {
          InputPathsMap: { 'detail-runId': '$.detail.runId' },
          InputTemplate: '{"ended":{"runId":<detail-runId>}}',
        },
      }),
    ]);
  });

  it('keeps the event when report-status cannot be reached or the provider will not take the status: retries, then the triggers dead-letter queue', () => {
    const triggers = inventory.queues.find((q) => q.name.includes('TriggerDeadLetters'));
    expect(triggers).toBeDefined();
    const [target] = inventory.rules.flatMap((r) => r.targets.filter((t) => t.arn === reportStatus?.arn));
    expect(target).toMatchObject({ deadLetterArn: triggers?.arn, maximumRetryAttempts: 8 });
    // reportEnded fails when the provider refuses; Lambda's two retries, then the same queue.
    expect(reportStatus?.asyncInvoke).toEqual({ maximumRetryAttempts: 2, onFailure: triggers?.arn });
    // Which `gantry dlq redrive` finds: the queue report-status's failures go to, and it may send there.
    const sends = (statementsByFunction(gantry, FUNCTION_METADATA_KEY).get('report-status') ?? []).filter((s) =>
      s.actions.includes('sqs:SendMessage'),
    );
    expect(sends).toHaveLength(1);
  });

  it('reaches report-status on the local bus for a cancel and a sweep, and for nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-ended-runs-'));
    const delivered: { arn: string; input: string }[] = [];
    const { bus } = LocalBus.start({
      buses: inventory.buses,
      rules: inventory.rules,
      dataDir: dir,
      region: 'eu-west-1',
      accountId: '123456789012',
      invokeTarget: async (arn, input) => {
        delivered.push({ arn, input });
        return undefined;
      },
      backoffMs: [1],
    });
    const failed = (runId: string, error: string, account?: string) => ({
      bus: gantryBus?.name ?? 'gantry',
      source: 'gantry.pipelines',
      detailType: 'Run Failed',
      detail: { runId, failure: { stage: 'internal', error, reason: 'forged words' } },
      ...(account === undefined ? {} : { account }),
    });
    try {
      bus.accept([
        failed('r-cancelled', 'Gantry.Cancelled'),
        failed('r-swept', 'Gantry.Reconciled'),
        failed('r-gates', 'Gantry.GatesFailed'),
        failed('r-elsewhere', 'Gantry.Cancelled', '210987654321'),
      ]);
      await bus.settled();
    } finally {
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const toReport = delivered.filter((d) => d.arn === reportStatus?.arn).map((d) => JSON.parse(d.input));
    expect(toReport).toEqual([{ ended: { runId: 'r-cancelled' } }, { ended: { runId: 'r-swept' } }]);
  });

  it('gives neither the operator API nor the sweep (wait-turn) a secret, and lets the sweep put only Run Failed', () => {
    const byFunction = statementsByFunction(gantry, FUNCTION_METADATA_KEY);
    for (const fn of ['operator-api', 'wait-turn']) {
      const statements = byFunction.get(fn) ?? [];
      expect(statements.length).toBeGreaterThan(0);
      expect({
        fn,
        secrets: statements.flatMap((s) => s.actions).filter((a) => /^secretsmanager:|^\*$/.test(a)),
      }).toEqual({ fn, secrets: [] });
    }
    // This config has no notifications: the sweep still announces the runs it closes.
    const puts = (byFunction.get('wait-turn') ?? []).filter((s) => s.actions.includes('events:PutEvents'));
    expect(puts.map((s) => s.condition)).toEqual(
      expect.arrayContaining([
        { StringEquals: { 'events:source': 'gantry.pipelines', 'events:detail-type': 'Run Failed' } },
      ]),
    );
    expect(JSON.stringify(puts)).not.toMatch(/"events:source":"gantry\.pipelines"}/);
  });
});
