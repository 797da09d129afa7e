import { RemovalPolicy, Validations } from 'aws-cdk-lib';
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
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PIPELINE_ENV } from '../../shared/pipelines/env';
import { GantryFunction } from './gantry-function';
import { RUNS_TABLE_NAME, tableArn } from './names';
import { pipelineArns } from './pipeline/names';

export interface OperatorApiProps {
  readonly eventBusName: string;
}

/**
 * The operators' API: `POST /runs/{runId}/decision`, IAM-authorized, so an approval is
 * attributed to the caller's IAM principal, never to a name the caller typed.
 */
export class OperatorApi extends Construct {
  readonly api: RestApi;
  readonly handler: GantryFunction;

  constructor(scope: Construct, id: string, props: OperatorApiProps) {
    super(scope, id);
    this.handler = new GantryFunction(this, 'Handler', {
      name: 'operator-api',
      description: 'Approval decisions from IAM-authenticated operators',
      environment: { [PIPELINE_ENV.runsTable]: RUNS_TABLE_NAME, [PIPELINE_ENV.eventBus]: props.eventBusName },
    });
    this.handler.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [tableArn(this, RUNS_TABLE_NAME)],
      }),
    );
    const arns = pipelineArns(this);
    this.handler.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: [arns.stateMachines],
      }),
    );
    Validations.of(this.handler.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:gantry-pipeline-*]',
      reason:
        'A decision answers the waiting task of any pipeline; all pipeline state machines are named gantry-pipeline-*.',
    });
    this.api = this.restApi();
  }

  private restApi(): RestApi {
    const api = new RestApi(this, 'Api', {
      restApiName: 'gantry-operators',
      description: 'Gantry operator actions (approvals), IAM-authorized',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'v1',
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
    api.root
      .addResource('runs')
      .addResource('{runId}')
      .addResource('decision')
      .addMethod('POST', new LambdaIntegration(this.handler.function, { proxy: true }), {
        authorizationType: AuthorizationType.IAM,
        requestValidator: validator,
        requestModels: { 'application/json': model },
        requestParameters: { 'method.request.path.runId': true },
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
