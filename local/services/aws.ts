// The local runtime's AWS stand-ins, one service each: how it starts, what it attaches to the edge, how it stops.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { Provider } from '../../events';
import { PIPELINE_ENV } from '../../shared/pipelines/env';
import { apiTokenSecretName } from '../../shared/secrets/secrets';
import { arnAccount } from '../arn';
import { BuildSyncError, LocalCodeBuild } from '../codebuild';
import { DYNALITE_SECRET_HEADER, type RunningDynalite, startDynaliteThread } from '../dynamodb/dynalite';
import { dynamoDbExports, exportsStateFile } from '../dynamodb/exports';
import { AwsServiceError } from '../edge/aws-json';
import type { IdentityRegistry, Principal } from '../edge/identity';
import { stsService as stsRestService } from '../edge/sts';
import { LocalBus, type TargetInvoker } from '../eventbridge/bus';
import type { JsonObject } from '../eventbridge/json';
import { eventBridgeService as eventBusApi } from '../eventbridge/service';
import { type FakeProviders, fakeApiUrl } from '../fakeprovider';
import { type AssumeRoleRequest, arnLookups, LocalIam, templateIam } from '../iam';
import { KmsService } from '../kms/service';
import type { HandlerModule } from '../lambda/bundles';
import { LocalFunctions, type LogSink } from '../lambda/functions';
import { lambdaReadApi } from '../lambda-api/read';
import { cloudWatchLogsService } from '../logs/service';
import type { LocalNotifications } from '../notifications/fake';
import { createS3Endpoint, S3Store } from '../s3';
import { SecretsManagerService } from '../secretsmanager';
import { SqsService } from '../sqs';
import { createStepFunctions, type StepFunctionsEmulator, TaskFailure } from '../stepfunctions';
import type { FunctionSpec, LocalInventory, RuleSpec, RuleTargetSpec } from '../template/inventory';
import type { TemplateResolver } from '../template/resolver';
import { DEFAULT_CACHE_DIR } from '../template/synth-cache';
import { runtimeEnvironment, type ServiceContext } from './context';
import type { LocalService } from './registry';

/** Local IAM: every role's credentials, and every call signed with them authorized at the edge. */
export function iamService(
  ctx: ServiceContext,
  resolver: TemplateResolver,
  identity: IdentityRegistry,
): LocalService<LocalIam> {
  return {
    name: 'iam',
    start: () => {
      const iam = localIam(resolver, ctx.inventory, ctx.dataDir, ctx.options.log);
      iam.register(identity);
      ctx.edge.authorizeWith((principal, call, res) => iam.authorize(principal, call, res));
      return iam;
    },
    stop: (iam) => iam.flush(),
  };
}

/**
 * DynamoDB: dynalite in its own thread, persisted under the data folder, with the template's tables. dynalite checks
 * no signature: it answers only callers holding this session's secret (the edge, after
 * authenticating and authorizing the call), never another user on its port.
 */
export function dynamoDbService(ctx: ServiceContext): LocalService<RunningDynalite & { readonly secret: string }> {
  return {
    name: 'dynamodb',
    start: async () => {
      const secret = randomBytes(24).toString('base64url');
      const dynamo = await startDynaliteThread({ path: join(ctx.dataDir, 'dynamodb'), secret });
      try {
        await createTables(dynamo, ctx.inventory, ctx.region, secret);
      } catch (error) {
        // A thread that died under the first calls says why; the call itself saw only a closed
        // connection. LevelDB opens its folder at the first call, and lets one process at a time.
        const why = await Promise.race([
          dynamo.failed ?? new Promise<never>(() => undefined),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500).unref()),
        ]);
        await dynamo.close();
        if (why === undefined) throw error;
        throw new Error(
          `dynalite stopped as its tables were created (${why.message}); if another \`gantry local up\` uses ${join(ctx.dataDir, 'dynamodb')}, stop it first, or give this one its own --data-dir`,
          { cause: error },
        );
      }
      return Object.assign(dynamo, { secret });
    },
    edgeAttachments: (dynamo) => [{ dynamoDb: dynamo.endpoint, headers: { [DYNALITE_SECRET_HEADER]: dynamo.secret } }],
    stop: (dynamo) => dynamo.close(),
    failure: (dynamo) => dynamo.failed,
  };
}

/**
 * DynamoDB's exports to S3 (ExportTableToPointInTime, DescribeExport, ListExports), which
 * dynalite lacks: the table as it is, written into the local bucket as DynamoDB writes an export.
 */
export function dynamoDbExportsService(
  ctx: ServiceContext,
  deps: { readonly dynamo: RunningDynalite & { readonly secret: string }; readonly s3: S3Store },
): LocalService<ReturnType<typeof dynamoDbExports> & { readonly client: DynamoDBClient }> {
  return {
    name: 'dynamodb-exports',
    start: () => {
      const client = dynaliteClient(deps.dynamo, ctx.region, deps.dynamo.secret);
      const service = dynamoDbExports({
        region: ctx.region,
        accountId: ctx.accountId,
        tables: ctx.inventory.tables,
        db: client,
        hasBucket: (bucket) => deps.s3.hasBucket(bucket),
        putObject: async (bucket, key, body) => void (await deps.s3.putObject(bucket, key, body)),
        stateFile: exportsStateFile(ctx.dataDir),
      });
      return Object.assign(service, { client });
    },
    edgeAttachments: (service) => [{ json: service }],
    stop: async (service) => {
      await service.settled();
      service.client.destroy();
    },
  };
}

/** Secrets Manager: webhook secrets point at the recording fake, unless a GANTRY_SECRET_* variable says otherwise. */
export function secretsManagerService(
  ctx: ServiceContext,
  notifications: LocalNotifications,
): LocalService<SecretsManagerService> {
  return {
    name: 'secretsmanager',
    start: () =>
      new SecretsManagerService({
        secrets: withDemoApiTokens(ctx.inventory.secrets),
        file: join(ctx.dataDir, 'secrets.json'),
        region: ctx.region,
        accountId: ctx.accountId,
        env: { ...notifications.secretOverrides(), ...(ctx.options.env ?? process.env) },
      }),
    edgeAttachments: (secrets) => [{ json: secrets }],
  };
}

export function kmsService(ctx: ServiceContext): LocalService<KmsService> {
  return {
    name: 'kms',
    start: () =>
      new KmsService({
        keys: ctx.inventory.keys,
        dir: join(ctx.dataDir, 'kms'),
        region: ctx.region,
        accountId: ctx.accountId,
      }),
    edgeAttachments: (kms) => [{ json: kms }],
  };
}

/** S3: the template's buckets on disk, served as the edge's fallback (its REST API has no X-Amz-Target). */
export function s3Service(ctx: ServiceContext): LocalService<S3Store> {
  return {
    name: 's3',
    start: () =>
      new S3Store({
        buckets: ctx.inventory.buckets,
        lockedBuckets: ctx.inventory.lockedBuckets,
        versionedBuckets: ctx.inventory.versionedBuckets,
        dataDir: join(ctx.dataDir, 's3'),
      }),
    edgeAttachments: (s3) => {
      const endpoint = createS3Endpoint(s3, { region: ctx.region });
      return [
        {
          fallback: (req, res, url) => {
            if (!endpoint.accepts(req, url)) return false;
            void endpoint.handle(req, res, url);
            return true;
          },
        },
      ];
    },
  };
}

/** CodeBuild: the local build runner, and its logs through CloudWatch Logs. */
export function codeBuildService(
  ctx: ServiceContext,
  deps: { s3: S3Store; secrets: SecretsManagerService; iam: LocalIam },
): LocalService<LocalCodeBuild> {
  return {
    name: 'codebuild',
    start: () =>
      new LocalCodeBuild({
        projects: ctx.inventory.projects,
        dataDir: join(ctx.dataDir, 'codebuild'),
        region: ctx.region,
        accountId: ctx.accountId,
        s3: deps.s3,
        secrets: (secretId, project) => secretAsProject(ctx, deps.iam, project, secretId),
        edgeEndpoint: ctx.edge.endpoint,
        credentialsFor: (project) => deps.iam.forProject(project),
        ...(ctx.options.buildLog ? { log: ctx.options.buildLog } : {}),
      }),
    edgeAttachments: (codeBuild) => [
      { json: codeBuild },
      {
        json: cloudWatchLogsService(
          (group, stream) => buildLogLines(codeBuild, group, stream),
          buildLogCatalog(codeBuild),
        ),
      },
    ],
    stop: (codeBuild) => codeBuild.close(),
  };
}

export function sqsService(ctx: ServiceContext): LocalService<SqsService> {
  return {
    name: 'sqs',
    start: () =>
      new SqsService({
        queues: ctx.inventory.queues,
        dataDir: join(ctx.dataDir, 'sqs'),
        region: ctx.region,
        accountId: ctx.accountId,
        endpoint: ctx.edge.endpoint,
      }),
    edgeAttachments: (sqs) => [{ json: sqs }],
    stop: (sqs) => sqs.close(),
  };
}

/** The control plane's functions, each in a worker thread, and Lambda's read API (ListFunctions, GetFunction). */
export function functionsService(
  ctx: ServiceContext,
  deps: {
    notifications: LocalNotifications;
    providers: FakeProviders;
    iam: LocalIam;
    /** Handler modules being bundled while the app synthesized. @default bundled when the functions start */
    handlers?: Promise<ReadonlyMap<string, HandlerModule>>;
    /** Where Lambda sends the records of asynchronous invocations that failed (on-failure destinations). */
    sqs: SqsService;
  },
): LocalService<LocalFunctions> {
  const { inventory } = ctx;
  return {
    name: 'lambda',
    start: () =>
      new LocalFunctions({
        functions: inventory.functions.map((f) =>
          deps.notifications.withLocalEnv(withLocalStatusApis(f, deps.providers.url)),
        ),
        runtimeEnvironment: runtimeEnvironment(ctx.edge.endpoint, ctx.region, ctx.internal),
        credentialsFor: (arn) => deps.iam.forFunction(arn),
        accountId: ctx.accountId,
        log: ctx.options.log ?? (() => undefined),
        ...(deps.handlers ? { handlers: deps.handlers } : {}),
        sendTo: async (queueArn, body) => void (await sendToQueue(deps.sqs, queueArn, body)),
        timeScale: ctx.timeScale,
      }),
    edgeAttachments: () => [
      {
        rest: lambdaReadApi({
          functions: inventory.functions,
          services: inventory.services,
          accountId: ctx.accountId,
        }),
      },
    ],
    stop: (functions) => functions.stop(),
  };
}

/**
 * STS: GetCallerIdentity (how the operator API's function learns who signed a caller proof) and
 * AssumeRole (how a step reaches a target account), decided by local IAM against the role's trust policy.
 */
export function stsService(iam: LocalIam, identity: IdentityRegistry): LocalService<void> {
  const assumeRole = (caller: Principal, call: AssumeRoleRequest) => iam.assumeRole(caller, call);
  return {
    name: 'sts',
    start: () => undefined,
    edgeAttachments: () => [{ rest: stsRestService({ identity, assumeRole }) }],
  };
}

/** The state machines on aws-local-stepfunctions, their Lambda tasks bound to the local functions. */
export function stepFunctionsService(
  ctx: ServiceContext,
  deps: { functions: LocalFunctions; codeBuild: LocalCodeBuild },
): LocalService<StepFunctionsEmulator> {
  return {
    name: 'stepfunctions',
    start: async () => {
      let sfn: StepFunctionsEmulator | undefined;
      sfn = await createStepFunctions({
        stateMachines: ctx.inventory.stateMachines,
        lambda: deps.functions,
        dataDir: join(ctx.dataDir, 'stepfunctions'),
        region: ctx.region,
        accountId: ctx.accountId,
        timeScale: ctx.timeScale,
        validationCacheDir: join(DEFAULT_CACHE_DIR, 'asl-validated'),
        integrations: {
          'arn:aws:states:::states:startExecution': async (parameters) => startNamedExecution(sfn, parameters),
          'arn:aws:states:::codebuild:startBuild.sync': (parameters, c) =>
            syncBuild(deps.codeBuild, parameters, c.signal),
        },
      });
      return sfn;
    },
    edgeAttachments: (sfn) => [{ json: sfn.service }],
    stop: (sfn) => sfn.close(),
  };
}

/** The event buses and their rules, replaying what a previous run accepted; PutEvents tasks publish to them. */
export function eventBridgeService(
  ctx: ServiceContext,
  deps: {
    functions: LocalFunctions;
    sqs: SqsService;
    stepFunctions: StepFunctionsEmulator;
    iam: LocalIam;
    notifications: LocalNotifications;
  },
): LocalService<{ readonly bus: LocalBus; readonly replayed: number }> {
  const stopping = new AbortController();
  return {
    name: 'eventbridge',
    start: () => {
      let bus: LocalBus | undefined;
      const started = LocalBus.start({
        buses: ctx.inventory.buses,
        rules: ctx.inventory.rules,
        dataDir: join(ctx.dataDir, 'eventbridge'),
        region: ctx.region,
        accountId: ctx.accountId,
        invokeTarget: targetInvoker({
          ...deps,
          bus: () => bus,
          stopping: stopping.signal,
        }),
        authorizeBusTarget: busTargetAuthorizer(deps.iam),
        ...(ctx.options.onBusRecord ? { onRecord: ctx.options.onBusRecord } : {}),
      });
      deps.stepFunctions.registerIntegration('arn:aws:states:::events:putEvents', async (parameters) =>
        putEventsTask(started.bus, parameters),
      );
      bus = started.bus;
      return started;
    },
    edgeAttachments: ({ bus }) => [{ json: eventBusApi(bus) }],
    stop: ({ bus }) => {
      // Lambda's waits between attempts end now; the bus delivers those events again at the next start.
      stopping.abort();
      return bus.close();
    },
  };
}

/** A client of dynalite itself, past the edge: for the local services that stand in for DynamoDB's own work. */
function dynaliteClient(dynamo: RunningDynalite, region: string, secret: string): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  client.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers[DYNALITE_SECRET_HEADER] = secret;
      return next(args);
    },
    { step: 'build', name: 'gantryDynaliteSecret' },
  );
  return client;
}

async function createTables(
  dynamo: RunningDynalite,
  inventory: LocalInventory,
  region: string,
  secret: string,
): Promise<void> {
  const client = dynaliteClient(dynamo, region, secret);
  try {
    for (const table of inventory.tables) {
      try {
        await client.send(
          new CreateTableCommand(table.create as unknown as ConstructorParameters<typeof CreateTableCommand>[0]),
        );
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
    }
    // CreateTable answers while a table is CREATING, and dynalite, like DynamoDB, refuses reads and
    // writes to it until it is ACTIVE: the plane is up only once every table takes them.
    await Promise.all(
      inventory.tables.map(async ({ name }) => {
        try {
          await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.02, maxDelay: 0.25 }, { TableName: name });
        } catch {
          throw new Error(
            `table ${name} is not ACTIVE after 30 s: a first start stopped while creating it leaves it so, before anything was written to it; start again with a new --data-dir`,
          );
        }
      }),
    );
  } finally {
    client.destroy();
  }
}

/** Starts an EventBridge target by the kind of ARN it has. */
function targetInvoker(deps: {
  functions: LocalFunctions;
  sqs: SqsService;
  stepFunctions: StepFunctionsEmulator;
  /** The recording SNS stand-in: a rule's topic target (the alarm topic) delivers there. */
  notifications: LocalNotifications;
  /** The buses, once started: a target account's rule forwards to the control plane's bus. */
  bus: () => LocalBus | undefined;
  /** Ends Lambda's waits between attempts of an asynchronous invocation when the plane stops. */
  stopping: AbortSignal;
}) {
  return async (...[arn, input, messageAttributes]: Parameters<TargetInvoker>): Promise<string | undefined> => {
    const [, , service] = arn.split(':');
    if (service === 'events') {
      const bus = deps.bus();
      // Only while the journal's leftovers replay at start: the bus retries.
      if (bus === undefined) throw new Error('the event buses are not started yet');
      return bus.forward(arn, JSON.parse(input) as JsonObject);
    }
    if (service === 'states') {
      const out = (await deps.stepFunctions.service.handle('StartExecution', { stateMachineArn: arn, input })) as {
        executionArn?: string;
      };
      return out.executionArn;
    }
    if (service === 'lambda') {
      if (deps.functions.hasAsyncConfig(arn)) {
        // EventBridge invokes asynchronously: once Lambda has the event, its own retries and
        // on-failure destination decide what becomes of it, not the rule's.
        await deps.functions.invokeAsync(arn, JSON.parse(input), deps.stopping);
        return undefined;
      }
      const outcome = await deps.functions.invoke(arn, JSON.parse(input));
      if (!outcome.ok) throw Object.assign(new Error(outcome.errorMessage), { name: outcome.errorType });
      return undefined;
    }
    // EventBridge's dead letters carry RULE_ARN and TARGET_ARN, which `gantry dlq redrive` needs.
    if (service === 'sqs') return sendToQueue(deps.sqs, arn, input, messageAttributes);
    if (service === 'sns') return deps.notifications.deliverToTopic(arn, input);
    throw new Error(`local mode cannot deliver to ${arn}`);
  };
}

/** SendMessage to the local queue an ARN names (a rule's target or dead-letter queue, a Lambda destination). */
async function sendToQueue(
  sqs: SqsService,
  queueArn: string,
  body: string,
  attributes?: Parameters<TargetInvoker>[2],
): Promise<string | undefined> {
  const out = (await sqs.handle('SendMessage', {
    QueueUrl: sqs.queueUrl(String(queueArn.split(':').pop())),
    MessageBody: body,
    ...(attributes === undefined ? {} : { MessageAttributes: attributes }),
  })) as { MessageId?: string };
  return out.MessageId;
}

/**
 * EventBridge's check before it puts an event on a bus target: across accounts, as the target's
 * role, whose policy and the bus's resource policy must both allow `events:PutEvents` (with the
 * event's source and detail type as `events:source` and `events:detail-type`).
 */
function busTargetAuthorizer(iam: LocalIam) {
  return (rule: RuleSpec, target: RuleTargetSpec, event: JsonObject): string | undefined => {
    const ruleAccount = arnAccount(rule.arn);
    if (target.roleArn === undefined)
      return arnAccount(target.arn) === ruleAccount
        ? undefined
        : `rule ${rule.name} has no role for ${target.arn}: EventBridge puts events on another account's bus only with the target's RoleArn`;
    const denied = iam.decideAs(
      target.roleArn,
      { action: 'events:PutEvents', resource: target.arn },
      { 'events:source': String(event.source), 'events:detail-type': String(event['detail-type']) },
    );
    return denied === undefined
      ? undefined
      : `${target.roleArn} may not put this event on ${target.arn}: ${denied.reason}`;
  };
}

/**
 * `arn:aws:states:::states:startExecution` (request/response): starts another execution with the
 * name and input given, failing as AWS's integration does (`StepFunctions.ExecutionAlreadyExistsException`).
 */
async function startNamedExecution(sfn: StepFunctionsEmulator | undefined, parameters: unknown): Promise<unknown> {
  if (sfn === undefined) throw new TaskFailure('States.TaskFailed', 'Step Functions is not started yet');
  const p = parameters as { StateMachineArn?: string; Name?: string; Input?: unknown };
  const input = typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input ?? {});
  try {
    const out = (await sfn.service.handle('StartExecution', {
      stateMachineArn: p.StateMachineArn,
      name: p.Name,
      input,
    })) as {
      executionArn: string;
      startDate: number;
    };
    return { ExecutionArn: out.executionArn, StartDate: new Date(out.startDate * 1000).toISOString() };
  } catch (error) {
    if (error instanceof AwsServiceError) {
      // AWS's integration names the error after the API's exception: `ExecutionAlreadyExists` becomes
      // `ExecutionAlreadyExistsException`; a code that already is one (`ThrottlingException`) stays.
      const exception = error.code.endsWith('Exception') ? error.code : `${error.code}Exception`;
      throw new TaskFailure(`StepFunctions.${exception}`, error.message);
    }
    throw error;
  }
}

/** A build's log lines, for `/aws/codebuild/<project>` groups (the stream is the build id's second half). */
async function buildLogLines(codeBuild: LocalCodeBuild, group: string, stream: string): Promise<string[] | undefined> {
  const project = /^\/aws\/codebuild\/(.+)$/.exec(group)?.[1];
  if (project === undefined) return undefined;
  try {
    return await codeBuild.buildLog(`${project}:${stream}`);
  } catch {
    return undefined;
  }
}

/** The `/aws/codebuild/<project>` groups and their streams (one per build, named by the build id's second half). */
function buildLogCatalog(codeBuild: LocalCodeBuild) {
  const prefix = '/aws/codebuild/';
  return {
    groups: () => codeBuild.projectNames().map((name) => `${prefix}${name}`),
    streams: (group: string) => {
      const project = group.startsWith(prefix) ? group.slice(prefix.length) : undefined;
      if (project === undefined || !codeBuild.projectNames().includes(project)) return undefined;
      return codeBuild
        .buildsOf(project)
        .map((b) => ({ name: b.id.slice(b.id.indexOf(':') + 1), createdAt: b.startTime }));
    },
  };
}

/** StartBuild .sync on the local build runner, failing as AWS's integration does. */
async function syncBuild(codeBuild: LocalCodeBuild, parameters: unknown, signal: AbortSignal): Promise<unknown> {
  try {
    return await codeBuild.startBuildSync(parameters as Record<string, unknown>, signal);
  } catch (error) {
    if (error instanceof BuildSyncError) throw new TaskFailure(error.error, error.causeText);
    if (error instanceof Error && error.name.startsWith('CodeBuild.')) throw new TaskFailure(error.name, error.message);
    throw error;
  }
}

/**
 * Each connection's token secret (`<connection secret>/api-token`, `{}` as deployed) gets a demo
 * `apiToken` locally, so commit statuses are posted (to the fake provider API) rather than skipped.
 */
function withDemoApiTokens(secrets: LocalInventory['secrets']): LocalInventory['secrets'] {
  const tokens = new Set(
    secrets.filter((s) => s.generate?.key === 'webhookSecret').map((s) => apiTokenSecretName(s.name)),
  );
  return secrets.map((secret) =>
    tokens.has(secret.name) && secret.value === '{}'
      ? { ...secret, value: JSON.stringify({ apiToken: `local-${randomUUID()}` }) }
      : secret,
  );
}

/** Commit statuses go to the fake provider API: the functions' status API URLs resolve to it, as names resolve to local ones. */
function withLocalStatusApis(fn: FunctionSpec, fakeUrl: string): FunctionSpec {
  const raw = fn.environment[PIPELINE_ENV.statusApis];
  if (raw === undefined) return fn;
  const apis = JSON.parse(raw) as Record<string, { provider: Provider; apiUrl: string }>;
  const local = Object.fromEntries(
    Object.entries(apis).map(([name, api]) => [name, { ...api, apiUrl: fakeApiUrl(fakeUrl, api.provider) }]),
  );
  return { ...fn, environment: { ...fn.environment, [PIPELINE_ENV.statusApis]: JSON.stringify(local) } };
}

/** `arn:aws:states:::events:putEvents`: puts the entries on the local bus, answering as AWS does. */
async function putEventsTask(bus: LocalBus, parameters: unknown): Promise<unknown> {
  const entries = ((parameters as { Entries?: Record<string, unknown>[] }).Entries ?? []).map((e) => ({
    bus: String(e.EventBusName ?? 'default'),
    source: String(e.Source),
    detailType: String(e.DetailType),
    detail: (typeof e.Detail === 'string' ? JSON.parse(e.Detail) : (e.Detail ?? {})) as Record<string, never>,
  }));
  const ids = bus.accept(entries);
  return { Entries: ids.map((EventId) => ({ EventId })), FailedEntryCount: 0 };
}

/**
 * Local IAM for the templates: each role's credentials, and every call signed with them authorized
 * at the edge; a denied call prints one line where function output goes.
 */
function localIam(
  resolver: TemplateResolver,
  inventory: LocalInventory,
  dataDir: string,
  log: LogSink | undefined,
): LocalIam {
  return new LocalIam({
    iam: templateIam(resolver),
    arns: arnLookups(
      resolver,
      inventory.keys,
      inventory.stateMachines.map((s) => s.arn),
      inventory.codeDeploy.groups,
    ),
    dataDir,
    onDenied: (line) => log?.('iam', line, 'stderr'),
    onAssumed: (line) => log?.('iam', line, 'stdout'),
  });
}

/**
 * A build's secret, asked for as CodeBuild asks for it: GetSecretValue signed with the project's
 * service role, through the edge, so local IAM allows only what the role's policies grant (the
 * trusted project's configured secrets; nothing for the untrusted one). A project with no role
 * gets no secret.
 */
async function secretAsProject(ctx: ServiceContext, iam: LocalIam, project: string, secretId: string): Promise<string> {
  const credentials = iam.forProject(project);
  if (credentials === undefined)
    throw new Error(`project ${project} has no service role in the template, so it may read no secret`);
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ endpoint: ctx.edge.endpoint, region: ctx.region, credentials });
  try {
    return (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '';
  } finally {
    client.destroy();
  }
}
