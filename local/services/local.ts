// The local runtime's own services (the edge, the fakes, the deployer, the front door, the CLI's views), one each.
import { join } from 'node:path';
import { localPrincipalArn } from '../apigateway/events';
import { type RunningFrontDoor, startFrontDoor } from '../apigateway/server';
import type { DeploymentEvent } from '../codedeploy/service';
import { localConsole } from '../console';
import { type LocalDeployer, startDeployer } from '../deployer';
import { removeRuntimeInfo, writeRuntimeInfo } from '../discovery';
import type { IdentityRegistry } from '../edge/identity';
import { type EdgeAttachment, type EdgeRoute, type RunningEdge, startEdge } from '../edge/server';
import type { LocalBus } from '../eventbridge/bus';
import { type FakeProviders, startFakeProviders } from '../fakeprovider';
import type { LocalIam } from '../iam';
import type { LocalFunctions } from '../lambda/functions';
import { LocalNotifications } from '../notifications/fake';
import type { S3Store } from '../s3';
import type { SecretsManagerService } from '../secretsmanager';
import { connectionTokens } from '../secretsmanager/connection-tokens';
import { type LocalInventory, operatorApiUrlOf } from '../template/inventory';
import { type LocalOptions, runtimeEnvironment, type ServiceContext } from './context';
import type { LocalService } from './registry';

/** The one loopback endpoint for every AWS API; every other service attaches to it. */
export function edgeService(
  options: LocalOptions,
  identity: IdentityRegistry,
  region: string,
): LocalService<RunningEdge> {
  return {
    name: 'edge',
    start: () =>
      startEdge({
        ...(options.host ? { host: options.host } : {}),
        port: options.awsPort ?? 4566,
        region,
        identity,
        onRefusal: (line) => options.log?.('edge', line, 'stderr'),
      }),
    stop: (edge) => edge.close(),
  };
}

/** The recording fake Slack, Teams and SNS. */
export function notificationsService(ctx: ServiceContext): LocalService<LocalNotifications> {
  return {
    name: 'notifications',
    start: () => new LocalNotifications(ctx.edge.endpoint, ctx.inventory),
    edgeAttachments: (notifications) => notifications.edgeAttachments(),
  };
}

/** The recording fake Git provider API every commit status goes to (its own loopback server). */
export function fakeProvidersService(
  ctx: ServiceContext,
  deps: { secrets: SecretsManagerService },
): LocalService<FakeProviders> {
  return {
    name: 'providers',
    start: () =>
      startFakeProviders({
        ...(ctx.options.host ? { host: ctx.options.host } : {}),
        stateFile: join(ctx.dataDir, 'providers', 'repositories.json'),
        // As the real providers: only a token they issued, here a connection's apiToken as stored now.
        acceptsToken: (token) => connectionTokens(ctx.options.config, deps.secrets).has(token.trim()),
      }),
    stop: (providers) => providers.close(),
  };
}

/** CodeDeploy's state changes go to the default bus, which starts after the deployer: held until then. */
export function deploymentEvents() {
  let bus: LocalBus | undefined;
  return {
    publish: (event: DeploymentEvent) => void bus?.accept([{ bus: 'default', ...event }]),
    deliverTo: (started: LocalBus) => {
      bus = started;
    },
  };
}

/** The service functions behind their stable URLs, their alarms and CodeDeploy. */
export function deployerService(
  ctx: ServiceContext,
  deps: { s3: S3Store; functions: LocalFunctions; iam: LocalIam; publish: (event: DeploymentEvent) => void },
): LocalService<LocalDeployer> {
  const { options } = ctx;
  return {
    name: 'deployer',
    start: async () => {
      const deployer = await startDeployer({
        inventory: ctx.inventory,
        s3: deps.s3,
        functions: deps.functions,
        dataDir: ctx.dataDir,
        region: ctx.region,
        accountId: ctx.accountId,
        host: options.host ?? '127.0.0.1',
        basePort: options.servicePort ?? 4600,
        timeScale: ctx.timeScale,
        ...(options.syntheticTraffic === undefined ? {} : { syntheticTraffic: options.syntheticTraffic }),
        // A deployed service is the change's own code: it runs as its function's role, never
        // with the runtime's internal credentials (which local IAM does not restrict).
        runtimeEnvironment: runtimeEnvironment(ctx.edge.endpoint, ctx.region, undefined),
        credentialsFor: (arn) => deps.iam.forFunction(arn),
        // Lambda reads UpdateFunctionCode's package with the caller's credentials: a role's, through local IAM.
        mayRead: (principal, access) =>
          principal === undefined ? undefined : deps.iam.decideFor(principal, access)?.reason,
        log: options.log ?? (() => undefined),
        publish: deps.publish,
      });
      deps.iam.locateDeployments((id) => deployer.codeDeploy.groupArnOf(id));
      return deployer;
    },
    edgeAttachments: (deployer) => deployer.edgeAttachments,
    stop: (deployer) => deployer.close(),
  };
}

/** API Gateway's routes and the web console, on the webhook port. */
export function frontDoorService(
  ctx: ServiceContext,
  deps: {
    functions: LocalFunctions;
    identity: IdentityRegistry;
    operator: { readonly accessKeyId: string; readonly secretAccessKey: string };
  },
): LocalService<{ readonly frontDoor: RunningFrontDoor; readonly webConsole: ReturnType<typeof localConsole> }> {
  const { options } = ctx;
  return {
    name: 'apigateway',
    start: async () => {
      const webConsole = localConsole({
        config: options.config,
        inventory: ctx.inventory,
        lambda: deps.functions,
        clients: { endpoint: ctx.edge.endpoint, region: ctx.region, credentials: deps.operator },
        identity: deps.identity,
        accountId: ctx.accountId,
      });
      const frontDoor = await startFrontDoor({
        apis: ctx.inventory.apis,
        lambda: deps.functions,
        mount: webConsole,
        ...(options.host ? { host: options.host } : {}),
        port: options.port ?? 4000,
        ...(options.onRequest ? { onRequest: options.onRequest } : {}),
        identity: deps.identity,
      });
      return { frontDoor, webConsole };
    },
    stop: ({ frontDoor }) => frontDoor.close(),
  };
}

/** Local-only views for the demo and the CLI, and the operator's identity credentials. */
export function introspectionService(
  ctx: ServiceContext,
  deps: { bus: LocalBus; providers: FakeProviders; identity: IdentityRegistry },
): LocalService<void> {
  return {
    name: 'introspection',
    start: () => undefined,
    edgeAttachments: () => [
      ...introspectionRoutes(ctx.inventory, deps.bus, deps.providers),
      identityCredentialsRoute(deps.identity),
    ],
  };
}

/** runtime.json: how the CLI finds this session (its endpoints, token and operator credentials); removed at stop. */
export function runtimeInfoService(
  ctx: ServiceContext,
  deps: {
    frontDoor: RunningFrontDoor;
    deployer: LocalDeployer;
    iam: LocalIam;
    token: string;
    operator: { readonly accessKeyId: string; readonly secretAccessKey: string };
  },
): LocalService<void> {
  return {
    name: 'runtime-info',
    start: () => {
      const operatorApiUrl = operatorApiUrlOf(ctx.inventory);
      writeRuntimeInfo(ctx.dataDir, {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        region: ctx.region,
        accountId: ctx.accountId,
        webhookUrl: deps.frontDoor.url,
        awsEndpoint: ctx.edge.endpoint,
        dataDir: ctx.dataDir,
        ...(operatorApiUrl === undefined ? {} : { operatorApiUrl }),
        ...(ctx.options.configFile === undefined ? {} : { configFile: ctx.options.configFile }),
        services: deps.deployer.endpoints.map(({ functionName, alias, url }) => ({ functionName, alias, url })),
        token: deps.token,
        operator: deps.operator,
        roles: deps.iam.roles(),
      });
    },
    stop: () => removeRuntimeInfo(ctx.dataDir),
  };
}

/**
 * The operator acts as one of the config's identities (as X-Gantry-Principal lets it): the edge
 * issues credentials standing for that identity's ARN, so the CLI can sign a caller proof that
 * STS (the edge) verifies like any other. Only the session's token holder may ask.
 */
function identityCredentialsRoute(identity: IdentityRegistry): EdgeAttachment {
  const handler: EdgeRoute = async (req, _url, body) => {
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
  };
  return { route: '/_gantry/credentials', handler };
}

/** Local-only views for the demo and the CLI: what runs, and what happened to recent events. */
function introspectionRoutes(inventory: LocalInventory, bus: LocalBus, providers: FakeProviders): EdgeAttachment[] {
  const route = (path: string, handler: EdgeRoute): EdgeAttachment => ({ route: path, handler });
  return [
    route('/_gantry/health', async () => ({ status: 200, body: { status: 'ok' } })),
    route('/_gantry/inventory', async () => ({ status: 200, body: summary(inventory) })),
    route('/_gantry/statuses', async (_req, url) => {
      const commit = url.searchParams.get('commit');
      const statuses = providers.statuses().filter((s) => commit === null || s.commit === commit);
      return { status: 200, body: { statuses: statuses.map(({ raw: _raw, ...s }) => s) } };
    }),
    // `gantry local push` says where the repository it pushes lives, as a push to a provider would
    // give it the commits: the fake's compare API (separation of duties) then lists them.
    route('/_gantry/provider/repositories', async (req, _url, body) => {
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
      const out = await providers.registerRepository(provider, fullName, dir);
      return { status: out.status === 204 ? 200 : out.status, body: out.body ?? { registered: fullName } };
    }),
    route('/_gantry/events', async (_req, url) => {
      const since = url.searchParams.get('since');
      const events = bus.recentEvents();
      const from = since === null ? 0 : events.findIndex((e) => e.id === since) + 1;
      return { status: 200, body: { events: events.slice(from) } };
    }),
  ];
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
