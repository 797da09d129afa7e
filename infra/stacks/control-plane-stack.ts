import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { PIPELINE_EVENT_SOURCE } from '../../events';
import type { StatusApis } from '../../shared/pipelines/env';
import { pipelineDefinition } from '../config/definitions';
import { connectionApiUrl, type GantryConfig } from '../config/schema';
import { AuditCheckpoints } from '../constructs/audit-checkpoints';
import { grantPutEventsFrom } from '../constructs/bus-grants';
import { buildLogsOf, GantryConsole } from '../constructs/console';
import { CrossAccountDeployments, TargetAccounts } from '../constructs/cross-account';
import { Deployments, type NamedTarget } from '../constructs/deployments';
import { Monitoring } from '../constructs/monitoring';
import { artifactsBucketName, EVENT_BUS_NAME, SIGNING_STEPS, signerRoleName } from '../constructs/names';
import { Notifications } from '../constructs/notifications';
import { OperatorApi } from '../constructs/operator-api';
import { Pipeline } from '../constructs/pipeline/pipeline';
import { PipelineSteps } from '../constructs/pipeline/steps';
import { grantAnnounceSecurityRecords } from '../constructs/security-notices';
import { WebhookIngress } from '../constructs/webhook-ingress';
import type { GantryDataStack } from './data-stack';

export interface GantryControlPlaneStackProps extends StackProps {
  readonly config: GantryConfig;
  readonly data: GantryDataStack;
  /** @default 'gantry' */
  readonly eventBusName?: string;
}

/** The stateless half: the bus, the webhook front door, the pipelines and the operator API. */
export class GantryControlPlaneStack extends Stack {
  readonly bus: EventBus;
  readonly ingress: WebhookIngress;
  readonly pipelines: Pipeline[];
  readonly operators: OperatorApi;
  readonly checkpoints: AuditCheckpoints;
  readonly monitoring: Monitoring;
  /** Present when some environment has a deploy target. */
  readonly deployments?: Deployments;
  /** Present when the config has a notifications section. */
  readonly notifications?: Notifications;
  /** Present when the config has a console section (the web console in AWS). */
  readonly console?: GantryConsole;
  /** Present when some deploy target is in another account. */
  readonly crossAccount?: CrossAccountDeployments;

  constructor(scope: Construct, id: string, props: GantryControlPlaneStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    this.bus = new EventBus(this, 'Bus', { eventBusName: props.eventBusName ?? EVENT_BUS_NAME });
    const auditKeys = { tableKey: data.audit.tableKey, signingKey: data.audit.signingKey };
    // Every function appends to the ledger, granted by the construct that creates it.
    const audit = { keys: auditKeys, config: config.audit };
    this.ingress = new WebhookIngress(this, 'WebhookIngress', {
      audit,
      bus: this.bus,
      connections: data.connections,
      repositories: repositoriesByConnection(config),
    });
    const artifacts = Bucket.fromBucketName(this, 'Artifacts', artifactsBucketName());
    const targets = deployTargets(config);
    const foreign = targets.filter((t) => t.target.account !== null);
    const targetAccounts =
      foreign.length > 0 && config.controlPlane ? new TargetAccounts(config.controlPlane, foreign) : undefined;
    const triggerDeadLetters = new Queue(this, 'TriggerDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(triggerDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: of the pipeline trigger rules, the deployment-event and ended-run rules, and the asynchronous invocations of deploy-events and report-status.',
    });
    const steps = new PipelineSteps(this, 'PipelineSteps', {
      bus: this.bus,
      artifactsKey: data.artifacts.key,
      provenanceKey: data.artifacts.provenanceKey,
      connections: data.connections,
      statusApis: statusApis(config),
      sourceConnections: [...new Set(config.pipelines.map((p) => p.source.connection))],
      deployTargets: targets,
      ...(targetAccounts ? { targetAccounts } : {}),
      audit,
      publishesRunEvents: config.notifications !== undefined,
      deadLetters: triggerDeadLetters,
    });
    this.pipelines = config.pipelines.map(
      (pipeline) =>
        new Pipeline(this, `Pipeline-${pipeline.name}`, {
          config: pipeline,
          definition: pipelineDefinition(config, pipeline),
          steps: steps.functions,
          bus: this.bus,
          artifacts,
          artifactsKey: data.artifacts.key,
          triggerDeadLetters,
        }),
    );
    if (targets.length > 0) {
      this.deployments = new Deployments(this, 'Deployments', {
        targets,
        eventBusName: this.bus.eventBusName,
        deadLetters: triggerDeadLetters,
        ...(targetAccounts ? { accounts: targetAccounts } : {}),
        audit,
        ...(config.notifications ? { runEvents: this.bus } : {}),
      });
    }
    this.operators = new OperatorApi(this, 'OperatorApi', {
      audit,
      eventBusName: this.bus.eventBusName,
      // A cancel stops a deployment in this account with these grants; in another, as its stop role.
      targets: targets.filter((t) => t.target.account === null).map((t) => t.target),
      ...(targetAccounts ? { targetAccounts } : {}),
      // The console relays its people's ID tokens; the function verifies them against the same issuer.
      ...(config.console ? { console: config.console } : {}),
      // Custom domains in front of the API: proofs signed for them are accepted too.
      ...(config.operatorApi ? { otherUrls: config.operatorApi.urls } : {}),
    });
    // A cancel that stops a deployment announces its rollback (Deployment Rolled Back), as deploy-events would.
    grantPutEventsFrom(this.bus, this.operators.handler.function, PIPELINE_EVENT_SOURCE);
    if (config.notifications) {
      this.notifications = new Notifications(this, 'Notifications', {
        config: config.notifications,
        bus: this.bus,
        audit,
        webhookApi: this.ingress.api,
      });
    }
    if (config.console) {
      const { console, approvers } = config;
      const consoleProps = { config: console, approvers, eventBusName: this.bus.eventBusName };
      this.console = new GantryConsole(this, 'Console', {
        ...consoleProps,
        operators: this.operators,
        buildLogs: buildLogsOf(this.pipelines),
        audit,
      });
      new CfnOutput(this, 'ConsoleUrl', { description: 'The web console (OIDC sign-in)', value: this.console.url });
    }
    if (this.deployments && targetAccounts) {
      this.crossAccount = new CrossAccountDeployments(this, 'CrossAccount', {
        accounts: targetAccounts,
        bus: this.bus,
        events: this.deployments.events,
        deadLetters: triggerDeadLetters,
      });
    }
    this.checkpoints = new AuditCheckpoints(this, 'AuditCheckpoints', { keys: auditKeys, config: config.audit });
    // The functions whose errors and durations the dashboard and alarms watch: every ledger writer, and more.
    const writers = [
      this.ingress.receiver,
      ...Object.values(steps.functions),
      this.operators.handler,
      ...(this.deployments ? [this.deployments.events] : []),
      ...(this.notifications?.slack ? [this.notifications.slack] : []),
      ...(this.console ? [this.console.handler] : []),
    ];
    // The functions that may write a security.* record (pipeline deps) announce each on the bus.
    for (const fn of [...Object.values(steps.functions), ...(this.deployments ? [this.deployments.events] : [])])
      grantAnnounceSecurityRecords(fn, this.bus);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      webhookApi: this.ingress.api,
      webhookAccessLogs: this.ingress.accessLogs,
      receiver: this.ingress.receiver.function,
      webhookDeadLetters: this.ingress.deadLetterQueue,
      triggerDeadLetters,
      ...(this.notifications ? { notificationDeadLetters: this.notifications.deadLetterQueue } : {}),
      pipelines: config.pipelines.flatMap(({ name, environments }, i) => {
        const pipeline = this.pipelines[i];
        return pipeline
          ? [
              {
                name,
                run: pipeline.stateMachine,
                admission: pipeline.admission,
                environments: environments.map((e) => e.name),
              },
            ]
          : [];
      }),
      checkpoints: this.checkpoints.handler.function,
      ...(this.deployments ? { deployEvents: this.deployments.events.function } : {}),
      functions: [
        ...writers,
        this.checkpoints.handler,
        ...(this.notifications ? [this.notifications.notifier] : []),
      ].map((w) => w.function),
      bus: this.bus,
      signers: {
        keys: [data.artifacts.provenanceKey, data.audit.signingKey],
        roleNames: SIGNING_STEPS.map(signerRoleName),
        functions: [steps.functions.recordProvenance.function, this.checkpoints.handler.function],
        verifiers: [steps.functions.deployRelease.function],
      },
    });
    this.addStackDependency(data, 'tables and the artifacts bucket are referenced by name');
    const account = this.ingress.api.node.tryFindChild('Account');
    if (account) this.operators.api.deploymentStage.node.addDependency(account);
    new CfnOutput(this, 'WebhookBaseUrl', {
      description: 'Point each provider webhook at <this URL>/<provider>, e.g. …/webhooks/github',
      value: this.ingress.api.urlForPath('/webhooks'),
    });
    new CfnOutput(this, 'AuditCheckpointFunction', {
      description: 'Signs the audit chain heads: gantry audit checkpoint invokes it (only its role may sign)',
      value: this.checkpoints.handler.function.functionName,
    });
    new CfnOutput(this, 'OperatorApiUrl', {
      description: 'The gantry CLI sends approvals here (IAM-signed)',
      value: this.operators.api.url,
    });
  }
}

/** Every environment's deploy target, resolved as the pipelines' state machines carry them. */
function deployTargets(config: GantryConfig): NamedTarget[] {
  return config.pipelines.flatMap((pipeline) =>
    pipelineDefinition(config, pipeline).environments.flatMap((env) =>
      env.deploy
        ? [{ pipeline: pipeline.name, environment: env.name, target: env.deploy, gated: env.approval.required }]
        : [],
    ),
  );
}

function repositoriesByConnection(config: GantryConfig): Record<string, string[]> {
  const byConnection: Record<string, string[]> = {};
  for (const { source } of config.pipelines) {
    const list = byConnection[source.connection] ?? [];
    if (!list.includes(source.repository)) list.push(source.repository);
    byConnection[source.connection] = list;
  }
  return byConnection;
}

function statusApis(config: GantryConfig): StatusApis {
  return Object.fromEntries(
    config.connections.map((c) => [c.name, { provider: c.provider, apiUrl: connectionApiUrl(c) }]),
  );
}
