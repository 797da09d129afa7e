import type { GantryConfig } from '../../infra/config/schema';
import type { SyntheticTrafficOptions } from '../codedeploy/traffic';
import type { RunningEdge } from '../edge/server';
import type { BusEventRecord } from '../eventbridge/bus';
import type { LogSink } from '../lambda/functions';
import type { LocalInventory } from '../template/inventory';

/** The control plane's account id locally when the config names none (`controlPlane.account`). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** The account the local control plane's resources live in: the config's `controlPlane.account`, else {@link LOCAL_ACCOUNT_ID}. */
export function localAccountId(config: Pick<GantryConfig, 'controlPlane'>): string {
  return config.controlPlane?.account ?? LOCAL_ACCOUNT_ID;
}

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

/** What the services' factories share: the options, where data lives, the edge and the template's inventory. */
export interface ServiceContext {
  readonly options: LocalOptions;
  readonly dataDir: string;
  readonly region: string;
  /** The control plane's account; a target account's resources carry their own (see TemplateResolver.accountOf). */
  readonly accountId: string;
  readonly timeScale: number;
  readonly edge: RunningEdge;
  readonly inventory: LocalInventory;
  /** What a local process without a role of its own signs with. */
  readonly internal: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * What every local function sees besides its template environment: the edge as every AWS
 * endpoint (the SDK's standard `AWS_ENDPOINT_URL_*` variables), a region, dummy credentials.
 */
export function runtimeEnvironment(
  edge: string,
  region: string,
  /** The caller's own; none for code whose credentials are its role's, added per function. */
  credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined,
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
    // A step's TargetSessions asks STS AssumeRole for its role in a target account.
    'STS',
  ];
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    ...(credentials === undefined
      ? {}
      : { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey }),
    AWS_ENDPOINT_URL: edge,
    ...Object.fromEntries(services.map((s) => [`AWS_ENDPOINT_URL_${s}`, edge])),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
}
