import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type ILogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import type { Approvers } from '../../events';
import { CONSOLE_ASSET_FILES } from '../../shared/console/assets';
import { CONSOLE_ENV } from '../../shared/console/env';
import { PIPELINE_ENV } from '../../shared/pipelines/env';
import type { ConsoleConfig } from '../config/schema';
import { type AuditWriting, grantAuditAppend, grantAuditRead, grantCheckpointReads } from './audit-checkpoints';
import { GantryFunction } from './gantry-function';
import { RUNS_TABLE_NAME } from './names';
import type { OperatorApi } from './operator-api';
import { pipelineArns } from './pipeline/names';
import { RunsTable } from './runs-table';

export interface ConsoleProps {
  readonly config: ConsoleConfig;
  /** Who the claim values name (`approvers.identities.<name>.oidc`). */
  readonly approvers: Approvers;
  readonly eventBusName: string;
  /** The function that acts for the console's people, verifying their tokens itself. */
  readonly operators: OperatorApi;
  /** The build log groups whose logs the run pages show. */
  readonly buildLogs: readonly ILogGroup[];
  /** The audit ledger: the console records refusals in it, and its Audit page searches and verifies it. */
  readonly audit: AuditWriting;
}

/** The routes that serve only the HTML shell and its assets: public, they hold nothing. */
export const CONSOLE_PUBLIC_ROUTES = [
  '/console',
  '/console/runs/{proxy+}',
  '/console/audit',
  '/console/metrics',
  '/console/callback',
  '/console/static/{proxy+}',
] as const;
/** Environment variables above this many characters would crowd Lambda's 4 KB limit. */
const MAX_PEOPLE_JSON = 2500;

/**
 * The web console in AWS: one function serving the console's hono app behind an HTTP API whose
 * JWT authorizer trusts the configured OIDC issuer on every `/console/api/*` route. The function
 * verifies each token again to show pages; to act, it invokes the operator API's function with
 * the token, which verifies it once more and alone holds the grants that act (answering a waiting
 * step among them). The console reads; it never answers a task nor reads an execution's history.
 */
export class GantryConsole extends Construct {
  readonly api: HttpApi;
  readonly handler: GantryFunction;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    this.handler = new GantryFunction(this, 'Handler', {
      name: 'console',
      description: 'The Gantry web console (OIDC sign-in)',
      memorySize: 1024,
      timeout: Duration.seconds(29),
      files: CONSOLE_ASSET_FILES,
      environment: {
        [PIPELINE_ENV.runsTable]: RUNS_TABLE_NAME,
        [PIPELINE_ENV.eventBus]: props.eventBusName,
        [CONSOLE_ENV.oidc]: JSON.stringify(props.config),
        [CONSOLE_ENV.people]: peopleJson(props.approvers),
        [CONSOLE_ENV.operatorFunction]: props.operators.handler.function.functionName,
      },
    });
    this.grantReads(props.buildLogs);
    // The function itself, unqualified: no version or alias of it (grantInvoke would add `:*`).
    this.handler.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [props.operators.handler.function.functionArn],
      }),
    );
    this.api = this.httpApi(props.config);
    grantAuditAppend(this.handler, props.audit);
    // The Audit page verifies the ledger as `gantry audit verify` does, signed checkpoints included.
    grantAuditRead(this.handler, props.audit.keys);
    grantCheckpointReads(this.handler, props.audit.keys);
  }

  /** The console's own reads: runs, the pipelines' definitions and build logs (the ledger: grantAuditRead, below). */
  private grantReads(buildLogs: readonly ILogGroup[]): void {
    const fn = this.handler.function;
    const arns = pipelineArns(this);
    RunsTable.grant(fn, ['dynamodb:GetItem', 'dynamodb:Query']);
    // The graph: the definition a run's execution runs, coloured from the run record (no history: it holds task tokens).
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['states:DescribeStateMachineForExecution'], resources: [arns.executions] }),
    );
    // Which actions to show: who may act, read from the pipeline as deployed now.
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['states:DescribeStateMachine'], resources: [arns.stateMachines] }),
    );
    for (const group of buildLogs) group.grant(fn, 'logs:GetLogEvents', 'logs:FilterLogEvents');
    const role = this.handler.role;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:gantry-pipeline-*:*]',
      reason:
        'A run page reads the definition its execution runs (DescribeStateMachineForExecution only), for a run of any pipeline; all pipeline state machines are named gantry-pipeline-*.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:gantry-pipeline-*]',
      reason:
        'A run page reads who may act from its pipeline as deployed (DescribeStateMachine only), for any pipeline; all are named gantry-pipeline-*.',
    });
  }

  private httpApi(config: ConsoleConfig): HttpApi {
    const api = new HttpApi(this, 'Api', {
      apiName: 'gantry-console',
      description: 'The Gantry web console; its API is JWT-authorized by the configured OIDC issuer',
      createDefaultStage: false,
    });
    new HttpStage(this, 'Stage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.throttle.rate, burstLimit: config.throttle.burst },
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('Console', this.handler.function);
    const authorizer: IHttpRouteAuthorizer = new HttpJwtAuthorizer('Jwt', config.issuer, {
      jwtAudience: [config.audience],
      identitySource: ['$request.header.Authorization'],
    });
    api.addRoutes({ path: '/console/api/{proxy+}', methods: [HttpMethod.ANY], integration, authorizer });
    for (const path of CONSOLE_PUBLIC_ROUTES) api.addRoutes({ path, methods: [HttpMethod.GET], integration });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Only the HTML shell, the sign-in callback page and the static browser modules are public (they hold no data and no secret); every /console/api route has the JWT authorizer.',
    });
    return api;
  }

  /** The console's address (the sign-in's redirect URI is this plus `/callback`). */
  get url(): string {
    return `${this.api.apiEndpoint}/console`;
  }
}

/** The build log groups of the pipelines (trusted and untrusted builds). */
export function buildLogsOf(pipelines: readonly IConstruct[]): ILogGroup[] {
  return pipelines.flatMap((p) =>
    ['BuildLogs', 'UntrustedBuildLogs'].flatMap((id) => {
      const child = p.node.tryFindChild(id);
      return child instanceof LogGroup ? [child] : [];
    }),
  );
}

/** Claim value → identity name; each value names one person (the config refuses duplicates). */
function peopleJson(approvers: Approvers): string {
  const people: Record<string, string> = {};
  for (const [name, identity] of Object.entries(approvers.identities))
    for (const value of identity.oidc ?? []) people[value] = name;
  const json = JSON.stringify(people);
  if (json.length > MAX_PEOPLE_JSON)
    throw new Error(
      `approvers.identities list ${json.length} characters of oidc values; the console takes at most ${MAX_PEOPLE_JSON} (Lambda's environment limit)`,
    );
  return json;
}
