import { join } from 'node:path';
import { LocalAlarms } from './cloudwatch/alarms';
import { RequestMetrics } from './cloudwatch/metrics';
import { CloudWatchService } from './cloudwatch/service';
import { servicesView } from './codedeploy/introspection';
import { type DeploymentEvent, LocalCodeDeploy } from './codedeploy/service';
import type { SyntheticTrafficOptions } from './codedeploy/traffic';
import type { EdgeAttachment } from './edge/server';
import type { LogSink } from './lambda/functions';
import type { LambdaInvoker } from './lambda/types';
import { type LambdaApiOptions, lambdaApi } from './lambda-api/api';
import { LocalServices, type LocalServicesOptions, type ServiceEndpoint } from './lambda-api/services';
import type { S3Store } from './s3';
import type { LocalInventory } from './template/inventory';

export interface DeployerOptions {
  readonly inventory: LocalInventory;
  readonly s3: S3Store;
  /** The GantryFunction workers: lifecycle hooks, and Lambda Invoke of anything not a service. */
  readonly functions: LambdaInvoker;
  readonly dataDir: string;
  readonly region: string;
  readonly accountId: string;
  readonly host: string;
  /** The first stable URL's port; 0 picks free ports. */
  readonly basePort: number;
  readonly timeScale: number;
  readonly syntheticTraffic?: SyntheticTrafficOptions | false;
  readonly runtimeEnvironment: Readonly<Record<string, string>>;
  /** Whether UpdateFunctionCode's caller may read the package it names (local IAM). @default anyone may */
  readonly mayRead?: LambdaApiOptions['mayRead'];
  /** A service function's role's credentials, which its versions run with. */
  readonly credentialsFor: LocalServicesOptions['credentialsFor'];
  readonly log: LogSink;
  /** Where deployment state changes go (the default event bus); may be set after start. */
  readonly publish: (event: DeploymentEvent) => void;
}

/** Local mode's deployer: the service functions behind their stable URLs, CloudWatch alarms and CodeDeploy. */
export interface LocalDeployer {
  readonly services: LocalServices;
  readonly alarms: LocalAlarms;
  readonly codeDeploy: LocalCodeDeploy;
  readonly endpoints: readonly ServiceEndpoint[];
  /** Lambda's REST API (asked before S3's fallback), CloudWatch's DescribeAlarms, CodeDeploy, the `/_gantry/services` view. */
  readonly edgeAttachments: readonly EdgeAttachment[];
  close(): Promise<void>;
}

/** Starts the deployer; its APIs are for the edge to attach (`edgeAttachments`). */
export async function startDeployer(options: DeployerOptions): Promise<LocalDeployer> {
  const metrics = new RequestMetrics();
  const alarms = new LocalAlarms({ alarms: options.inventory.alarms, metrics, timeScale: options.timeScale });
  const services = await LocalServices.start({
    services: options.inventory.services,
    dataDir: join(options.dataDir, 'lambda'),
    host: options.host,
    basePort: options.basePort,
    runtimeEnvironment: options.runtimeEnvironment,
    credentialsFor: options.credentialsFor,
    metrics,
    log: options.log,
  });
  const hookFunctions: LambdaInvoker = {
    invoke: async (name, payload) => {
      const service = services.resolve(name);
      if (service === undefined) return options.functions.invoke(name, payload);
      const version = services.versionFor(service.spec.name, service.qualifier);
      return services.invoke(service.spec.name, version?.version ?? '$LATEST', payload);
    },
  };
  const codeDeploy = new LocalCodeDeploy({
    inventory: options.inventory.codeDeploy,
    services,
    alarms,
    hookFunctions,
    dataDir: join(options.dataDir, 'codedeploy'),
    region: options.region,
    accountId: options.accountId,
    timeScale: options.timeScale,
    publish: (event) => options.publish(event),
    ...(options.syntheticTraffic === undefined ? {} : { syntheticTraffic: options.syntheticTraffic }),
  });
  return {
    services,
    alarms,
    codeDeploy,
    endpoints: services.endpoints(),
    edgeAttachments: [
      {
        rest: lambdaApi({
          services,
          s3: options.s3,
          accountId: options.accountId,
          otherFunctions: options.functions,
          ...(options.mayRead === undefined ? {} : { mayRead: options.mayRead }),
        }),
      },
      { json: new CloudWatchService(alarms) },
      { json: codeDeploy },
      { route: '/_gantry/services', handler: async () => ({ status: 200, body: servicesView(services, codeDeploy) }) },
    ],
    close: async () => {
      await codeDeploy.close();
      await services.close();
      alarms.close();
    },
  };
}
