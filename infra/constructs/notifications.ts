import { Arn, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { LambdaIntegration, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NOTIFICATION_DETAIL_TYPES, PIPELINE_EVENT_SOURCE } from '../../events';
import { NOTIFY_ENV } from '../../shared/notify/env';
import type { NotifyTarget } from '../../shared/notify/targets';
import { PIPELINE_ENV } from '../../shared/pipelines/env';
import { type NotificationsConfig, type NotificationTargetConfig, notificationSecretName } from '../config/schema';
import { type AuditWriting, grantAuditAppend } from './audit-checkpoints';
import { DeliveriesTable } from './deliveries-table';
import { GantryFunction } from './gantry-function';
import { DELIVERIES_TABLE_NAME, RUNS_TABLE_NAME } from './names';
import { pipelineArns } from './pipeline/names';
import { RunsTable } from './runs-table';

export interface NotificationsProps {
  readonly config: NotificationsConfig;
  /** The bus the run events are published on. */
  readonly bus: IEventBus;
  /** The audit ledger: Slack's Approve and Reject are recorded in it. */
  readonly audit: AuditWriting;
  /** The webhook API: Slack's request URL is `/slack/interactions` on it, when a Slack app is configured. */
  readonly webhookApi: RestApi;
}

/** SNS topics of notification targets are named, so grants and the notifier's environment can name them. */
export function notificationTopicName(target: string): string {
  return `gantry-notify-${target}`;
}

/**
 * Notifications: a rule on the bus for the run events, the notifier behind it (retries, then a
 * dead-letter queue), one secret per Slack or Teams webhook, one encrypted SNS topic per e-mail
 * target, and, with a Slack app, the route its Approve and Reject buttons call.
 */
export class Notifications extends Construct {
  readonly notifier: GantryFunction;
  readonly deadLetterQueue: Queue;
  readonly rule: Rule;
  /** Present when a Slack app is configured. */
  readonly slack?: GantryFunction;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the notifier: run events it could not deliver after retries.',
    });
    const interactive = props.config.slackApp !== undefined;
    const targets = props.config.targets.map((t) => this.targetOf(t, interactive));
    this.notifier = new GantryFunction(this, 'Notifier', {
      name: 'notify',
      description: 'Sends run events to Slack, Microsoft Teams and SNS, once each, within each target rate',
      environment: {
        [NOTIFY_ENV.targets]: JSON.stringify(targets.map((t) => t.spec)),
        [NOTIFY_ENV.table]: DELIVERIES_TABLE_NAME,
      },
      // Waits up to 20 s for a target's rate slot, then sends (10 s at most per webhook).
      timeout: Duration.seconds(60),
    });
    this.notifier.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    this.rule = new Rule(this, 'RunEvents', {
      description: 'Run events people are notified of',
      eventBus: props.bus,
      eventPattern: { source: [PIPELINE_EVENT_SOURCE], detailType: Object.values(NOTIFICATION_DETAIL_TYPES) },
    });
    this.rule.addTarget(
      new LambdaFunction(this.notifier.function, {
        retryAttempts: 8,
        maxEventAge: Duration.hours(6),
        deadLetterQueue: this.deadLetterQueue,
      }),
    );
    this.grantNotifier(targets);
    if (props.config.slackApp) this.slack = this.slackRoute(props, props.config.slackApp.signingSecretName);
  }

  /** A target's environment entry, its webhook secret or its topic created and granted below. */
  private targetOf(t: NotificationTargetConfig, interactive: boolean) {
    const base = {
      name: t.name,
      type: t.type,
      events: t.events,
      ...(t.pipelines ? { pipelines: t.pipelines } : {}),
      ...(t.environments ? { environments: t.environments } : {}),
      intervalMs: Math.ceil(1000 / t.maxPerSecond),
      interactive: t.type === 'slack' && interactive,
    };
    if (t.type === 'sns') {
      const key = this.topicKey();
      const topic = new Topic(this, `Topic-${t.name}`, {
        topicName: notificationTopicName(t.name),
        displayName: `Gantry ${t.name}`,
        masterKey: key,
        enforceSSL: true,
      });
      for (const email of t.emails) topic.addSubscription(new EmailSubscription(email));
      const topicArn = Arn.format({ service: 'sns', resource: notificationTopicName(t.name) }, Stack.of(this));
      return { spec: { ...base, topicArn } satisfies NotifyTarget, topic };
    }
    const secretId = notificationSecretName(t);
    const secret = new Secret(this, `Webhook-${t.name}`, {
      secretName: secretId,
      description: `Gantry ${t.type} notification target "${t.name}": {"webhookUrl": …} (set by an operator)`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ webhookUrl: '' }),
        generateStringKey: 'placeholder',
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The webhook URL is issued by Slack or Teams; rotating it means creating a new incoming webhook there and putting its URL here (README, Notifications).',
    });
    return { spec: { ...base, secretId } satisfies NotifyTarget, secret };
  }

  private key?: Key;

  /** One customer-managed key for every notification topic (SNS encrypts messages at rest with it). */
  private topicKey(): Key {
    this.key ??= new Key(this, 'TopicKey', {
      description: 'Gantry notification topics',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return this.key;
  }

  private grantNotifier(targets: readonly { topic?: Topic; secret?: Secret }[]): void {
    const fn = this.notifier.function;
    // Delivery keys and rate slots: items under notify#… and notify-rate#… of the deliveries table.
    DeliveriesTable.grant(fn, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], {
      leadingKeys: ['notify#*', 'notify-rate#*'],
    });
    for (const { topic, secret } of targets) {
      topic?.grantPublish(fn);
      secret?.grantRead(fn);
    }
    if (this.key) {
      Validations.of(this.notifier.role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to an encrypted SNS topic needs a data key of the topic key; granted on that key only.',
      });
    }
  }

  /** POST /slack/interactions on the webhook API: the Slack app's request URL. */
  private slackRoute(props: NotificationsProps, signingSecretName: string): GantryFunction {
    const signing = new Secret(this, 'SlackSigningSecret', {
      secretName: signingSecretName,
      description: 'Gantry Slack app signing secret: {"signingSecret": …} from the app\'s Basic Information page',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'signingSecret',
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(signing).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "Slack issues the signing secret; it is rotated in the Slack app's settings and copied here (README, Notifications).",
    });
    const slack = new GantryFunction(this, 'SlackInteractions', {
      name: 'slack-interactions',
      description: 'Approve and Reject buttons from Slack, verified by the Slack request signature',
      environment: {
        [PIPELINE_ENV.runsTable]: RUNS_TABLE_NAME,
        [PIPELINE_ENV.eventBus]: props.bus.eventBusName,
        [NOTIFY_ENV.slackSigningSecret]: signingSecretName,
      },
    });
    const fn = slack.function;
    grantAuditAppend(slack, props.audit);
    signing.grantRead(fn);
    RunsTable.grantWrites(fn, ['approval', 'stages']);
    fn.addToRolePolicy(
      new PolicyStatement({
        // DescribeStateMachine: who may approve is read from the pipeline as deployed now.
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:DescribeStateMachine'],
        resources: [pipelineArns(this).stateMachines],
      }),
    );
    Validations.of(slack.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:gantry-pipeline-*]',
      reason:
        'A decision from Slack answers the waiting approval task of a run of any pipeline, reading who may decide from its deployed definition; all are named gantry-pipeline-*.',
    });
    const method = props.webhookApi.root
      .addResource('slack')
      .addResource('interactions')
      .addMethod('POST', new LambdaIntegration(fn, { proxy: true }));
    const reason =
      'Slack cannot sign requests with SigV4 or present Cognito tokens; every request is authenticated by its Slack signature (HMAC-SHA256 with the signing secret, 5-minute window) before anything is read.';
    Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
    Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
    return slack;
  }
}
