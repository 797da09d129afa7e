import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type PROVIDERS, SOURCE_EVENT_SOURCE } from '../../events';
import type { Connection } from '../../shared/webhooks/connections';
import { DELIVERY_KEY_PATTERNS } from '../../shared/webhooks/delivery-keys';
import { DEFAULT_MAX_BODY_BYTES, RECEIVER_ENV } from '../../shared/webhooks/env';
import { type AuditWriting, grantAuditAppend } from './audit-checkpoints';
import { grantPutEventsFrom } from './bus-grants';
import type { ConnectionSecrets } from './connection-secrets';
import { DeliveriesTable } from './deliveries-table';
import { GantryFunction } from './gantry-function';
import { DELIVERIES_TABLE_NAME } from './names';

export interface WebhookIngressProps {
  /** The bus SourceEvents are published on. */
  readonly bus: IEventBus;
  readonly connections: ConnectionSecrets;
  /** The audit ledger: every function this construct creates appends to it. */
  readonly audit: AuditWriting;
  /** Repositories per connection name, from the pipeline config. */
  readonly repositories: Readonly<Record<string, readonly string[]>>;
  /** Steady-state requests per second the stage accepts. @default 50 */
  readonly throttlingRateLimit?: number;
  /** @default 100 */
  readonly throttlingBurstLimit?: number;
  /** Larger bodies get 413. @default 512 KiB */
  readonly maxBodyBytes?: number;
}

/**
 * The webhook front door: `POST /webhooks/{provider}` on a regional REST API, the receiver
 * function behind it, and the dead-letter queue for deliveries the bus would not take.
 */
export class WebhookIngress extends Construct {
  readonly api: RestApi;
  readonly receiver: GantryFunction;
  readonly deadLetterQueue: Queue;
  /** The stage's JSON access logs: every request, the ones the stage throttled (429) included. */
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: WebhookIngressProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the webhook receiver; its messages are redriven by an operator.',
    });
    this.receiver = new GantryFunction(this, 'Receiver', {
      name: 'webhook-receiver',
      description: 'Verifies, deduplicates, normalizes and publishes Git provider webhook deliveries',
      environment: {
        [RECEIVER_ENV.deliveriesTable]: DELIVERIES_TABLE_NAME,
        [RECEIVER_ENV.eventBus]: props.bus.eventBusName,
        [RECEIVER_ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        [RECEIVER_ENV.connections]: JSON.stringify(connectionsEnv(props)),
        [RECEIVER_ENV.maxBodyBytes]: String(props.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
      },
    });
    this.grantReceiver(props);
    grantAuditAppend(this.receiver, props.audit);
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = this.restApi(props, this.accessLogs);
  }

  /** The URL a provider's webhook is configured with. */
  urlFor(provider: (typeof PROVIDERS)[number]): string {
    return this.api.urlForPath(`/webhooks/${provider}`);
  }

  private grantReceiver(props: WebhookIngressProps): void {
    const fn = this.receiver.function;
    // Delivery ids and signed content are remembered for deduplication in the deliveries table:
    // those items only, never the notifier's or the operator API's used proofs.
    DeliveriesTable.grantReadWriteItems(fn, { leadingKeys: DELIVERY_KEY_PATTERNS });
    grantPutEventsFrom(props.bus, fn, SOURCE_EVENT_SOURCE);
    this.deadLetterQueue.grantSendMessages(fn);
    props.connections.grantRead(fn);
  }

  private restApi(props: WebhookIngressProps, accessLogs: LogGroup): RestApi {
    const api = new RestApi(this, 'Api', {
      restApiName: 'gantry-webhooks',
      description: 'Gantry webhook front door',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Every body is binary to API Gateway, so the receiver gets the exact bytes the provider signed.
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: 'v1',
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
        throttlingRateLimit: props.throttlingRateLimit ?? 50,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
        tracingEnabled: true,
        metricsEnabled: true,
        // Errors only, and never request or response bodies: deliveries may carry tokens.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
      },
    });
    const validator = new RequestValidator(this, 'PathValidator', {
      restApi: api,
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    api.root
      .addResource('webhooks')
      .addResource('{provider}')
      .addMethod('POST', new LambdaIntegration(this.receiver.function, { proxy: true }), {
        requestValidator: validator,
        requestParameters: { 'method.request.path.provider': true },
      });
    acknowledgeWebhookAuth(api);
    return api;
  }
}

function connectionsEnv(props: WebhookIngressProps): Connection[] {
  return props.connections.connections.map((c) => ({
    name: c.name,
    provider: c.provider,
    secretId: c.secretName,
    repositories: [...(props.repositories[c.name] ?? [])],
  }));
}

function acknowledgeWebhookAuth(api: RestApi): void {
  const reason =
    'Git providers cannot sign requests with SigV4 or present Cognito tokens; every delivery is authenticated by its HMAC signature or token in the receiver before anything is read.';
  Validations.of(api).acknowledge({ id: 'AwsSolutions-APIG4', reason });
  Validations.of(api).acknowledge({ id: 'AwsSolutions-COG4', reason });
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-APIG2',
    reason:
      'The path parameter is validated by a request validator; bodies are opaque signed bytes that API Gateway models cannot describe, verified and parsed by the receiver.',
  });
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-APIG3',
    reason:
      'Stage throttling bounds the load and the receiver rejects unsigned deliveries at once; a WAF web ACL can be associated per account.',
  });
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason: "API Gateway's account-level logging role needs this AWS managed policy; it grants log writes only.",
  });
}
