import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Model,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeployTarget } from '../../events';
import { CONSOLE_ENV } from '../../shared/console/env';
import { OPERATOR_ENV, USED_PROOF_PREFIX } from '../../shared/operators/env';
import { PIPELINE_ENV } from '../../shared/pipelines/env';
import type { ConsoleConfig } from '../config/schema';
import { type AuditWriting, grantAuditAppend } from './audit-checkpoints';
import type { TargetAccounts } from './cross-account';
import { DeliveriesTable } from './deliveries-table';
import { targetArns } from './deployments';
import { GantryFunction } from './gantry-function';
import { DELIVERIES_TABLE_NAME, RUNS_TABLE_NAME } from './names';
import { pipelineArns } from './pipeline/names';
import { RunsTable } from './runs-table';

/** The operator API's one stage: its URL ends in `/v1/`. */
const OPERATOR_STAGE = 'v1';

export interface OperatorApiProps {
  readonly eventBusName: string;
  /** The deploy targets whose deployments a cancel may stop. */
  readonly targets: readonly DeployTarget[];
  /** The accounts targets outside the control plane's live in, where a cancel stops a deployment as their stop role. @default none */
  readonly targetAccounts?: TargetAccounts;
  /** The web console's OIDC issuer, whose ID tokens the console relays: the function verifies them itself. @default no console */
  readonly console?: ConsoleConfig;
  /** The audit ledger: every function this construct creates appends to it. */
  readonly audit: AuditWriting;
  /** Other base URLs callers reach the API by (custom domains), whose caller proofs it accepts too. @default none */
  readonly otherUrls?: readonly string[];
}

/**
 * The operators' API: `POST /runs/{runId}/decision|cancel|retry`, `POST /rollbacks`, and the
 * reads `GET /runs`, `GET /runs/{runId}`, IAM-authorized; the function also verifies each
 * caller's STS proof, so an action is attributed to the caller's IAM principal, never to a name
 * the caller typed or an event someone invoked the function with. Only the web console's role
 * (with a `console:` block) may invoke it directly, relaying its people's ID tokens, which the
 * function verifies itself against the configured issuer.
 */
export class OperatorApi extends Construct {
  readonly api: RestApi;
  readonly handler: GantryFunction;

  constructor(scope: Construct, id: string, props: OperatorApiProps) {
    super(scope, id);
    this.handler = new GantryFunction(this, 'Handler', {
      name: 'operator-api',
      description: 'Approval decisions from IAM-authenticated operators',
      environment: {
        [PIPELINE_ENV.runsTable]: RUNS_TABLE_NAME,
        [PIPELINE_ENV.eventBus]: props.eventBusName,
        [OPERATOR_ENV.usedProofsTable]: DELIVERIES_TABLE_NAME,
        ...(props.console ? { [CONSOLE_ENV.oidc]: JSON.stringify(props.console) } : {}),
      },
    });
    // Decisions, cancels (which hand the lane on) and stops, and the runs a retry or a rollback starts.
    RunsTable.grantWrites(this.handler.function, ['approval', 'stages', 'status', 'deployment', 'lane'], {
      create: true,
    });
    RunsTable.grant(this.handler.function, ['dynamodb:Query']);
    // Each caller proof it accepts is used up (a conditional put, read back when its answer was lost): proof# items only.
    DeliveriesTable.grant(this.handler.function, ['dynamodb:PutItem', 'dynamodb:GetItem'], {
      leadingKeys: [`${USED_PROOF_PREFIX}*`],
    });
    grantOperatorActions(this.handler.function, props.targets);
    props.targetAccounts?.grantAssumeTargetRoles(this.handler, 'operator-api');
    Validations.of(this.handler.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:gantry-pipeline-*:*]',
      reason:
        'A cancel stops the execution of a run of any pipeline; all pipeline state machines are named gantry-pipeline-*.',
    });
    Validations.of(this.handler.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:gantry-pipeline-*]',
      reason:
        'A decision answers the waiting task of any pipeline, reading who may decide from its deployed definition, and a rollback starts a run of any pipeline; all are named gantry-pipeline-*.',
    });
    this.api = this.restApi();
    // The URL callers sign their proofs for, built from the API's id (not its Stage, which depends
    // on the methods, which depend on this function): a proof meant for another API is refused.
    const stack = Stack.of(this);
    this.handler.function.addEnvironment(
      OPERATOR_ENV.audience,
      `https://${this.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${OPERATOR_STAGE}/`,
    );
    if ((props.otherUrls ?? []).length > 0)
      this.handler.function.addEnvironment(OPERATOR_ENV.otherAudiences, JSON.stringify(props.otherUrls));
    grantAuditAppend(this.handler, props.audit);
  }

  private restApi(): RestApi {
    const api = new RestApi(this, 'Api', {
      restApiName: 'gantry-operators',
      description: 'Gantry operator actions (approvals), IAM-authorized',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      cloudWatchRole: false,
      deployOptions: {
        stageName: OPERATOR_STAGE,
        accessLogDestination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY }),
        ),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: 10,
        throttlingBurstLimit: 20,
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
      },
    });
    const model = new Model(this, 'DecisionModel', {
      restApi: api,
      contentType: 'application/json',
      schema: {
        type: JsonSchemaType.OBJECT,
        required: ['decision', 'reason'],
        properties: {
          decision: { type: JsonSchemaType.STRING, enum: ['approve', 'reject'] },
          reason: { type: JsonSchemaType.STRING, minLength: 1, maxLength: 2000 },
        },
      },
    });
    const validator = new RequestValidator(this, 'Validator', {
      restApi: api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new LambdaIntegration(this.handler.function, { proxy: true });
    const runs = api.root.addResource('runs');
    // Reads for `gantry runs list|show`: public runs (no task tokens), so operators need only execute-api:Invoke.
    runs.addMethod('GET', integration, {
      authorizationType: AuthorizationType.IAM,
      requestValidator: validator,
      requestParameters: Object.fromEntries(
        ['pipeline', 'status', 'repository', 'limit'].map((q) => [`method.request.querystring.${q}`, false]),
      ),
    });
    const run = runs.addResource('{runId}');
    run.addMethod('GET', integration, {
      authorizationType: AuthorizationType.IAM,
      requestValidator: validator,
      requestParameters: { 'method.request.path.runId': true },
    });
    run.addResource('decision').addMethod('POST', integration, {
      authorizationType: AuthorizationType.IAM,
      requestValidator: validator,
      requestModels: { 'application/json': model },
      requestParameters: { 'method.request.path.runId': true },
    });
    const reasoned = (name: string, properties: Record<string, { type: JsonSchemaType; minLength?: number }>) =>
      new Model(this, `${name}Model`, {
        restApi: api,
        contentType: 'application/json',
        schema: {
          type: JsonSchemaType.OBJECT,
          required: ['reason'],
          properties: { ...properties, reason: { type: JsonSchemaType.STRING, minLength: 1, maxLength: 2000 } },
        },
      });
    run.addResource('cancel').addMethod('POST', integration, {
      authorizationType: AuthorizationType.IAM,
      requestValidator: validator,
      requestModels: { 'application/json': reasoned('Cancel', {}) },
      requestParameters: { 'method.request.path.runId': true },
    });
    run.addResource('retry').addMethod('POST', integration, {
      authorizationType: AuthorizationType.IAM,
      requestValidator: validator,
      requestModels: { 'application/json': reasoned('Retry', {}) },
      requestParameters: { 'method.request.path.runId': true },
    });
    const name = { type: JsonSchemaType.STRING, minLength: 1 };
    api.root.addResource('rollbacks').addMethod('POST', integration, {
      authorizationType: AuthorizationType.IAM,
      requestValidator: validator,
      requestModels: {
        'application/json': reasoned('Rollback', { runId: name, environment: name, pipeline: name }),
      },
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Operators authenticate with IAM (SigV4); the approver is their IAM principal.',
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'IAM authorization and low stage throttling bound the load; a WAF web ACL can be associated per account.',
    });
    return api;
  }
}

/**
 * What the operator use cases need to act, besides the runs table: answer a waiting task and
 * start a rollback's run (reading who may act from the deployed definition), stop an execution,
 * and stop a release's deployment. Only the operator API's function holds them: the console (in
 * AWS) acts by invoking it.
 */
export function grantOperatorActions(
  grantee: IGrantable & { addToRolePolicy(statement: PolicyStatement): void } & Construct,
  targets: readonly DeployTarget[],
): void {
  const arns = pipelineArns(grantee);
  grantee.addToRolePolicy(
    new PolicyStatement({
      // DescribeStateMachine: who may approve or operate is read from the pipeline as deployed now.
      actions: [
        'states:SendTaskSuccess',
        'states:SendTaskFailure',
        'states:StartExecution',
        'states:DescribeStateMachine',
      ],
      resources: [arns.stateMachines],
    }),
  );
  grantee.addToRolePolicy(new PolicyStatement({ actions: ['states:StopExecution'], resources: [arns.executions] }));
  if (targets.length > 0)
    grantee.addToRolePolicy(
      new PolicyStatement({
        actions: ['codedeploy:StopDeployment', 'codedeploy:GetDeployment'],
        resources: targetArns(grantee, targets).groups,
      }),
    );
}
