import { join } from 'node:path';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/function-metadata';
import { PROJECT_ROOT } from '../../infra/paths';
import { OPERATOR_ENV } from '../../shared/operators/env';
import { TRUST_TAG } from '../../shared/pipelines/artifact-layout';
import type { AlarmSpec } from '../cloudwatch/types';
import type { ProjectSpec } from '../codebuild/types';
import type { CodeDeployInventory } from '../codedeploy/types';
import type { KmsKeySpec } from '../kms/service';
import type { ServiceSpec } from '../lambda-api/types';
import { alarmSpecs, codeDeploySpecs, serviceFolderOf, serviceSpecs } from './deploy-inventory';
import type { TemplateResolver } from './resolver';
import { TemplateError } from './types';

export interface FunctionSpec {
  readonly name: string;
  /** The function's folder under `functions/`: a short label for logs. */
  readonly label: string;
  readonly arn: string;
  /** The TypeScript module local mode runs: `functions/<folder>/handler.ts`. */
  readonly entry: string;
  readonly handlerExport: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Its asynchronous invocations' event invoke config (`AWS::Lambda::EventInvokeConfig` of `$LATEST`), if it has one. */
  readonly asyncInvoke?: AsyncInvokeSpec;
}

/** How Lambda retries a function's asynchronous invocations, and where it sends those that fail. */
export interface AsyncInvokeSpec {
  /** 0-2: attempts after the first. */
  readonly maximumRetryAttempts: number;
  /** The on-failure destination's ARN (an SQS queue here). */
  readonly onFailure?: string;
}

export interface TableSpec {
  readonly name: string;
  /** Point-in-time recovery is on: DynamoDB exports only such a table to S3. */
  readonly pointInTimeRecovery: boolean;
  /** The CreateTable input, from the template's key schema and indexes. */
  readonly create: Readonly<Record<string, unknown>>;
}

export interface QueueSpec {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly fifo: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  readonly deadLetter?: { readonly targetName: string; readonly maxReceiveCount: number };
}

export interface RuleTargetSpec {
  readonly id: string;
  readonly arn: string;
  /** The role EventBridge acts with for this target (another account's bus needs one). */
  readonly roleArn?: string;
  readonly input?: string;
  readonly inputPath?: string;
  readonly inputTransformer?: { readonly InputPathsMap?: Record<string, string>; readonly InputTemplate: string };
  readonly deadLetterArn?: string;
  readonly maximumRetryAttempts?: number;
}

export interface RuleSpec {
  readonly name: string;
  readonly arn: string;
  readonly busName: string;
  readonly pattern: unknown;
  /** A scheduled rule (`rate(…)`): how often it fires, in ms; it has no pattern. */
  readonly everyMs?: number;
  readonly scheduleExpression?: string;
  readonly enabled: boolean;
  readonly targets: readonly RuleTargetSpec[];
}

const RATE_UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** `rate(5 minutes)` → ms; cron() schedules are refused with a clear message. */
export function rateMs(expression: string, where: string): number {
  const m = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression.trim());
  const unit = m?.[2] ? RATE_UNITS[m[2]] : undefined;
  if (!m || unit === undefined) {
    throw new TemplateError(`${where}: local mode runs rate(…) schedules only, not "${expression}"`);
  }
  return Number(m[1]) * unit;
}

export interface StateMachineSpec {
  readonly arn: string;
  readonly name: string;
  /** ASL JSON with every token resolved. */
  readonly definition: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly roleArn: string;
}

export interface SecretSpec {
  readonly name: string;
  /** `SecretString`: the value the template gives it. */
  readonly value?: string;
  readonly generate?: {
    readonly template: string;
    readonly key: string;
    readonly length: number;
    readonly excludePunctuation: boolean;
  };
}

export interface RouteSpec {
  readonly method: string;
  /** e.g. `/webhooks/{provider}` */
  readonly path: string;
  readonly functionArn: string;
  readonly requiredPathParameters: readonly string[];
  /** `AWS_IAM` routes need a caller identity (locally: the X-Gantry-Principal header). */
  readonly authorization: string;
}

export interface ApiSpec {
  readonly id: string;
  readonly name: string;
  readonly stages: readonly string[];
  readonly binaryMediaTypes: readonly string[];
  readonly routes: readonly RouteSpec[];
}

/** A CodeBuild project as the local build runner takes it. */
export type { ProjectSpec } from '../codebuild/types';

/** Everything in the template local mode runs, and what it deliberately leaves out. */
export interface LocalInventory {
  readonly buckets: readonly string[];
  readonly projects: readonly ProjectSpec[];
  readonly functions: readonly FunctionSpec[];
  readonly tables: readonly TableSpec[];
  readonly queues: readonly QueueSpec[];
  readonly buses: readonly { readonly name: string; readonly arn: string }[];
  readonly rules: readonly RuleSpec[];
  readonly stateMachines: readonly StateMachineSpec[];
  readonly secrets: readonly SecretSpec[];
  readonly apis: readonly ApiSpec[];
  readonly keys: readonly KmsKeySpec[];
  /** Buckets created with Object Lock: objects in them cannot be overwritten or deleted. */
  readonly lockedBuckets: readonly string[];
  /**
   * Buckets with `VersioningConfiguration: { Status: Enabled }`: writes there make versions, as
   * the artifacts bucket's consumers (UpdateFunctionCode with S3ObjectVersion) rely on.
   */
  readonly versionedBuckets: readonly string[];
  /** Deploy targets (`gantry:service` functions): served as versions behind aliases, not in `functions`. */
  readonly services: readonly ServiceSpec[];
  readonly codeDeploy: CodeDeployInventory;
  readonly alarms: readonly AlarmSpec[];
}

/**
 * The operator API's URL as its template gives it to the API's function (the front door serves
 * it on loopback): the audience local caller proofs are signed for. None without an operator API.
 */
export function operatorApiUrlOf(inventory: Pick<LocalInventory, 'functions'>): string | undefined {
  for (const fn of inventory.functions) {
    const url = fn.environment[OPERATOR_ENV.audience];
    if (url !== undefined) return url;
  }
  return undefined;
}

/** Reads the runtime's inventory out of resolved templates. */
export function inventoryOf(t: TemplateResolver): LocalInventory {
  const reportGroups = t
    .resources('AWS::CodeBuild::ReportGroup')
    .map((r) => ({ name: t.attribute(r.stack, r.logicalId, 'Name'), arn: t.ref(r.stack, r.logicalId) }));
  return {
    buckets: t.resources('AWS::S3::Bucket').map((r) => t.ref(r.stack, r.logicalId)),
    projects: t.resources('AWS::CodeBuild::Project').map((r) => projectSpec(t, r.stack, r.logicalId, reportGroups)),
    functions: t
      .resources('AWS::Lambda::Function')
      .filter((r) => serviceFolderOf(r) === undefined)
      .map((r) => functionSpec(t, r.stack, r.logicalId)),
    tables: [...t.resources('AWS::DynamoDB::Table'), ...t.resources('AWS::DynamoDB::GlobalTable')].map((r) =>
      tableSpec(t, r.stack, r.logicalId),
    ),
    queues: t.resources('AWS::SQS::Queue').map((r) => queueSpec(t, r.stack, r.logicalId)),
    buses: t
      .resources('AWS::Events::EventBus')
      .map((r) => ({ name: t.attribute(r.stack, r.logicalId, 'Name'), arn: t.attribute(r.stack, r.logicalId, 'Arn') })),
    rules: t.resources('AWS::Events::Rule').map((r) => ruleSpec(t, r.stack, r.logicalId)),
    stateMachines: t
      .resources('AWS::StepFunctions::StateMachine')
      .map((r) => stateMachineSpec(t, r.stack, r.logicalId)),
    secrets: t.resources('AWS::SecretsManager::Secret').map((r) => secretSpec(t, r.stack, r.logicalId)),
    apis: t.resources('AWS::ApiGateway::RestApi').map((r) => apiSpec(t, r.stack, r.logicalId)),
    keys: t.resources('AWS::KMS::Key').map((r) => keySpec(t, r.stack, r.logicalId)),
    lockedBuckets: t
      .resources('AWS::S3::Bucket')
      .filter((r) => t.properties(r.stack, r.logicalId).ObjectLockEnabled === true)
      .map((r) => t.ref(r.stack, r.logicalId)),
    versionedBuckets: t
      .resources('AWS::S3::Bucket')
      .filter((r) => versioningStatus(t.properties(r.stack, r.logicalId)) === 'Enabled')
      .map((r) => t.ref(r.stack, r.logicalId)),
    services: serviceSpecs(t),
    codeDeploy: codeDeploySpecs(t),
    alarms: alarmSpecs(t),
  };
}

/** A bucket's `VersioningConfiguration.Status` (`Enabled`, `Suspended`), or undefined when it has none. */
function versioningStatus(properties: Record<string, unknown>): unknown {
  const configuration = properties.VersioningConfiguration as { Status?: unknown } | undefined;
  return configuration?.Status;
}

function keySpec(t: TemplateResolver, stack: string, id: string): KmsKeySpec {
  const p = t.properties(stack, id);
  const keyId = t.ref(stack, id);
  const aliases = t
    .resources('AWS::KMS::Alias')
    .map((a) => t.properties(a.stack, a.logicalId))
    .filter((a) => a.TargetKeyId === keyId || a.TargetKeyId === t.attribute(stack, id, 'Arn'))
    .map((a) => String(a.AliasName));
  return {
    keyId,
    arn: t.attribute(stack, id, 'Arn'),
    keySpec: String(p.KeySpec ?? 'SYMMETRIC_DEFAULT'),
    keyUsage: String(p.KeyUsage ?? 'ENCRYPT_DECRYPT'),
    aliases,
  };
}

function functionSpec(t: TemplateResolver, stack: string, id: string): FunctionSpec {
  const p = t.properties(stack, id);
  const folder = t.resources('AWS::Lambda::Function').find((r) => r.stack === stack && r.logicalId === id)?.resource
    .Metadata?.[FUNCTION_METADATA_KEY];
  if (typeof folder !== 'string') {
    throw new TemplateError(
      `${stack}/${id}: a Lambda function without "${FUNCTION_METADATA_KEY}" or "gantry:service" metadata; local mode runs only GantryFunction handlers and service deploy targets`,
    );
  }
  const [, handlerExport = 'handler'] = String(p.Handler ?? 'index.handler').split('.');
  const variables = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<
    string,
    unknown
  >;
  return {
    name: t.ref(stack, id),
    label: folder,
    arn: t.attribute(stack, id, 'Arn'),
    entry: join(PROJECT_ROOT, 'functions', folder, 'handler.ts'),
    handlerExport,
    environment: Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    ),
    timeoutSeconds: Number(p.Timeout ?? 3),
    memoryMb: Number(p.MemorySize ?? 128),
    ...asyncInvokeOf(t, t.ref(stack, id)),
  };
}

/** The function's `$LATEST` event invoke config, as Lambda applies it to asynchronous invocations. */
function asyncInvokeOf(t: TemplateResolver, name: string): { asyncInvoke?: AsyncInvokeSpec } {
  const config = t
    .resources('AWS::Lambda::EventInvokeConfig')
    .map((r) => t.properties(r.stack, r.logicalId))
    .find((p) => p.FunctionName === name && (p.Qualifier ?? '$LATEST') === '$LATEST');
  if (config === undefined) return {};
  const onFailure = (config.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
    ?.Destination;
  return {
    asyncInvoke: {
      maximumRetryAttempts: Number(config.MaximumRetryAttempts ?? 2),
      ...(typeof onFailure === 'string' ? { onFailure } : {}),
    },
  };
}

function projectSpec(
  t: TemplateResolver,
  stack: string,
  id: string,
  reportGroups: readonly { name: string; arn: string }[],
): ProjectSpec {
  const p = t.properties(stack, id);
  const name = t.ref(stack, id);
  const source = (p.Source as { Type?: string; Location?: string; BuildSpec?: string } | undefined) ?? {};
  const artifacts = p.Artifacts as Record<string, unknown> | undefined;
  const env =
    (p.Environment as { EnvironmentVariables?: { Name: string; Value: string; Type?: string }[] } | undefined)
      ?.EnvironmentVariables ?? [];
  return {
    name,
    arn: t.attribute(stack, id, 'Arn'),
    environmentVariables: env.map((v) => ({
      name: v.Name,
      value: String(v.Value),
      type: (v.Type ?? 'PLAINTEXT') as 'PLAINTEXT',
    })),
    timeoutMinutes: Number(p.TimeoutInMinutes ?? 60),
    awsCredentials: !((p.Tags as { Key: string; Value: string }[] | undefined) ?? []).some(
      (tag) => tag.Key === TRUST_TAG && tag.Value === 'untrusted',
    ),
    ...(source.BuildSpec === undefined ? {} : { buildspec: source.BuildSpec }),
    source: { type: source.Type ?? 'NO_SOURCE', ...(source.Location ? { location: source.Location } : {}) },
    ...(artifacts && artifacts.Type === 'S3'
      ? {
          artifacts: {
            bucket: String(artifacts.Location),
            ...(artifacts.Path === undefined ? {} : { path: String(artifacts.Path) }),
            ...(artifacts.Name === undefined ? {} : { name: String(artifacts.Name) }),
            packaging: artifacts.Packaging === 'ZIP' ? 'ZIP' : 'NONE',
            namespaceType: artifacts.NamespaceType === 'BUILD_ID' ? 'BUILD_ID' : 'NONE',
            overrideArtifactName: artifacts.OverrideArtifactName === true,
          },
        }
      : {}),
    reportGroups: reportGroups.filter((g) => g.name.startsWith(`${name}-`)),
  };
}

function tableSpec(t: TemplateResolver, stack: string, id: string): TableSpec {
  const p = t.properties(stack, id);
  const name = t.ref(stack, id);
  const index = (i: Record<string, unknown>) => ({
    IndexName: i.IndexName,
    KeySchema: i.KeySchema,
    Projection: i.Projection ?? { ProjectionType: 'ALL' },
  });
  const gsis = (p.GlobalSecondaryIndexes as Record<string, unknown>[] | undefined)?.map(index);
  const lsis = (p.LocalSecondaryIndexes as Record<string, unknown>[] | undefined)?.map(index);
  const pitr = p.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: unknown } | undefined;
  return {
    name,
    pointInTimeRecovery: pitr?.PointInTimeRecoveryEnabled === true,
    create: {
      TableName: name,
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
      ...(lsis?.length ? { LocalSecondaryIndexes: lsis } : {}),
    },
  };
}

function queueSpec(t: TemplateResolver, stack: string, id: string): QueueSpec {
  const p = t.properties(stack, id);
  const redrive = p.RedrivePolicy as { deadLetterTargetArn?: string; maxReceiveCount?: number } | undefined;
  return {
    name: t.attribute(stack, id, 'QueueName'),
    url: t.ref(stack, id),
    arn: t.attribute(stack, id, 'Arn'),
    fifo: p.FifoQueue === true,
    visibilityTimeoutSeconds: Number(p.VisibilityTimeout ?? 30),
    messageRetentionSeconds: Number(p.MessageRetentionPeriod ?? 345_600),
    ...(redrive?.deadLetterTargetArn
      ? {
          deadLetter: {
            targetName: String(redrive.deadLetterTargetArn.split(':').pop()),
            maxReceiveCount: Number(redrive.maxReceiveCount ?? 1),
          },
        }
      : {}),
  };
}

function ruleSpec(t: TemplateResolver, stack: string, id: string): RuleSpec {
  const p = t.properties(stack, id);
  const everyMs =
    p.ScheduleExpression === undefined ? undefined : rateMs(String(p.ScheduleExpression), `${stack}/${id}`);
  const bus = String(p.EventBusName ?? 'default');
  const targets = (p.Targets as Record<string, unknown>[] | undefined) ?? [];
  return {
    name: t.ref(stack, id),
    arn: t.attribute(stack, id, 'Arn'),
    busName: bus.startsWith('arn:') ? String(bus.split('/').pop()) : bus,
    pattern: p.EventPattern,
    ...(everyMs === undefined ? {} : { everyMs, scheduleExpression: String(p.ScheduleExpression) }),
    enabled: (p.State ?? 'ENABLED') === 'ENABLED',
    targets: targets.map((target) => ({
      id: String(target.Id),
      arn: String(target.Arn),
      ...(target.RoleArn === undefined ? {} : { roleArn: String(target.RoleArn) }),
      ...(target.Input === undefined ? {} : { input: String(target.Input) }),
      ...(target.InputPath === undefined ? {} : { inputPath: String(target.InputPath) }),
      ...(target.InputTransformer === undefined
        ? {}
        : { inputTransformer: target.InputTransformer as RuleTargetSpec['inputTransformer'] & object }),
      ...((target.DeadLetterConfig as { Arn?: string } | undefined)?.Arn
        ? { deadLetterArn: String((target.DeadLetterConfig as { Arn: string }).Arn) }
        : {}),
      ...((target.RetryPolicy as { MaximumRetryAttempts?: number } | undefined)?.MaximumRetryAttempts === undefined
        ? {}
        : {
            maximumRetryAttempts: Number((target.RetryPolicy as { MaximumRetryAttempts: number }).MaximumRetryAttempts),
          }),
    })),
  };
}

function stateMachineSpec(t: TemplateResolver, stack: string, id: string): StateMachineSpec {
  const p = t.properties(stack, id);
  const definition = p.DefinitionString ?? (p.Definition === undefined ? undefined : JSON.stringify(p.Definition));
  if (typeof definition !== 'string')
    throw new TemplateError(`${stack}/${id}: a state machine without a definition string`);
  return {
    arn: t.ref(stack, id),
    name: t.attribute(stack, id, 'Name'),
    definition,
    type: p.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
    roleArn: String(p.RoleArn ?? ''),
  };
}

function secretSpec(t: TemplateResolver, stack: string, id: string): SecretSpec {
  const p = t.properties(stack, id);
  const g = p.GenerateSecretString as Record<string, unknown> | undefined;
  const name = String(p.Name ?? `${stack}-${id}`);
  if (typeof p.SecretString === 'string') return { name, value: p.SecretString };
  // `GenerateSecretString: {}` (CDK's default) generates a bare random string, not a JSON document.
  if (g === undefined || g.GenerateStringKey === undefined) return { name };
  return {
    name,
    generate: {
      template: String(g.SecretStringTemplate ?? '{}'),
      key: String(g.GenerateStringKey ?? 'password'),
      length: Number(g.PasswordLength ?? 32),
      excludePunctuation: g.ExcludePunctuation === true,
    },
  };
}

function apiSpec(t: TemplateResolver, stack: string, id: string): ApiSpec {
  const p = t.properties(stack, id);
  const apiRef = t.ref(stack, id);
  const resources = t
    .resources('AWS::ApiGateway::Resource')
    .filter((r) => r.stack === stack && t.properties(r.stack, r.logicalId).RestApiId === apiRef);
  const pathOf = new Map<string, string>([[t.attribute(stack, id, 'RootResourceId'), '']]);
  for (let pending = resources; pending.length > 0; ) {
    const next = pending.filter((r) => {
      const rp = t.properties(r.stack, r.logicalId);
      const parent = pathOf.get(String(rp.ParentId));
      if (parent === undefined) return true;
      pathOf.set(t.ref(r.stack, r.logicalId), `${parent}/${String(rp.PathPart)}`);
      return false;
    });
    if (next.length === pending.length)
      throw new TemplateError(`${stack}/${id}: API resources whose parents are missing`);
    pending = next;
  }
  const routes = t
    .resources('AWS::ApiGateway::Method')
    .filter((m) => m.stack === stack && t.properties(m.stack, m.logicalId).RestApiId === apiRef)
    .map((m) => routeSpec(t.properties(m.stack, m.logicalId), pathOf));
  const stages = t
    .resources('AWS::ApiGateway::Stage')
    .filter((s) => s.stack === stack && t.properties(s.stack, s.logicalId).RestApiId === apiRef)
    .map((s) => t.ref(s.stack, s.logicalId));
  return {
    id: apiRef,
    name: String(p.Name ?? id),
    stages,
    binaryMediaTypes: (p.BinaryMediaTypes as string[] | undefined) ?? [],
    routes,
  };
}

function routeSpec(m: Record<string, unknown>, pathOf: Map<string, string>): RouteSpec {
  const integration = m.Integration as { Type?: string; Uri?: string } | undefined;
  const functionArn = /functions\/(arn:[^/]+)\/invocations/.exec(String(integration?.Uri ?? ''))?.[1];
  if (integration?.Type !== 'AWS_PROXY' || functionArn === undefined) {
    throw new TemplateError(
      `API method ${String(m.HttpMethod)} ${pathOf.get(String(m.ResourceId))}: only Lambda proxy integrations run locally`,
    );
  }
  const params = (m.RequestParameters as Record<string, boolean> | undefined) ?? {};
  return {
    method: String(m.HttpMethod),
    path: pathOf.get(String(m.ResourceId)) || '/',
    functionArn,
    authorization: String(m.AuthorizationType ?? 'NONE'),
    requiredPathParameters: Object.entries(params)
      .filter(([k, required]) => required && k.startsWith('method.request.path.'))
      .map(([k]) => k.slice('method.request.path.'.length)),
  };
}
