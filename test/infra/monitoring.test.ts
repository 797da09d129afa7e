import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { GantryApp } from '../../infra/app';
import { LocalAlarms } from '../../local/cloudwatch/alarms';
import { RequestMetrics } from '../../local/cloudwatch/metrics';
import { inventoryOf } from '../../local/template/inventory';
import { TemplateResolver } from '../../local/template/resolver';
import { synthGantry } from '../support/cdk';

let gantry: GantryApp;
let control: Template;

beforeAll(() => {
  const synthesized = synthGantry();
  gantry = synthesized;
  control = synthesized.control$;
});

/** The logical id of the one resource of `type` whose id matches `pattern`. */
function idOf(type: string, pattern: RegExp): string {
  const ids = Object.keys(control.findResources(type)).filter((id) => pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0] ?? '';
}

const topic = () => ({ Ref: idOf('AWS::SNS::Topic', /^MonitoringTopic/) });

type Expected = [
  alarm: string,
  namespace: string,
  metric: string,
  statistic: string,
  dimensions: () => unknown[],
  threshold?: number,
];

const queue = (pattern: RegExp) => () => [
  { Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf('AWS::SQS::Queue', pattern), 'QueueName'] } },
];
const fn = (pattern: RegExp) => () => [
  { Name: 'FunctionName', Value: { Ref: idOf('AWS::Lambda::Function', pattern) } },
];
const machine = (pattern: RegExp) => () => [
  { Name: 'StateMachineArn', Value: { Ref: idOf('AWS::StepFunctions::StateMachine', pattern) } },
];

const EXPECTED: Expected[] = [
  [
    'gantry-webhook-dlq-not-empty',
    'AWS/SQS',
    'ApproximateNumberOfMessagesVisible',
    'Maximum',
    queue(/^WebhookIngressDeadLetterQueue/),
  ],
  [
    'gantry-trigger-dlq-not-empty',
    'AWS/SQS',
    'ApproximateNumberOfMessagesVisible',
    'Maximum',
    queue(/^TriggerDeadLetters/),
  ],
  // Runs the sweep had to close: the control plane repaired itself.
  ['gantry-runs-reconciled', 'Gantry', 'RunsReconciled', 'Sum', () => [{ Name: 'service', Value: 'wait-turn' }]],
  // Closes the sweep still could not record or announce at a later pass: a run's end missing from the ledger.
  ['gantry-run-ends-unsaid', 'Gantry', 'RunEndsUnsaid', 'Sum', () => [{ Name: 'service', Value: 'wait-turn' }]],
  // Someone went around the control plane: whichever function wrote the record, one metric per type.
  [
    'gantry-security-forged-input',
    'Gantry',
    'SecurityRecords',
    'Sum',
    () => [{ Name: 'Type', Value: 'security.forged_input' }],
  ],
  [
    'gantry-security-unattributed-deployment',
    'Gantry',
    'SecurityRecords',
    'Sum',
    () => [{ Name: 'Type', Value: 'security.unattributed_deployment' }],
  ],
  // A release's failure has its own alarm, which failing pull requests cannot hold in ALARM.
  ...['dev', 'prod'].map(
    (environment): Expected => [
      `gantry-pipeline-widgets-${environment}-failed`,
      'Gantry',
      'ReleaseRunsFailed',
      'Sum',
      () => [
        { Name: 'Environment', Value: environment },
        { Name: 'Pipeline', Value: 'widgets' },
      ],
    ],
  ),
  // Four days before SQS's 14-day retention drops the oldest dead letter.
  [
    'gantry-webhook-dlq-expiring',
    'AWS/SQS',
    'ApproximateAgeOfOldestMessage',
    'Maximum',
    queue(/^WebhookIngressDeadLetterQueue/),
    10 * 86_400,
  ],
  [
    'gantry-trigger-dlq-expiring',
    'AWS/SQS',
    'ApproximateAgeOfOldestMessage',
    'Maximum',
    queue(/^TriggerDeadLetters/),
    10 * 86_400,
  ],
  [
    'gantry-webhook-api-5xx',
    'AWS/ApiGateway',
    '5XXError',
    'Sum',
    () => [{ Name: 'ApiName', Value: 'gantry-webhooks' }],
  ],
  ['gantry-webhook-api-throttled', 'Gantry', 'WebhookRequestsThrottled', 'Sum', () => Match.absent() as never],
  ['gantry-webhook-receiver-errors', 'AWS/Lambda', 'Errors', 'Sum', fn(/^WebhookIngressReceiverFunction/)],
  ['gantry-webhook-receiver-throttles', 'AWS/Lambda', 'Throttles', 'Sum', fn(/^WebhookIngressReceiverFunction/)],
  ['gantry-audit-checkpoint-failed', 'AWS/Lambda', 'Errors', 'Sum', fn(/^AuditCheckpointsHandlerFunction/)],
  // A deployment's end deploy-events could not handle is dropped after Lambda's retries.
  ['gantry-deploy-events-errors', 'AWS/Lambda', 'Errors', 'Sum', fn(/^DeploymentsEventsFunction/)],
  ...['widgets', 'gadgets'].flatMap((p): Expected[] => [
    [
      `gantry-pipeline-${p}-failed`,
      'AWS/States',
      'ExecutionsFailed',
      'Sum',
      machine(new RegExp(`^Pipeline${p}StateMachine`)),
    ],
    [
      `gantry-pipeline-${p}-timed-out`,
      'AWS/States',
      'ExecutionsTimedOut',
      'Sum',
      machine(new RegExp(`^Pipeline${p}StateMachine`)),
    ],
    [
      `gantry-admission-${p}-failed`,
      'AWS/States',
      'ExecutionsFailed',
      'Sum',
      machine(new RegExp(`^Pipeline${p}Admission`)),
    ],
    [
      `gantry-admission-${p}-timed-out`,
      'AWS/States',
      'ExecutionsTimedOut',
      'Sum',
      machine(new RegExp(`^Pipeline${p}Admission`)),
    ],
  ]),
];

describe('control-plane alarms', () => {
  it.each(EXPECTED)(
    '%s watches %s %s (%s) and fires above its threshold',
    (name, ns, metric, stat, dims, threshold = 0) => {
      control.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        Namespace: ns,
        MetricName: metric,
        Statistic: stat,
        Dimensions: dims(),
        Period: 300,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic()],
        OKActions: [topic()],
        AlarmDescription: Match.stringLikeRegexp('.{30,}'),
      });
    },
  );

  it('are exactly those: one set per pipeline, nothing without an action', () => {
    const alarms = Object.values(control.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual(EXPECTED.map(([name]) => name).sort());
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([topic()]);
  });

  it("counts the webhook stage's throttled requests from its access logs, which record each 429", () => {
    const stage = Object.values(control.findResources('AWS::ApiGateway::Stage')).find(
      (s) => s.Properties.StageName === 'v1' && JSON.stringify(s).includes('WebhookIngress'),
    );
    const logGroup = stage?.Properties.AccessLogSetting.DestinationArn['Fn::GetAtt'][0];
    expect(stage?.Properties.AccessLogSetting.Format).toContain('"status":"$context.status"');
    control.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logGroup },
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [{ MetricNamespace: 'Gantry', MetricName: 'WebhookRequestsThrottled', MetricValue: '1' }],
    });
  });
});

describe('the alarm topic', () => {
  it('is encrypted with a rotating key CloudWatch may use, and only takes TLS and this account’s alarms', () => {
    const key = idOf('AWS::KMS::Key', /^MonitoringTopicKey/);
    control.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'gantry-alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
    });
    control.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    control.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic()],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: Match.anyValue() },
          }),
        ]),
      },
    });
    control.hasOutput('AlarmTopicArn', { Value: topic() });
  });
});

describe('the dashboard', () => {
  it('is named, shows every alarm, and graphs Gantry metrics by dimension rather than by name', () => {
    control.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'gantry-control-plane' });
    const body = JSON.stringify(Object.values(control.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const id of Object.keys(control.findResources('AWS::CloudWatch::Alarm'))) expect(body).toContain(id);
    expect(body).toContain(
      `SEARCH('{Gantry,service,Pipeline,Outcome} MetricName=\\\\\\"Invocations\\\\\\" Pipeline=\\\\\\"widgets\\\\\\"`,
    );
    expect(body).toContain(`SEARCH('Namespace=\\\\\\"Gantry\\\\\\" MetricName=\\\\\\"Deliveries\\\\\\"`);
    control.hasOutput('DashboardName', {});
  });
});

describe('in local mode', () => {
  it('the new resources are read without error and every alarm rests OK with no data', () => {
    const templates = [gantry.data, gantry.controlPlane].map((s) => ({
      stackName: s.stackName,
      template: gantry.app.synth().getStackByName(s.stackName).template,
    }));
    const resolver = new TemplateResolver(templates, {
      region: 'us-east-1',
      accountId: '000000000000',
      edgeEndpoint: 'http://127.0.0.1:4566',
    });
    const inventory = inventoryOf(resolver);
    const ours = inventory.alarms.filter((a) => a.name.startsWith('gantry-'));
    expect(ours).toHaveLength(EXPECTED.length);
    const alarms = new LocalAlarms({ alarms: ours, metrics: new RequestMetrics() });
    try {
      expect(new Set(alarms.describe().map((s) => s.state))).toEqual(new Set(['OK']));
    } finally {
      alarms.close();
    }
  });
});
