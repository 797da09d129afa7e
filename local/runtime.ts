import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { LocalCodeBuild } from './codebuild';
import type { LocalDeployer } from './deployer';
import { ensurePrivateDir } from './discovery';
import { IdentityRegistry } from './edge/identity';
import type { LocalBus } from './eventbridge/bus';
import type { FakeProviders } from './fakeprovider';
import { handlerModules, projectHandlerEntries } from './lambda/bundles';
import type { LocalFunctions } from './lambda/functions';
import type { ServiceEndpoint } from './lambda-api/services';
import type { LocalNotifications } from './notifications/fake';
import {
  codeBuildService,
  dynamoDbExportsService,
  dynamoDbService,
  eventBridgeService,
  functionsService,
  iamService,
  kmsService,
  s3Service,
  secretsManagerService,
  sqsService,
  stepFunctionsService,
  stsService,
} from './services/aws';
import { type LocalOptions, localAccountId, type ServiceContext } from './services/context';
import {
  deployerService,
  deploymentEvents,
  edgeService,
  fakeProvidersService,
  frontDoorService,
  introspectionService,
  notificationsService,
  runtimeInfoService,
} from './services/local';
import { RuntimeServices, type ServiceFailure } from './services/registry';

export { LOCAL_ACCOUNT_ID, type LocalOptions, runtimeEnvironment } from './services/context';
export { summary } from './services/local';

import type { SqsService } from './sqs';
import { inventoryOf, type LocalInventory, operatorApiUrlOf } from './template/inventory';
import { TemplateResolver } from './template/resolver';
import { cachedTemplates } from './template/synth-cache';

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
  /** The operator API's URL as its template names it: the audience of this plane's caller proofs. */
  readonly operatorApiUrl: string | undefined;
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
  /** Settles if a service stops working on its own (dynalite's thread crashed); never otherwise. */
  readonly failed: Promise<ServiceFailure>;
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
  const accountId = localAccountId(options.config);
  const timeScale = options.timeScale ?? 60;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
  ensurePrivateDir(dataDir);
  const session = sessionIdentity();
  const { identity, token, operator, internal } = session;
  // Every handler is bundled (or found in the cache) while the app synthesizes.
  const handlers = handlerModules(projectHandlerEntries());
  const templates = await cachedTemplates(options.config);
  const services = await RuntimeServices.start(edgeService(options, identity, region));
  try {
    const { edge } = services;
    const resolver = new TemplateResolver(templates, {
      region,
      accountId,
      edgeEndpoint: edge.endpoint,
    });
    const inventory = inventoryOf(resolver);
    const ctx: ServiceContext = { options, dataDir, region, accountId, timeScale, edge, inventory, internal };
    const iam = await services.add(iamService(ctx, resolver, identity));
    const notifications = await services.add(notificationsService(ctx));
    const dynamo = await services.add(dynamoDbService(ctx));
    const secrets = await services.add(secretsManagerService(ctx, notifications));
    await services.add(kmsService(ctx));
    const s3 = await services.add(s3Service(ctx));
    await services.add(dynamoDbExportsService(ctx, { dynamo, s3 }));
    const codeBuild = await services.add(codeBuildService(ctx, { s3, secrets, iam }));
    const providers = await services.add(fakeProvidersService(ctx, { secrets }));
    const sqs = await services.add(sqsService(ctx));
    const functions = await services.add(functionsService(ctx, { notifications, providers, iam, handlers, sqs }));
    // Before the deployer's Lambda API: GetCallerIdentity, ListFunctions and the control plane's own functions.
    await services.add(stsService(iam, identity));
    const deployment = deploymentEvents();
    const deployer = await services.add(deployerService(ctx, { s3, functions, iam, publish: deployment.publish }));
    const stepFunctions = await services.add(stepFunctionsService(ctx, { functions, codeBuild }));
    const { bus, replayed } = await services.add(
      eventBridgeService(ctx, { functions, sqs, stepFunctions, iam, notifications }),
    );
    deployment.deliverTo(bus);
    const { frontDoor, webConsole } = await services.add(frontDoorService(ctx, { functions, identity, operator }));
    await services.add(introspectionService(ctx, { bus, providers, identity }));
    await functions.ready();
    await services.add(runtimeInfoService(ctx, { frontDoor, deployer, iam, token, operator }));
    return {
      webhookUrl: frontDoor.url,
      consoleUrl: `${frontDoor.url}/console/?code=${webConsole.code}`,
      awsEndpoint: edge.endpoint,
      dynamoDbEndpoint: dynamo.endpoint,
      dataDir,
      region,
      operatorApiUrl: operatorApiUrlOf(inventory),
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
      failed: services.failed,
      close: () => services.stopAll(),
    };
  } catch (error) {
    await services.stopAll();
    throw error;
  }
}
