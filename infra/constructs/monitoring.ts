import { Aws, CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SECURITY_AUDIT_TYPES } from '../../events';
import { failedRunsAlarm } from '../../shared/config/names';
import { DIMENSION, METRIC, METRICS_NAMESPACE } from '../../shared/observability';
import { SecurityNotices, type Signers } from './security-notices';

/** One pipeline's two state machines. */
export interface MonitoredPipeline {
  readonly name: string;
  /** The Standard machine a run executes. */
  readonly run: IStateMachine;
  /** The Express machine a trigger rule starts, which starts the run. */
  readonly admission: IStateMachine;
  /** Its environments' names: each has an alarm for failed runs bound for it. */
  readonly environments: readonly string[];
}

export interface MonitoringProps {
  /** The webhook front door. */
  readonly webhookApi: RestApi;
  /** Its stage's JSON access logs (with `status`): the only record of requests the stage throttled. */
  readonly webhookAccessLogs: ILogGroup;
  readonly receiver: IFunction;
  readonly webhookDeadLetters: IQueue;
  readonly triggerDeadLetters: IQueue;
  /** The notifier's, when the config has notifications. */
  readonly notificationDeadLetters?: IQueue;
  readonly pipelines: readonly MonitoredPipeline[];
  /** The function that signs audit checkpoints. */
  readonly checkpoints: IFunction;
  /** The function CodeDeploy's state changes reach (with deploy targets). */
  readonly deployEvents?: IFunction;
  /** Every Gantry function, for the dashboard's errors graph. */
  readonly functions: readonly IFunction[];
  /** The bus `Security Record` events are put on: each goes to the topic on its own. */
  readonly bus: IEventBus;
  /** The signing keys, roles and functions: a change to any of them goes to the topic (CloudTrail). */
  readonly signers: Signers;
  /** @default 'gantry-control-plane' */
  readonly dashboardName?: string;
}

/** Metric name of the webhook stage's throttled requests (429 in its access logs). */
export const WEBHOOK_THROTTLED_METRIC = 'WebhookRequestsThrottled';

const PERIOD = Duration.minutes(5);

/** What each security record means, for its alarm's description. */
const SECURITY_MEANING: Readonly<Record<(typeof SECURITY_AUDIT_TYPES)[number], string>> = {
  'security.forged_input':
    'a pipeline step was handed an input the control plane did not write (a forged or replayed execution), and refused it.',
  'security.unattributed_deployment':
    'a deployment to a Gantry target that no Gantry run started released bytes no gate, approval or provenance check saw.',
};

/**
 * The control plane watching itself: alarms on what must never happen unnoticed (dead letters,
 * front-door failures and throttling, failed and timed-out executions, checkpoint failures), each
 * notifying one SNS topic when it fires and when it clears, and a dashboard showing the same. What
 * must be heard every time, not once per state change (each security record, each change to the
 * signers), reaches the same topic one message each ({@link SecurityNotices}).
 */
export class Monitoring extends Construct {
  /** Subscribe here (e-mail, chat, paging) to hear every alarm. */
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  readonly securityNotices: SecurityNotices;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = alarmTopic(this);
    const deadLetters = this.deadLetterAlarms(props);
    const throttled = webhookThrottled(props);
    this.frontDoorAlarms(props, throttled);
    const pipelines = props.pipelines.map((p) => this.pipelineAlarms(p));
    const checkpoints = this.checkpointAlarm(props);
    const reconciled = this.sweepAlarm();
    if (props.deployEvents) this.deployEventsAlarm(props.deployEvents);
    const security = this.securityAlarms();
    this.securityNotices = new SecurityNotices(this, 'SecurityNotices', {
      bus: props.bus,
      topic: this.topic,
      signers: props.signers,
    });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? 'gantry-control-plane',
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Gantry alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
    this.dashboard.addWidgets(
      graph('Dead-letter queues: messages waiting', deadLetters),
      ...frontDoorGraphs(props, throttled),
    );
    this.dashboard.addWidgets(
      ...functionGraphs(props),
      graph('Audit checkpoints', [...checkpoints, checkpointsWritten()]),
      graph('Runs the sweeper closed', [reconciled]),
    );
    this.dashboard.addWidgets(graph('Security records in the ledger', security, 24));
    for (const [i, pipeline] of props.pipelines.entries())
      this.dashboard.addWidgets(...pipelineGraphs(pipeline, pipelines[i] ?? []));
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Subscribe to this SNS topic to hear every Gantry alarm (aws sns subscribe --topic-arn …)',
      value: this.topic.topicArn,
    }).overrideLogicalId('AlarmTopicArn');
    new CfnOutput(this, 'DashboardName', {
      description: 'The CloudWatch dashboard of the control plane',
      value: this.dashboard.dashboardName,
    }).overrideLogicalId('DashboardName');
  }

  private deadLetterAlarms(props: MonitoringProps): Metric[] {
    const queues: [string, IQueue, string][] = [
      [
        'webhook',
        props.webhookDeadLetters,
        'deliveries the bus would not take (redrive: gantry dlq redrive --queue webhooks)',
      ],
      [
        'trigger',
        props.triggerDeadLetters,
        'events a rule could not deliver (a change that started no run, a deployment event, a cancelled or swept run to report), deployment events deploy-events failed on three times, or ended runs whose commit status the provider would not take three times (redrive: gantry dlq redrive --queue triggers)',
      ],
    ];
    if (props.notificationDeadLetters !== undefined)
      queues.push([
        'notification',
        props.notificationDeadLetters,
        'run events the notifier could not send after its retries (nobody was told; the ledger has the facts)',
      ]);
    return queues.map(([name, queue, what]) => {
      const metric = queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD });
      this.alarm(`${name}-dlq-not-empty`, metric, `The ${name} dead-letter queue holds ${what}.`);
      // SQS drops a message after 14 days without a trace: say so again while there is time to redrive.
      this.alarm(
        `${name}-dlq-expiring`,
        queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: PERIOD }),
        `The oldest message of the ${name} dead-letter queue is more than 10 days old; SQS deletes it at 14 days. Redrive it now.`,
        DLQ_EXPIRY_WARNING.toSeconds(),
      );
      return metric.with({ label: `${name} DLQ` });
    });
  }

  private frontDoorAlarms(props: MonitoringProps, throttled: Metric): void {
    this.alarm(
      'webhook-api-5xx',
      props.webhookApi.metricServerError({ statistic: 'Sum', period: PERIOD }),
      'The webhook API answered 5xx: providers retry some deliveries, not all.',
    );
    this.alarm(
      'webhook-api-throttled',
      throttled,
      'The webhook API stage throttled deliveries (429): raise its rate limit or find the sender.',
    );
    this.alarm(
      'webhook-receiver-errors',
      props.receiver.metricErrors({ statistic: 'Sum', period: PERIOD }),
      'The webhook receiver crashed or timed out (it answers every delivery it can, so this is a fault).',
    );
    this.alarm(
      'webhook-receiver-throttles',
      props.receiver.metricThrottles({ statistic: 'Sum', period: PERIOD }),
      'Lambda throttled the webhook receiver: deliveries were answered 5xx for want of concurrency.',
    );
  }

  private pipelineAlarms(pipeline: MonitoredPipeline): Metric[] {
    const { name, run, admission } = pipeline;
    const metrics = [
      [
        failedRunsAlarm(name),
        run.metricFailed({ period: PERIOD }),
        `A run of ${name} failed (pull requests' included): a failed build, gate, approval or deploy fails the execution too; see gantry runs show.`,
      ],
      // Pull requests failing every few minutes would hold the alarm above in ALARM, and an alarm
      // notifies only when its state changes: each environment's failed runs have their own.
      ...pipeline.environments.map(
        (environment) =>
          [
            failedRunsAlarm(name, environment),
            new Metric({
              namespace: METRICS_NAMESPACE,
              metricName: METRIC.releaseRunsFailed,
              dimensionsMap: { [DIMENSION.pipeline]: name, [DIMENSION.environment]: environment },
              statistic: 'Sum',
              period: PERIOD,
            }),
            `A run of ${name} bound for ${environment} failed (its run.failed record): a failed build, gate, approval or deploy; see gantry runs list --pipeline ${name} --status FAILED.`,
          ] as const,
      ),
      [
        `pipeline-${name}-timed-out`,
        run.metricTimedOut({ period: PERIOD }),
        `A run of ${name} hit its state machine's timeout.`,
      ],
      [
        `admission-${name}-failed`,
        admission.metricFailed({ period: PERIOD }),
        `A change to ${name} could not start its run after every retry.`,
      ],
      [
        `admission-${name}-timed-out`,
        admission.metricTimedOut({ period: PERIOD }),
        `Admission of a change to ${name} timed out: its run may not have started.`,
      ],
    ] as const;
    return metrics.map(([alarmId, metric, description]) => {
      this.alarm(alarmId, metric, description);
      return metric.with({ label: alarmId });
    });
  }

  private checkpointAlarm(props: MonitoringProps): Metric[] {
    const errors = props.checkpoints.metricErrors({ statistic: 'Sum', period: PERIOD });
    this.alarm(
      'audit-checkpoint-failed',
      errors,
      'Signing an audit checkpoint failed (error or timeout): the ledger has a gap in its signed evidence until the next one.',
    );
    return [errors.with({ label: 'checkpoint errors' })];
  }

  /** Any datapoint above zero in one period fires; no data is no trouble. */
  /**
   * Runs stuck past their end: the sweep (on the lane's keeper, every 5 minutes) closes runs
   * whose execution ended without closing them, and counts them. Any is a control-plane fault.
   */
  private sweepAlarm(): Metric {
    const metric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC.runsReconciled,
      dimensionsMap: { [DIMENSION.service]: 'wait-turn' },
      statistic: 'Sum',
      period: PERIOD,
    });
    this.alarm(
      'runs-reconciled',
      metric,
      'The sweeper closed runs whose execution had ended without closing them (stopped by hand, or failed past every Catch): see run.failed records with error Gantry.Reconciled.',
    );
    this.alarm(
      'run-ends-unsaid',
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.runEndsUnsaid,
        dimensionsMap: { [DIMENSION.service]: 'wait-turn' },
        statistic: 'Sum',
        period: PERIOD,
      }),
      "The sweeper still could not record or announce the end of a run it closed (the ledger or the bus refused, at two passes at least): its commit status says pending and the ledger lacks its run.failed. The wait-turn log's 'sweep could not finish a close' names the run and why; it retries every 5 minutes.",
    );
    return metric;
  }

  /**
   * deploy-events failed to handle a deployment's end. Lambda tries twice more, then sends the
   * event to the triggers dead-letter queue (its on-failure destination); until it is redriven a
   * run may not have resumed, or a deployment no run started may be unrecorded (and unalarmed).
   */
  private deployEventsAlarm(fn: IFunction): void {
    this.alarm(
      'deploy-events-errors',
      fn.metricErrors({ statistic: 'Sum', period: PERIOD }),
      "deploy-events failed on a CodeDeploy deployment's end (Lambda retries twice, then sends the event to the triggers dead-letter queue): a run may not have resumed, or a deployment no run started may be unrecorded until it is redriven. Read the function's log for why, then gantry dlq redrive --queue triggers.",
    );
  }

  /**
   * Someone went around the control plane: a step handed an input Gantry did not write, or a
   * deployment to a Gantry target that no run started. Each `security.*` record a function writes
   * is one `SecurityRecords` datapoint of its type (`shared/audit/security-metric.ts`). These alarms
   * are for the dashboard and for state: one in ALARM notifies nobody of the next record of its type
   * until it has cleared, so each record also reaches the topic on its own ({@link SecurityNotices}).
   */
  private securityAlarms(): Metric[] {
    return SECURITY_AUDIT_TYPES.map((type) => {
      const metric = new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.securityRecords,
        dimensionsMap: { [DIMENSION.type]: type },
        statistic: 'Sum',
        period: PERIOD,
      });
      this.alarm(
        type.replace('.', '-').replaceAll('_', '-'),
        metric,
        `The ledger has a ${type} record: ${SECURITY_MEANING[type]} See the record (gantry audit query --type ${type}) for what and why. Each record is also sent to this topic on its own (Security Record), while this alarm stays in ALARM.`,
      );
      // Labelled for the graph only: a label on the alarm's metric makes it metric math.
      return metric.with({ label: type });
    });
  }

  private alarm(name: string, metric: IMetric, description: string, threshold = 0): Alarm {
    const alarm = new Alarm(this, `Alarm-${name}`, {
      alarmName: `gantry-${name}`,
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}

/** Four days before SQS's 14-day retention drops a dead letter. */
const DLQ_EXPIRY_WARNING = Duration.days(10);

/**
 * The alarm topic: encrypted with a key of its own, because CloudWatch cannot publish to a topic
 * under the AWS-managed SNS key (its key policy does not let CloudWatch use it); TLS only.
 */
function alarmTopic(scope: Construct): Topic {
  const key = new Key(scope, 'TopicKey', {
    description: 'Gantry alarm topic',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  // CloudWatch encrypts each alarm notification with this key as it publishes.
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      // Only for this account's alarms (no confused deputy through another account's CloudWatch).
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
      },
    }),
  );
  const topic = new Topic(scope, 'Topic', {
    topicName: 'gantry-alarms',
    displayName: 'Gantry alarms',
    masterKey: key,
    enforceSSL: true,
  });
  // The topic policy replaces SNS's default one, so CloudWatch is named: only this account's alarms.
  topic.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      },
    }),
  );
  return topic;
}

/** API Gateway has no throttle metric for a REST stage: the 429s in its access logs are counted instead. */
function webhookThrottled(props: MonitoringProps): Metric {
  const filter = new MetricFilter(props.webhookAccessLogs, 'Throttled', {
    logGroup: props.webhookAccessLogs,
    // The receiver never answers 429 itself, so each one is the stage (or the account) throttling.
    filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
    metricNamespace: METRICS_NAMESPACE,
    metricName: WEBHOOK_THROTTLED_METRIC,
    metricValue: '1',
  });
  return filter.metric({ statistic: 'Sum', period: PERIOD });
}

function graph(title: string, metrics: readonly IMetric[], width = 8): GraphWidget {
  return new GraphWidget({ title, left: [...metrics], width, height: 6 });
}

/**
 * A CloudWatch SEARCH over Gantry's own metrics: one line per dimension value (per pipeline, per
 * function, per outcome), whatever the config holds. `dimensions` picks the exact dimension set;
 * `'any'` takes every set the metric is emitted with (steps add Pipeline, refusals add Reason).
 */
function search(dimensions: readonly string[] | 'any', filter: string, statistic = 'Sum'): MathExpression {
  const scope =
    dimensions === 'any' ? `Namespace="${METRICS_NAMESPACE}"` : `{${[METRICS_NAMESPACE, ...dimensions].join(',')}}`;
  return new MathExpression({
    expression: `SEARCH('${scope} ${filter}', '${statistic}', ${PERIOD.toSeconds()})`,
    usingMetrics: {},
    period: PERIOD,
  });
}

function frontDoorGraphs(props: MonitoringProps, throttled: Metric): GraphWidget[] {
  const api = props.webhookApi;
  const { service } = DIMENSION;
  return [
    graph('Webhook API', [
      api.metricCount({ statistic: 'Sum', period: PERIOD, label: 'requests' }),
      api.metricClientError({ statistic: 'Sum', period: PERIOD, label: '4xx' }),
      api.metricServerError({ statistic: 'Sum', period: PERIOD, label: '5xx' }),
      throttled.with({ label: 'throttled (429)' }),
    ]),
    graph('Deliveries by outcome', [
      search('any', `MetricName="${METRIC.deliveries}"`),
      search([service], `MetricName="${METRIC.deliveriesDeadLettered}"`),
    ]),
  ];
}

function functionGraphs(props: MonitoringProps): GraphWidget[] {
  const { outcome } = DIMENSION;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudWatch dynamic label, filled in by the console
  const dynamicName = "${PROP('Dim.FunctionName')}";
  return [
    graph('Failed invocations by function (Gantry metrics)', [
      search('any', `MetricName="${METRIC.invocations}" ${outcome}="failed"`),
    ]),
    graph(
      'Lambda errors and throttles (timeouts included)',
      props.functions.flatMap((fn) => [
        fn.metricErrors({ statistic: 'Sum', period: PERIOD, label: `errors ${dynamicName}` }),
        fn.metricThrottles({ statistic: 'Sum', period: PERIOD, label: `throttles ${dynamicName}` }),
      ]),
    ),
  ];
}

/** Checkpoint invocations by outcome: a flat line where there should be one an interval is a stopped schedule. */
function checkpointsWritten(): MathExpression {
  const { service, outcome } = DIMENSION;
  return search([service, outcome], `MetricName="${METRIC.invocations}" ${service}="audit-checkpoint"`);
}

function pipelineGraphs(pipeline: MonitoredPipeline, alarmed: readonly Metric[]): GraphWidget[] {
  const { name, run } = pipeline;
  const dimensions = [DIMENSION.service, DIMENSION.pipeline, DIMENSION.outcome];
  const ofPipeline = `${DIMENSION.pipeline}="${name}"`;
  return [
    graph(`Pipeline ${name}: executions`, [
      run.metricStarted({ period: PERIOD, label: 'started' }),
      run.metricSucceeded({ period: PERIOD, label: 'succeeded' }),
      ...alarmed,
    ]),
    graph(`Pipeline ${name}: steps by outcome`, [
      search(dimensions, `MetricName="${METRIC.invocations}" ${ofPipeline}`),
    ]),
    graph(`Pipeline ${name}: step duration (p90)`, [
      search(dimensions, `MetricName="${METRIC.duration}" ${ofPipeline}`, 'p90'),
    ]),
  ];
}
