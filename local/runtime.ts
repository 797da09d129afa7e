import { randomBytes, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { Provider } from '../events';
import type { GantryConfig } from '../infra/config/schema';
import { PIPELINE_ENV } from '../shared/pipelines/env';
import { localPrincipalArn } from './apigateway/events';
import { type RunningFrontDoor, startFrontDoor } from './apigateway/server';
import { BuildSyncError, LocalCodeBuild } from './codebuild';
import type { SyntheticTrafficOptions } from './codedeploy/traffic';
import { localConsole } from './console';
import { type LocalDeployer, startDeployer } from './deployer';
import { ensurePrivateDir, removeRuntimeInfo, writeRuntimeInfo } from './discovery';
import { DYNALITE_SECRET_HEADER, type RunningDynalite, startDynalite } from './dynamodb/dynalite';
import { AwsServiceError } from './edge/aws-json';
import { IdentityRegistry } from './edge/identity';
import { type RunningEdge, startEdge } from './edge/server';
import { stsService } from './edge/sts';
import { type BusEventRecord, LocalBus, type TargetInvoker } from './eventbridge/bus';
import { eventBridgeService } from './eventbridge/service';
import { type FakeProviders, fakeApiUrl, startFakeProviders } from './fakeprovider';
import { arnLookups, LocalIam, templateIam } from './iam';
import { KmsService } from './kms/service';
import { handlerModules, projectHandlerEntries } from './lambda/bundles';
import { LocalFunctions, type LogSink } from './lambda/functions';
import { lambdaReadApi } from './lambda-api/read';
import type { ServiceEndpoint } from './lambda-api/services';
import { cloudWatchLogsService } from './logs/service';
import { LocalNotifications } from './notifications/fake';
import { createS3Endpoint, S3Store } from './s3';
import { SecretsManagerService } from './secretsmanager';
import { SqsService } from './sqs';
import { createStepFunctions, type IntegrationHandler, type StepFunctionsEmulator, TaskFailure } from './stepfunctions';
import { type FunctionSpec, inventoryOf, type LocalInventory } from './template/inventory';
import { TemplateResolver } from './template/resolver';
import { cachedTemplates } from './template/synth-cache';

/** The account id every local ARN carries. */
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LocalOptions {
  readonly config: GantryConfig;
  /** Where `config` was read from, told to the CLI through runtime.json. */
  readonly configFile?: string;
  /** @default '.gantry' */
  readonly dataDir?: string;
  readonly host?: string;
  /** The webhook front door. @default 4000 (0 picks a free port) */
  readonly port?: number;
  /** The AWS API edge. @default 4566 (0 picks a free port) */
  readonly awsPort?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Where function output goes. @default nowhere */
  readonly log?: LogSink;
  /** Source of `GANTRY_SECRET_*` overrides. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  readonly onBusRecord?: (record: BusEventRecord) => void;
  readonly onRequest?: (info: { method: string; path: string; status: number; ms: number }) => void;
  /** Each line a local build writes (secrets masked). */
  readonly buildLog?: (buildId: string, line: string) => void;
  /**
   * Local time compression: every interval of a deployment configuration, alarm window and
   * Step Functions Wait state is this many times shorter (60: a minute takes a second). @default 60
   */
  readonly timeScale?: number;
  /** The first service alias's stable URL port; the others follow. @default 4600 (0 picks free ports) */
  readonly servicePort?: number;
  /** Requests the deployer sends through a stable URL while traffic shifts; false for none. @default 20/s GET /hello */
  readonly syntheticTraffic?: SyntheticTrafficOptions | false;
}

/** A running local control plane. */
export interface LocalControlPlane {
  readonly webhookUrl: string;
  /** The web console's sign-in link: it carries this session's code, exchanged for a cookie. */
  readonly consoleUrl: string;
  readonly awsEndpoint: string;
  /** dynalite's own port: it answers only the edge (which holds its secret), never a caller. */
  readonly dynamoDbEndpoint: string;
  readonly dataDir: string;
  readonly region: string;
  readonly inventory: LocalInventory;
  readonly functions: LocalFunctions;
  readonly bus: LocalBus;
  readonly sqs: SqsService;
  readonly codeBuild: LocalCodeBuild;
  /** The recording fake Git provider API every commit status goes to. */
  readonly providers: FakeProviders;
  /** The recording fake Slack, Teams and SNS every notification goes to (`/_gantry/notifications`). */
  readonly notifications: LocalNotifications;
  /** Each service alias's stable URL (the deployer's weighted proxy). */
  readonly serviceEndpoints: readonly ServiceEndpoint[];
  /** The service functions, their alarms and CodeDeploy. */
  readonly deployer: LocalDeployer;
  readonly timeScale: number;
  /** Events a previous run accepted and this one re-delivered at start. */
  readonly replayedEvents: number;
  readonly startupMs: number;
  /** Who may call the local servers: the session's token, the operator's and the functions' credentials. */
  readonly identity: IdentityRegistry;
  /** The session's bearer token (also in runtime.json). */
  readonly token: string;
  /** The session's operator credentials (also in runtime.json and the gantry-local aws profile). */
  readonly operator: { readonly accessKeyId: string; readonly secretAccessKey: string };
  close(): Promise<void>;
}

/** A fresh token and operator key pair for one session, registered with a new identity registry. */
export function sessionIdentity(): {
  identity: IdentityRegistry;
  token: string;
  operator: { accessKeyId: string; secretAccessKey: string };
  internal: { accessKeyId: string; secretAccessKey: string };
} {
  const token = randomBytes(32).toString('base64url');
  const keyPair = () => ({
    accessKeyId: `AKIAGANTRY${randomBytes(5).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  });
  const operator = keyPair();
  // What a local process without a role of its own signs with (the sample service's deployed
  // functions): issued per session and never written down, so no other user of the machine can
  // sign with it. Well-known keys (`local`/`local`) would let anyone on loopback act unrestricted.
  const internal = keyPair();
  const identity = new IdentityRegistry(token);
  identity.register(operator.accessKeyId, operator.secretAccessKey, { kind: 'operator' });
  identity.register(internal.accessKeyId, internal.secretAccessKey, { kind: 'internal' });
  return { identity, token, operator, internal };
}

/**
 * Brings up the whole control plane on loopback from the CDK app itself: the templates are
 * synthesized in-process, and every Lambda, table, queue, rule, state machine and API route in
 * them is served by a local stand-in behind the same SDK calls the cloud path makes.
 */
export async function startLocalControlPlane(options: LocalOptions): Promise<LocalControlPlane> {
  const started = performance.now();
  const dataDir = resolve(options.dataDir ?? '.gantry');
  const region = options.region ?? 'us-east-1';
  const timeScale = options.timeScale ?? 60;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
  ensurePrivateDir(dataDir);
  const { identity, token, operator, internal } = sessionIdentity();
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    // Every handler is bundled (or found in the cache) while the app synthesizes.
    const handlers = handlerModules(projectHandlerEntries());
    const templates = await cachedTemplates(options.config);
    const edge = await startEdge({
      ...(options.host ? { host: options.host } : {}),
      port: options.awsPort ?? 4566,
      identity,
      onRefusal: (line) => options.log?.('edge', line, 'stderr'),
    });
    stops.push(() => edge.close());
    const resolver = new TemplateResolver(templates, {
      region,
      accountId: LOCAL_ACCOUNT_ID,
      edgeEndpoint: edge.endpoint,
    });
    const inventory = inventoryOf(resolver);
    const iam = localIam(resolver, inventory, dataDir, options.log);
    iam.register(identity);
    stops.push(() => iam.flush());
    edge.authorizeWith((principal, call, res) => iam.authorize(principal, call, res));

    const notifications = new LocalNotifications(edge.endpoint, inventory);
    notifications.mount(edge);

    // dynalite checks no signature: it answers only callers holding this session's secret (the
    // edge, after authenticating and authorizing the call), never another user on its port.
    const dynamoSecret = randomBytes(24).toString('base64url');
    const dynamo = await startDynalite({ path: join(dataDir, 'dynamodb'), secret: dynamoSecret });
    stops.push(() => dynamo.close());
    edge.proxyDynamoDb(dynamo.endpoint, { [DYNALITE_SECRET_HEADER]: dynamoSecret });
    await createTables(dynamo, inventory, region, dynamoSecret);

    const secrets = new SecretsManagerService({
      secrets: withDemoApiTokens(inventory.secrets),
      file: join(dataDir, 'secrets.json'),
      region,
      accountId: LOCAL_ACCOUNT_ID,
      // Webhook secrets point at the recording fake, unless a GANTRY_SECRET_* variable says otherwise.
      env: { ...notifications.secretOverrides(), ...(options.env ?? process.env) },
    });
    edge.mount(secrets);
    edge.mount(
      new KmsService({ keys: inventory.keys, dir: join(dataDir, 'kms'), region, accountId: LOCAL_ACCOUNT_ID }),
    );
    const s3 = new S3Store({
      buckets: inventory.buckets,
      lockedBuckets: inventory.lockedBuckets,
      versionedBuckets: inventory.versionedBuckets,
      dataDir: join(dataDir, 's3'),
    });
    const s3Endpoint = createS3Endpoint(s3, { region });
    edge.fallback((req, res, url) => {
      if (!s3Endpoint.accepts(req, url)) return false;
      void s3Endpoint.handle(req, res, url);
      return true;
    });
    const codeBuild = new LocalCodeBuild({
      projects: inventory.projects,
      dataDir: join(dataDir, 'codebuild'),
      region,
      accountId: LOCAL_ACCOUNT_ID,
      s3,
      secrets: async (secretId) => {
        const out = (await secrets.handle('GetSecretValue', { SecretId: secretId })) as { SecretString?: string };
        return out.SecretString ?? '';
      },
      edgeEndpoint: edge.endpoint,
      credentialsFor: (project) => iam.forProject(project),
      ...(options.buildLog ? { log: options.buildLog } : {}),
    });
    stops.push(() => codeBuild.close());
    edge.mount(codeBuild);
    edge.mount(
      cloudWatchLogsService((group, stream) => buildLogLines(codeBuild, group, stream), buildLogCatalog(codeBuild)),
    );
    const providers = await startFakeProviders({
      ...(options.host ? { host: options.host } : {}),
      stateFile: join(dataDir, 'providers', 'repositories.json'),
    });
    stops.push(() => providers.close());
    const sqs = new SqsService({
      queues: inventory.queues,
      dataDir: join(dataDir, 'sqs'),
      region,
      accountId: LOCAL_ACCOUNT_ID,
      endpoint: edge.endpoint,
    });
    stops.push(() => sqs.close());
    edge.mount(sqs);

    const functions = new LocalFunctions({
      functions: inventory.functions.map((f) => notifications.withLocalEnv(withLocalStatusApis(f, providers.url))),
      runtimeEnvironment: runtimeEnvironment(edge.endpoint, region, internal),
      credentialsFor: (name) => iam.forFunction(name),
      log: options.log ?? (() => undefined),
      handlers,
    });
    stops.push(() => functions.stop());
    let publishDeploymentEvent: (entry: Parameters<LocalBus['accept']>[0][number]) => void = () => undefined;
    // Before the deployer's Lambda API: ListFunctions and the control plane's own functions.
    // GetCallerIdentity: how the operator API's function learns who signed a caller proof.
    edge.mountRest(stsService());
    edge.mountRest(
      lambdaReadApi({ functions: inventory.functions, services: inventory.services, accountId: LOCAL_ACCOUNT_ID }),
    );
    const deployer = await startDeployer({
      inventory,
      edge,
      s3,
      functions,
      dataDir,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      host: options.host ?? '127.0.0.1',
      basePort: options.servicePort ?? 4600,
      timeScale,
      ...(options.syntheticTraffic === undefined ? {} : { syntheticTraffic: options.syntheticTraffic }),
      runtimeEnvironment: runtimeEnvironment(edge.endpoint, region, internal),
      log: options.log ?? (() => undefined),
      publish: (event) => publishDeploymentEvent({ bus: 'default', ...event }),
    });
    stops.push(() => deployer.close());

    let sfn: StepFunctionsEmulator | undefined;
    const startExecution: IntegrationHandler = async (parameters) => startNamedExecution(sfn, parameters);
    sfn = await createStepFunctions({
      stateMachines: inventory.stateMachines,
      lambda: functions,
      dataDir: join(dataDir, 'stepfunctions'),
      region,
      accountId: LOCAL_ACCOUNT_ID,
      timeScale,
      integrations: {
        'arn:aws:states:::states:startExecution': startExecution,
        'arn:aws:states:::codebuild:startBuild.sync': (parameters, ctx) => syncBuild(codeBuild, parameters, ctx.signal),
      },
    });
    const stepFunctions = sfn;
    stops.push(() => stepFunctions.close());
    edge.mount(stepFunctions.service);

    const { bus, replayed } = LocalBus.start({
      buses: inventory.buses,
      rules: inventory.rules,
      dataDir: join(dataDir, 'eventbridge'),
      region,
      accountId: LOCAL_ACCOUNT_ID,
      invokeTarget: targetInvoker({ functions, sqs, stepFunctions }),
      ...(options.onBusRecord ? { onRecord: options.onBusRecord } : {}),
    });
    stops.push(() => bus.close());
    publishDeploymentEvent = (entry) => void bus.accept([entry]);
    edge.mount(eventBridgeService(bus));
    stepFunctions.registerIntegration('arn:aws:states:::events:putEvents', async (parameters) =>
      putEventsTask(bus, parameters),
    );

    const webConsole = localConsole({
      config: options.config,
      inventory,
      lambda: functions,
      clients: { endpoint: edge.endpoint, region, credentials: operator },
      identity,
    });
    const frontDoor: RunningFrontDoor = await startFrontDoor({
      apis: inventory.apis,
      lambda: functions,
      mount: webConsole,
      ...(options.host ? { host: options.host } : {}),
      port: options.port ?? 4000,
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      identity,
    });
    stops.push(() => frontDoor.close());
    mountIntrospection(edge, inventory, bus, providers);
    mountIdentityCredentials(edge, identity);
    await functions.ready();

    writeRuntimeInfo(dataDir, {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      region,
      accountId: LOCAL_ACCOUNT_ID,
      webhookUrl: frontDoor.url,
      awsEndpoint: edge.endpoint,
      dataDir,
      ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
      services: deployer.endpoints.map(({ functionName, alias, url }) => ({ functionName, alias, url })),
      token,
      operator,
      roles: iam.roles(),
    });
    stops.push(() => removeRuntimeInfo(dataDir));
    let closing: Promise<void> | undefined;
    return {
      webhookUrl: frontDoor.url,
      consoleUrl: `${frontDoor.url}/console/?code=${webConsole.code}`,
      awsEndpoint: edge.endpoint,
      dynamoDbEndpoint: dynamo.endpoint,
      dataDir,
      region,
      inventory,
      functions,
      bus,
      sqs,
      codeBuild,
      providers,
      notifications,
      serviceEndpoints: deployer.endpoints,
      deployer,
      timeScale,
      replayedEvents: replayed,
      startupMs: performance.now() - started,
      identity,
      token,
      operator,
      close: () => {
        closing ??= stopAll();
        return closing;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * What every local function sees besides its template environment: the edge as every AWS
 * endpoint (the SDK's standard `AWS_ENDPOINT_URL_*` variables), a region, dummy credentials.
 */
export function runtimeEnvironment(
  edge: string,
  region: string,
  credentials: { readonly accessKeyId: string; readonly secretAccessKey: string },
): Record<string, string> {
  const services = [
    'DYNAMODB',
    'EVENTBRIDGE',
    'SQS',
    'SECRETS_MANAGER',
    'SFN',
    'CODEBUILD',
    'CODEDEPLOY',
    'S3',
    'KMS',
    'LAMBDA',
    'CLOUDWATCH',
  ];
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL: edge,
    ...Object.fromEntries(services.map((s) => [`AWS_ENDPOINT_URL_${s}`, edge])),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
}

async function createTables(
  dynamo: RunningDynalite,
  inventory: LocalInventory,
  region: string,
  secret: string,
): Promise<void> {
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
  } finally {
    client.destroy();
  }
}

/** Starts an EventBridge target by the kind of ARN it has. */
function targetInvoker(deps: { functions: LocalFunctions; sqs: SqsService; stepFunctions: StepFunctionsEmulator }) {
  return async (...[arn, input, messageAttributes]: Parameters<TargetInvoker>): Promise<string | undefined> => {
    const [, , service] = arn.split(':');
    if (service === 'states') {
      const out = (await deps.stepFunctions.service.handle('StartExecution', { stateMachineArn: arn, input })) as {
        executionArn?: string;
      };
      return out.executionArn;
    }
    if (service === 'lambda') {
      const outcome = await deps.functions.invoke(arn, JSON.parse(input));
      if (!outcome.ok) throw Object.assign(new Error(outcome.errorMessage), { name: outcome.errorType });
      return undefined;
    }
    if (service === 'sqs') {
      const out = (await deps.sqs.handle('SendMessage', {
        QueueUrl: deps.sqs.queueUrl(String(arn.split(':').pop())),
        MessageBody: input,
        // EventBridge's dead letters carry RULE_ARN and TARGET_ARN, which `gantry dlq redrive` needs.
        ...(messageAttributes === undefined ? {} : { MessageAttributes: messageAttributes }),
      })) as {
        MessageId?: string;
      };
      return out.MessageId;
    }
    throw new Error(`local mode cannot deliver to ${arn}`);
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
 * Connection secrets (the ones with a generated `webhookSecret`) also get a demo `apiToken`
 * locally, so commit statuses are posted (to the fake provider API) rather than skipped.
 */
function withDemoApiTokens(secrets: LocalInventory['secrets']): LocalInventory['secrets'] {
  return secrets.map((secret) => {
    if (secret.generate?.key !== 'webhookSecret') return secret;
    const template = JSON.parse(secret.generate.template) as Record<string, unknown>;
    return {
      ...secret,
      generate: { ...secret.generate, template: JSON.stringify({ apiToken: `local-${randomUUID()}`, ...template }) },
    };
  });
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
 * The operator acts as one of the config's identities (as X-Gantry-Principal lets it): the edge
 * issues credentials standing for that identity's ARN, so the CLI can sign a caller proof that
 * STS (the edge) verifies like any other. Only the session's token holder may ask.
 */
function mountIdentityCredentials(edge: RunningEdge, identity: IdentityRegistry): void {
  edge.route('/_gantry/credentials', async (req, _url, body) => {
    if (req.method !== 'POST') return { status: 405, body: { message: 'POST {"principal": "<arn or name>"}' } };
    if (req.headers.origin !== undefined)
      return { status: 403, body: { message: 'only the gantry CLI asks for identity credentials' } };
    let principal: unknown;
    try {
      principal = (JSON.parse(body.toString('utf8')) as { principal?: unknown }).principal;
    } catch {
      // answered below
    }
    if (typeof principal !== 'string' || principal.trim() === '')
      return { status: 400, body: { message: 'POST {"principal": "<arn or name>"}' } };
    const arn = localPrincipalArn(principal.trim());
    return { status: 200, body: { principal: arn, ...identity.issueFor(arn) } };
  });
}

/** Local-only views for the demo and the CLI: what runs, and what happened to recent events. */
function mountIntrospection(
  edge: RunningEdge,
  inventory: LocalInventory,
  bus: LocalBus,
  providers: FakeProviders,
): void {
  edge.route('/_gantry/health', async () => ({ status: 200, body: { status: 'ok' } }));
  edge.route('/_gantry/inventory', async () => ({ status: 200, body: summary(inventory) }));
  edge.route('/_gantry/statuses', async (_req, url) => {
    const commit = url.searchParams.get('commit');
    const statuses = providers.statuses().filter((s) => commit === null || s.commit === commit);
    return { status: 200, body: { statuses: statuses.map(({ raw: _raw, ...s }) => s) } };
  });
  // `gantry local push` says where the repository it pushes lives, as a push to a provider would
  // give it the commits: the fake's compare API (separation of duties) then lists them.
  edge.route('/_gantry/provider/repositories', async (req, _url, body) => {
    if (req.method !== 'POST') return { status: 405, body: { message: 'POST {"provider", "fullName", "dir"}' } };
    // Only the CLI: a web page's cross-origin request carries an Origin, and can send JSON only after a preflight.
    if (req.headers.origin !== undefined || !String(req.headers['content-type'] ?? '').startsWith('application/json'))
      return { status: 403, body: { message: 'only gantry local push registers repositories' } };
    let parsed: { provider?: unknown; fullName?: unknown; dir?: unknown } = {};
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      // answered below
    }
    const { provider, fullName, dir } = parsed;
    if (typeof provider !== 'string' || typeof fullName !== 'string' || typeof dir !== 'string')
      return { status: 400, body: { message: 'POST {"provider", "fullName", "dir"}' } };
    const out = providers.registerRepository(provider, fullName, dir);
    return { status: out.status === 204 ? 200 : out.status, body: out.body ?? { registered: fullName } };
  });
  edge.route('/_gantry/events', async (_req, url) => {
    const since = url.searchParams.get('since');
    const events = bus.recentEvents();
    const from = since === null ? 0 : events.findIndex((e) => e.id === since) + 1;
    return { status: 200, body: { events: events.slice(from) } };
  });
}

/** Names of what the runtime serves, by kind (also what the parity test compares). */
export function summary(inventory: LocalInventory) {
  return {
    functions: inventory.functions.map((f) => f.name),
    tables: inventory.tables.map((t) => t.name),
    queues: inventory.queues.map((q) => q.name),
    buses: inventory.buses.map((b) => b.name),
    rules: inventory.rules.map((r) => r.name),
    stateMachines: inventory.stateMachines.map((s) => s.name),
    secrets: inventory.secrets.map((s) => s.name),
    routes: inventory.apis.flatMap((a) => a.routes.map((r) => `${r.method} ${r.path}`)),
    services: inventory.services.map((s) => s.name),
    deploymentGroups: inventory.codeDeploy.groups.map((g) => `${g.application}/${g.name}`),
    alarms: inventory.alarms.map((a) => a.name),
  };
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
  });
}
