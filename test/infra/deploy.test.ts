import { Match, Template } from 'aws-cdk-lib/assertions';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/function-metadata';
import { synthGantry, TEST_CONFIG_YAML, testConfig } from '../support/cdk';
import { actionsOf, statementsByFunction } from '../support/iam-invariants';

/** The test config plus sample targets: Lambda (dev, prod) and ECS (staging). */
const SAMPLE_YAML = TEST_CONFIG_YAML.replace(
  'lambda: { function: widgets-dev }',
  'lambda: { function: widgets-dev }\n          sample: true',
)
  .replace('lambda: { function: widgets-prod }', 'lambda: { function: widgets-prod }\n          sample: true')
  .replace(
    '      - name: prod\n        branches: release/*',
    `      - name: staging
        branches: main
        deploy:
          application: widgets-ecs
          deploymentGroup: staging
          ecs: { cluster: widgets, service: widgets-web, container: web, port: 80, terminationWaitMinutes: 15 }
          strategy: Canary10Percent5Minutes
          sample: true
      - name: prod
        branches: release/*`,
  );

const app = synthGantry(testConfig(SAMPLE_YAML), true);
if (app.sample === undefined) throw new Error('the sample stack was not created');
const sample = Template.fromStack(app.sample);
const control = app.control$;

describe('the sample service stack', () => {
  it('gives each Lambda target an alias and a deployment group that rolls back on failure, stop and alarm', () => {
    sample.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'widgets-dev',
      Handler: 'src/lambda.handler',
    });
    sample.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live' });
    sample.hasResourceProperties('AWS::CodeDeploy::Application', {
      ApplicationName: 'widgets',
      ComputePlatform: 'Lambda',
    });
    sample.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentGroupName: 'dev',
      DeploymentConfigName: 'gantry-widgets-dev',
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: Match.arrayWith(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM']),
      },
      AlarmConfiguration: {
        Enabled: true,
        Alarms: [{ Name: Match.anyValue() }, { Name: Match.anyValue() }],
      },
    });
    sample.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentGroupName: 'prod',
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    });
  });

  it('watches an error-rate and a p99 latency alarm on each alias', () => {
    sample.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'widgets-dev-error-rate',
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(invocations > 0, 100 * errors / invocations, 0)' }),
      ]),
    });
    sample.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'widgets-dev-latency',
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Threshold: 1000,
    });
  });

  it('has one traffic hook that CodeDeploy may invoke and that may report to the groups', () => {
    sample.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'gantry-traffic-hook' });
    sample.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'codedeploy:PutLifecycleEventHookExecutionStatus', Effect: 'Allow' }),
        ]),
      },
    });
  });

  it('synthesizes an ECS blue/green target: test listener, two target groups, a termination wait', () => {
    sample.hasResourceProperties('AWS::ECS::Service', { DeploymentController: { Type: 'CODE_DEPLOY' } });
    sample.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
    sample.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    sample.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentGroupName: 'staging',
      DeploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      BlueGreenDeploymentConfiguration: {
        TerminateBlueInstancesOnDeploymentSuccess: { Action: 'TERMINATE', TerminationWaitTimeInMinutes: 15 },
      },
      DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
    });
  });
});

describe('the control plane drives CodeDeploy', () => {
  it("creates the custom shift's deployment configuration", () => {
    control.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      DeploymentConfigName: 'gantry-widgets-dev',
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: { Type: 'TimeBasedCanary', TimeBasedCanary: { CanaryPercentage: 20, CanaryInterval: 3 } },
    });
  });

  it('resumes runs from CodeDeploy state-change events on the default bus, only for its applications', () => {
    control.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.codedeploy'],
        'detail-type': ['CodeDeploy Deployment State-change Notification'],
        detail: { state: ['SUCCESS', 'FAILURE', 'STOP'], application: ['widgets', 'widgets-ecs'] },
      },
      EventBusName: Match.absent(),
      Targets: [Match.objectLike({ RetryPolicy: Match.anyValue(), DeadLetterConfig: Match.anyValue() })],
    });
  });

  it('scopes CodeDeploy and Lambda grants to the configured deployment groups and functions', () => {
    const policies = JSON.stringify(control.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('deploymentgroup:widgets/dev');
    expect(policies).toContain('deploymentgroup:widgets-ecs/staging');
    expect(policies).toContain(':function:widgets-dev');
    expect(policies).not.toMatch(/"codedeploy:CreateDeployment"[^\]]*"Resource":"\*"/);
  });

  it('parks the run on the Deploy task until the event answers, reconciling once on timeout', () => {
    const machines = control.findResources('AWS::StepFunctions::StateMachine', {
      Properties: { StateMachineName: 'gantry-pipeline-widgets' },
    });
    const text = JSON.stringify(Object.values(machines)[0]?.Properties?.DefinitionString);
    expect(text).toContain('lambda:invoke.waitForTaskToken');
    const deploy = text.slice(text.indexOf('Deploy dev\\":{'), text.indexOf('Deploy dev\\":{') + 1500);
    expect(deploy).toMatch(/TimeoutSeconds\W+1800/);
    expect(deploy).toMatch(/States\.Timeout\W+ResultPath\W+\$\.deployTimeout\W+Next\W+Reconcile dev/);
  });
});

describe('the deploy functions, each granted by the construct that creates it', () => {
  const byFunction = statementsByFunction(app, FUNCTION_METADATA_KEY);
  /**
   * What every pipeline step holds: its logs, traces, the runs table, the audit ledger, and putting
   * a Security Record event on the bus for each security record it writes.
   */
  const STEP = [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
    'events:PutEvents',
    'kms:Decrypt',
    'kms:DescribeKey',
    'kms:Encrypt',
    'kms:GenerateDataKey',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'xray:PutTelemetryRecords',
    'xray:PutTraceSegments',
  ];
  const RELEASE = [
    'codedeploy:CreateDeployment',
    'codedeploy:GetApplicationRevision',
    'codedeploy:GetDeployment',
    'codedeploy:GetDeploymentConfig',
    'codedeploy:GetDeploymentGroup',
    'codedeploy:RegisterApplicationRevision',
    'codedeploy:StopDeployment',
  ];

  it.each([
    [
      'deploy-release',
      [
        ...RELEASE,
        'codedeploy:BatchGetDeployments',
        'codedeploy:ListDeployments',
        'kms:Verify',
        'lambda:GetAlias',
        'lambda:GetFunction',
        'lambda:GetFunctionConfiguration',
        'lambda:PublishVersion',
        'lambda:UpdateFunctionCode',
        's3:GetObject',
        's3:GetObjectVersion',
        'states:DescribeStateMachine',
        // Only to tell a configuration changed since the run was planned from a forged record.
        'states:DescribeExecution',
        'states:DescribeStateMachineForExecution',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
      ],
    ],
    [
      'deploy-verify',
      [...RELEASE, 'cloudwatch:DescribeAlarms', 'codedeploy:BatchGetDeployments', 'codedeploy:ListDeployments'],
    ],
    [
      'deploy-events',
      [
        'codedeploy:GetDeployment',
        'codedeploy:GetDeploymentGroup',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
        // Lambda sends an event it gave up on to the triggers queue with the function's own role.
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ],
    ],
  ])('grants %s exactly what its step does, no more', (name, own) => {
    expect(actionsOf(byFunction.get(name))).toEqual([...new Set([...STEP, ...own])].sort());
  });

  it('sends an event deploy-events failed on twice more to the triggers dead-letter queue, where redrive finds it', () => {
    const [fnId] = Object.entries(control.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('DeploymentsEvents'),
    ) ?? [''];
    const configs = Object.values(control.findResources('AWS::Lambda::EventInvokeConfig')).filter(
      (c) => JSON.stringify(c.Properties.FunctionName) === JSON.stringify({ Ref: fnId }),
    );
    const [queueId] = Object.keys(control.findResources('AWS::SQS::Queue')).filter((id) =>
      id.startsWith('TriggerDeadLetters'),
    );
    expect(configs).toEqual([
      {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: expect.objectContaining({
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 2,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
        }),
      },
    ]);
    const sends = (byFunction.get('deploy-events') ?? []).filter((s) => s.actions.includes('sqs:SendMessage'));
    expect(sends.map((s) => s.resources)).toEqual([[{ 'Fn::GetAtt': [queueId, 'Arn'] }]]);
  });

  it('lets only the deploy steps, the stoppers and the operator API stop a deployment, on the configured groups', () => {
    const stoppers = [...byFunction]
      .filter(([, statements]) => actionsOf(statements).includes('codedeploy:StopDeployment'))
      .map(([name]) => name)
      .sort();
    expect(stoppers).toEqual(['deploy-release', 'deploy-verify', 'operator-api', 'record-failure', 'resolve-plan']);
    for (const name of stoppers) {
      const groups = JSON.stringify(
        byFunction.get(name)?.filter((s) => s.actions.includes('codedeploy:StopDeployment')),
      );
      expect(groups).toContain('deploymentgroup:widgets/dev');
      expect(groups).not.toContain('deploymentgroup:*');
    }
  });

  it('lets Deploy read release packages and provenance only, never what untrusted builds wrote', () => {
    const reads = JSON.stringify(byFunction.get('deploy-release')?.filter((s) => s.actions.includes('s3:GetObject')));
    expect(reads).toContain('/releases/*');
    expect(reads).toContain('/provenance/*');
    expect(reads).not.toContain('/untrusted/');
  });
});
